package config

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Port != 8080 || c.BaseURL.String() != "http://localhost:8080" || c.TenantRole != "app_tenant" {
		t.Errorf("defaults = port %d, base %s, role %s", c.Port, c.BaseURL, c.TenantRole)
	}
	if !c.SessionSecretGenerated || len(c.SessionSecret) != 32 {
		t.Errorf("session secret generated=%v len=%d; want a random 32-byte key", c.SessionSecretGenerated, len(c.SessionSecret))
	}
	if c.MetricsAddr != "127.0.0.1:9090" {
		t.Errorf("MetricsAddr = %q, want 127.0.0.1:9090 in development", c.MetricsAddr)
	}
	if got := c.Clerk.AuthorizedParties; len(got) != 1 || got[0] != "http://localhost:8080" {
		t.Errorf("AuthorizedParties = %v, want [BASE_URL origin]", got)
	}
	if c.DBStatementTimeout != 5*time.Second || c.DBIdleInTxTimeout != 10*time.Second || c.DBConnectTimeout != 2*time.Second {
		t.Errorf("database timeouts = %s, %s, %s; want 5s, 10s, 2s", c.DBStatementTimeout, c.DBIdleInTxTimeout, c.DBConnectTimeout)
	}
}

func TestLoadDatabaseTimeouts(t *testing.T) {
	c, err := Load(env(map[string]string{"DB_STATEMENT_TIMEOUT": "750ms", "DB_IDLE_IN_TX_TIMEOUT": "0", "DB_CONNECT_TIMEOUT": "1m"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DBStatementTimeout != 750*time.Millisecond || c.DBIdleInTxTimeout != 0 || c.DBConnectTimeout != time.Minute {
		t.Errorf("database timeouts = %s, %s, %s; want 750ms, 0 (off), 1m", c.DBStatementTimeout, c.DBIdleInTxTimeout, c.DBConnectTimeout)
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{"bad env", map[string]string{"APP_ENV": "staging"}, "APP_ENV"},
		{"port not a number", map[string]string{"PORT": "eighty"}, "PORT"},
		{"port out of range", map[string]string{"PORT": "70000"}, "PORT"},
		{"base url relative", map[string]string{"BASE_URL": "/app"}, "BASE_URL"},
		{"database url scheme", map[string]string{"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"},
		{"tenant role injection", map[string]string{"DB_TENANT_ROLE": "x; DROP TABLE users"}, "DB_TENANT_ROLE"},
		{"short session secret", map[string]string{"SESSION_SECRET": "short"}, "SESSION_SECRET"},
		{"secret key prefix", map[string]string{"CLERK_SECRET_KEY": "pk_test_abc"}, "CLERK_SECRET_KEY"},
		{"publishable key garbage", map[string]string{"CLERK_PUBLISHABLE_KEY": "pk_test_!!!"}, "CLERK_PUBLISHABLE_KEY"},
		{"publishable key without dot", map[string]string{"CLERK_PUBLISHABLE_KEY": "pk_test_bG9jYWxob3N0OjgwODEk"}, "CLERK_PUBLISHABLE_KEY"},
		{"webhook secret prefix", map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": "secret"}, "CLERK_WEBHOOK_SIGNING_SECRET"},
		{"authorized party not origin", map[string]string{"CLERK_AUTHORIZED_PARTIES": "https://a.example.com/path"}, "CLERK_AUTHORIZED_PARTIES"},
		{"metrics addr", map[string]string{"METRICS_ADDR": "9090"}, "METRICS_ADDR"},
		{"bind addr with a port", map[string]string{"BIND_ADDR": "127.0.0.1:8080"}, "BIND_ADDR"},
		{"bind addr not a host", map[string]string{"BIND_ADDR": "http://x"}, "BIND_ADDR"},
		{"db max conns zero", map[string]string{"DB_MAX_CONNS": "0"}, "DB_MAX_CONNS"},
		{"max in flight negative", map[string]string{"MAX_IN_FLIGHT": "-1"}, "MAX_IN_FLIGHT"},
		{"max in flight not a number", map[string]string{"MAX_IN_FLIGHT": "many"}, "MAX_IN_FLIGHT"},
		{"statement timeout without unit", map[string]string{"DB_STATEMENT_TIMEOUT": "5"}, "DB_STATEMENT_TIMEOUT"},
		{"idle in tx timeout negative", map[string]string{"DB_IDLE_IN_TX_TIMEOUT": "-1s"}, "DB_IDLE_IN_TX_TIMEOUT"},
		{"connect timeout under a millisecond", map[string]string{"DB_CONNECT_TIMEOUT": "10us"}, "DB_CONNECT_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load error = %v, want a *config.Error", err)
			}
			if ce.Var != tt.wantVar {
				t.Errorf("error names %s, want %s (%v)", ce.Var, tt.wantVar, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
}

// TestListenAddress: development listens on loopback only (the emulator's
// webhook secret is public), production on every interface, and BIND_ADDR
// chooses on purpose. The metrics default is marked so a taken port only
// costs /metrics.
func TestListenAddress(t *testing.T) {
	prod := map[string]string{"APP_ENV": "production", "SESSION_SECRET": strings.Repeat("s", 32)}
	tests := []struct {
		name               string
		env                map[string]string
		wantListen         string
		wantMetrics        string
		wantMetricsDefault bool
	}{
		{"development", map[string]string{"PORT": "8181"}, "127.0.0.1:8181", "127.0.0.1:9090", true},
		{"development opened on purpose", map[string]string{"BIND_ADDR": "0.0.0.0"}, ":8080", "127.0.0.1:9090", true},
		{"development on one interface", map[string]string{"BIND_ADDR": "::1", "METRICS_ADDR": "127.0.0.1:9191"}, "[::1]:8080", "127.0.0.1:9191", false},
		{"production", prod, ":8080", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := c.ListenAddr(); got != tt.wantListen {
				t.Errorf("ListenAddr = %q, want %q", got, tt.wantListen)
			}
			if c.MetricsAddr != tt.wantMetrics || c.MetricsAddrDefault != tt.wantMetricsDefault {
				t.Errorf("MetricsAddr = %q (default %v), want %q (default %v)", c.MetricsAddr, c.MetricsAddrDefault, tt.wantMetrics, tt.wantMetricsDefault)
			}
		})
	}
}

func TestPoolAndInFlightLimits(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	tests := []struct {
		name          string
		env           map[string]string
		wantConns     int
		wantMaxFlight int
	}{
		{"defaults", nil, max(4*procs, 4), max(4*procs, 4) + procs},
		{"in flight follows the pool", map[string]string{"DB_MAX_CONNS": "10"}, 10, 10 + procs},
		{"in flight set", map[string]string{"DB_MAX_CONNS": "10", "MAX_IN_FLIGHT": "7"}, 10, 7},
		{"in flight off", map[string]string{"MAX_IN_FLIGHT": "0"}, max(4*procs, 4), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.DBMaxConns != tt.wantConns || c.MaxInFlight != tt.wantMaxFlight {
				t.Errorf("DBMaxConns, MaxInFlight = %d, %d; want %d, %d", c.DBMaxConns, c.MaxInFlight, tt.wantConns, tt.wantMaxFlight)
			}
		})
	}
}

func TestSecretsNeverEchoed(t *testing.T) {
	secret := "postgres://admin:hunter2@db/x"
	_, err := Load(env(map[string]string{"DATABASE_URL": "mysql://admin:hunter2@db/x"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v leaks the password of %s", err, secret)
	}
	_, err = Load(env(map[string]string{"CLERK_SECRET_KEY": "xx_live_hunter2"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v leaks the secret key", err)
	}
}

// emulatorKey encodes 127.0.0.1:8081 as Clerk's publishable-key parser wants.
const emulatorKey = "pk_test_MTI3LjAuMC4xOjgwODEk"

func TestClerkDerivedURLs(t *testing.T) {
	c, err := Load(env(map[string]string{"CLERK_PUBLISHABLE_KEY": "pk_test_Y2xlcmsuY2xlcmsuZGV2JA"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Clerk.FrontendAPIURL != "https://clerk.clerk.dev" {
		t.Errorf("FrontendAPIURL = %q", c.Clerk.FrontendAPIURL)
	}
	if c.Clerk.SignInURL != "https://accounts.clerk.dev/sign-in" {
		t.Errorf("SignInURL = %q", c.Clerk.SignInURL)
	}
	c, err = Load(env(map[string]string{"CLERK_PUBLISHABLE_KEY": "pk_test_aGFwcHktY2F0LTEyLmNsZXJrLmFjY291bnRzLmRldiQ"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Clerk.SignInURL != "https://happy-cat-12.accounts.dev/sign-in" {
		t.Errorf("dev SignInURL = %q", c.Clerk.SignInURL)
	}
	c, err = Load(env(map[string]string{"CLERK_PUBLISHABLE_KEY": emulatorKey, "CLERK_FRONTEND_API_URL": "http://127.0.0.1:8081"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.UsesEmulator() || c.Clerk.SignInURL != "http://127.0.0.1:8081/sign-in" {
		t.Errorf("emulator: UsesEmulator=%v SignInURL=%q", c.UsesEmulator(), c.Clerk.SignInURL)
	}
}

func TestValidateServe(t *testing.T) {
	clerk := map[string]string{
		"DATABASE_URL":                 "postgres://u@localhost/db",
		"CLERK_SECRET_KEY":             "sk_test_x",
		"CLERK_PUBLISHABLE_KEY":        emulatorKey,
		"CLERK_FRONTEND_API_URL":       "http://127.0.0.1:8081",
		"CLERK_API_URL":                "http://127.0.0.1:8081/v1",
		"CLERK_WEBHOOK_SIGNING_SECRET": "whsec_abc",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range clerk {
			m[k] = v
		}
		for k, v := range extra {
			if v == "" {
				delete(m, k)
				continue
			}
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string // "" = valid
	}{
		{"development with emulator", with(nil), ""},
		{"no database", with(map[string]string{"DATABASE_URL": ""}), "DATABASE_URL"},
		{"no clerk", with(map[string]string{"CLERK_SECRET_KEY": ""}), "CLERK_SECRET_KEY"},
		{"no webhook secret", with(map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": ""}), "CLERK_WEBHOOK_SIGNING_SECRET"},
		{"production random session secret", with(map[string]string{"APP_ENV": "production"}), "SESSION_SECRET"},
		{"production emulator", with(map[string]string{"APP_ENV": "production", "SESSION_SECRET": strings.Repeat("s", 32)}), "CLERK_FRONTEND_API_URL"},
		{"production test key", with(map[string]string{
			"APP_ENV": "production", "SESSION_SECRET": strings.Repeat("s", 32),
			"CLERK_FRONTEND_API_URL": "https://clerk.example.com", "CLERK_API_URL": "https://api.clerk.com/v1",
		}), "CLERK_SECRET_KEY"},
		{"production ok", with(map[string]string{
			"APP_ENV": "production", "SESSION_SECRET": strings.Repeat("s", 32), "CLERK_SECRET_KEY": "sk_live_x",
			"CLERK_FRONTEND_API_URL": "https://clerk.example.com", "CLERK_API_URL": "https://api.clerk.com/v1",
		}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = c.ValidateServe()
			if tt.wantVar == "" {
				if err != nil {
					t.Fatalf("ValidateServe = %v, want nil", err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Var != tt.wantVar {
				t.Fatalf("ValidateServe = %v, want an error naming %s", err, tt.wantVar)
			}
		})
	}
}

func TestFrontendAPIHost(t *testing.T) {
	tests := []struct{ key, want string }{
		{"pk_test_Y2xlcmsuY2xlcmsuZGV2JA", "clerk.clerk.dev"},
		{"pk_live_Y2xlcmsuY2xlcmsuZGV2JA==", "clerk.clerk.dev"},
		{emulatorKey, "127.0.0.1:8081"},
	}
	for _, tt := range tests {
		got, err := FrontendAPIHost(tt.key)
		if err != nil || got != tt.want {
			t.Errorf("FrontendAPIHost(%q) = %q, %v; want %q", tt.key, got, err, tt.want)
		}
	}
}
