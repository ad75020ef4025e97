// Package config loads the application's settings from the environment (and a
// .env file when present) into one plain struct, validated once at start-up.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Environments the application knows.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is every setting .env.example documents, parsed and defaulted.
type Config struct {
	Env  string
	Port int
	// BindAddr is the interface the app listens on: 127.0.0.1 in
	// development (the emulator's webhook secret is public), every interface
	// in production. BIND_ADDR sets it on purpose.
	BindAddr      string
	BaseURL       *url.URL
	DatabaseURL   string
	TenantRole    string
	SessionSecret []byte
	// SessionSecretGenerated is true when SESSION_SECRET was unset and a random
	// per-run key is used (development only): sessions do not survive a restart.
	SessionSecretGenerated bool
	MetricsAddr            string
	// MetricsAddrDefault is true when METRICS_ADDR was unset and the
	// development default is used: a taken port then only costs /metrics.
	MetricsAddrDefault bool
	// SessionMaxAge bounds how long the app's own session cookie lets a page
	// through without a fresh Clerk token.
	SessionMaxAge time.Duration
	// APIRateLimit (per user) and WebhookRateLimit (per client address) are
	// requests per second; 0 turns a limit off.
	APIRateLimit     float64
	WebhookRateLimit float64
	// DBMaxConns bounds the connection pool.
	DBMaxConns int
	// MaxInFlight bounds the requests running at once on the database-backed
	// routes; later ones wait in arrival order. 0 means no limit.
	MaxInFlight int
	Clerk       Clerk
}

// Clerk holds the Clerk instance settings.
type Clerk struct {
	SecretKey         string
	PublishableKey    string
	APIURL            string
	FrontendAPIURL    string
	SignInURL         string
	SignUpURL         string
	WebhookSecret     string
	AuthorizedParties []string
}

// Getenv looks up one variable; os.Getenv and maps both fit.
type Getenv func(string) string

// Error is a configuration problem tied to one variable.
type Error struct {
	Var     string
	Problem string
}

func (e *Error) Error() string { return e.Var + ": " + e.Problem }

func bad(name, format string, args ...any) error {
	return &Error{Var: name, Problem: fmt.Sprintf(format, args...)}
}

// Load reads and checks the settings common to every command. Clerk settings
// are parsed but only required by ValidateServe.
func Load(getenv Getenv) (*Config, error) {
	c := &Config{
		Env:           strings.TrimSpace(getenv("APP_ENV")),
		TenantRole:    getenv("DB_TENANT_ROLE"),
		DatabaseURL:   strings.TrimSpace(getenv("DATABASE_URL")),
		SessionMaxAge: 10 * time.Minute,
	}
	if c.Env == "" {
		c.Env = EnvDevelopment
	}
	if c.Env != EnvDevelopment && c.Env != EnvProduction {
		return nil, bad("APP_ENV", "must be %q or %q, got %q", EnvDevelopment, EnvProduction, c.Env)
	}
	var err error
	if c.Port, err = parsePort(getenv("PORT")); err != nil {
		return nil, err
	}
	if c.BindAddr, err = c.parseBindAddr(getenv("BIND_ADDR")); err != nil {
		return nil, err
	}
	if c.BaseURL, err = parseBaseURL(getenv("BASE_URL"), c.Port); err != nil {
		return nil, err
	}
	if err := validateDatabaseURL(c.DatabaseURL); err != nil {
		return nil, err
	}
	if c.TenantRole == "" {
		c.TenantRole = "app_tenant"
	}
	if !isIdentifier(c.TenantRole) {
		return nil, bad("DB_TENANT_ROLE", "must be a plain SQL identifier (letters, digits, _), got %q", c.TenantRole)
	}
	if err := c.loadSessionSecret(getenv("SESSION_SECRET")); err != nil {
		return nil, err
	}
	if err := c.loadMetricsAddr(getenv); err != nil {
		return nil, err
	}
	if c.APIRateLimit, err = parseRate("API_RATE_LIMIT", getenv("API_RATE_LIMIT"), 50); err != nil {
		return nil, err
	}
	if c.WebhookRateLimit, err = parseRate("WEBHOOK_RATE_LIMIT", getenv("WEBHOOK_RATE_LIMIT"), 5000); err != nil {
		return nil, err
	}
	if c.DBMaxConns, err = parseMaxConns(getenv("DB_MAX_CONNS")); err != nil {
		return nil, err
	}
	if c.MaxInFlight, err = parseMaxInFlight(getenv("MAX_IN_FLIGHT"), c.DBMaxConns); err != nil {
		return nil, err
	}
	if err := c.loadClerk(getenv); err != nil {
		return nil, err
	}
	return c, nil
}

// Production reports whether unsafe development defaults are refused.
func (c *Config) Production() bool { return c.Env == EnvProduction }

// HTTPS reports whether the public URL is served over TLS (Secure cookies, HSTS).
func (c *Config) HTTPS() bool { return c.BaseURL.Scheme == "https" }

// ValidateServe checks what serving pages needs on top of Load: a database,
// a Clerk instance, and in production no development defaults.
func (c *Config) ValidateServe() error {
	if c.DatabaseURL == "" {
		return bad("DATABASE_URL", "is required (make run starts a local database for you)")
	}
	k := c.Clerk
	if k.SecretKey == "" {
		return bad("CLERK_SECRET_KEY", "is required (make run starts the local Clerk emulator for you)")
	}
	if k.PublishableKey == "" {
		return bad("CLERK_PUBLISHABLE_KEY", "is required with CLERK_SECRET_KEY")
	}
	if k.WebhookSecret == "" {
		return bad("CLERK_WEBHOOK_SIGNING_SECRET", "is required with CLERK_SECRET_KEY (Clerk dashboard → Webhooks → Signing secret)")
	}
	if !c.Production() {
		return nil
	}
	if c.SessionSecretGenerated {
		return bad("SESSION_SECRET", "is required in production (32+ random bytes, e.g. `openssl rand -base64 48`)")
	}
	if c.UsesEmulator() {
		return bad("CLERK_FRONTEND_API_URL", "points at a local Clerk emulator, which production refuses")
	}
	if !strings.HasPrefix(k.SecretKey, "sk_live_") {
		return bad("CLERK_SECRET_KEY", "must be a production key (sk_live_…) when APP_ENV=production")
	}
	return nil
}

// UsesEmulator reports whether Clerk is the local emulator (a loopback
// Frontend or Backend API), so the app can say so loudly.
func (c *Config) UsesEmulator() bool {
	return isLoopbackURL(c.Clerk.FrontendAPIURL) || isLoopbackURL(c.Clerk.APIURL)
}

// parseBindAddr defaults to loopback in development, so a laptop on a shared
// network does not serve the app (and accept webhooks signed with the
// emulator's public secret) to its neighbours.
func (c *Config) parseBindAddr(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		if c.Production() {
			return "", nil
		}
		return "127.0.0.1", nil
	}
	if v == "*" || v == "0.0.0.0" || v == "::" {
		return "", nil
	}
	if strings.ContainsAny(v, ":/ ") && net.ParseIP(v) == nil {
		return "", bad("BIND_ADDR", "must be an IP address or host name to listen on (\"0.0.0.0\" for every interface), got %q", v)
	}
	return v, nil
}

// ListenAddr is the host:port the app listens on.
func (c *Config) ListenAddr() string {
	return net.JoinHostPort(c.BindAddr, strconv.Itoa(c.Port))
}

func parsePort(v string) (int, error) {
	if v == "" {
		return 8080, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 || p > 65535 {
		return 0, bad("PORT", "must be a number from 0 (any free port) to 65535, got %q", v)
	}
	return p, nil
}

// parseMaxConns defaults to 4 connections per CPU: with Postgres on the
// same cores, more connections only add backends competing for them
// (docs/performance.md measured 8 ahead of 24 on two cores).
func parseMaxConns(v string) (int, error) {
	if v == "" {
		return max(4*runtime.GOMAXPROCS(0), 4), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, bad("DB_MAX_CONNS", "must be a number from 1 to 1000, got %q", v)
	}
	return n, nil
}

// parseMaxInFlight defaults to the pool plus 1 per CPU. Requests past the
// limit wait in arrival order; beyond the pool they would only queue for a
// connection, handed out at random. The 1 per CPU keeps each CPU busy with
// the work between queries (templates, JSON); more only lengthens the tail
// (docs/performance.md, "Pool and gate").
func parseMaxInFlight(v string, dbMaxConns int) (int, error) {
	if v == "" {
		return dbMaxConns + runtime.GOMAXPROCS(0), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, bad("MAX_IN_FLIGHT", "must be a number of requests, 0 or more (0 = no limit), got %q", v)
	}
	return n, nil
}

func parseRate(name, v string, def float64) (float64, error) {
	if v == "" {
		return def, nil
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || r < 0 {
		return 0, bad(name, "must be a number of requests per second (0 = off), got %q", v)
	}
	return r, nil
}

func parseBaseURL(v string, port int) (*url.URL, error) {
	if v == "" {
		v = fmt.Sprintf("http://localhost:%d", port)
	}
	u, err := url.Parse(strings.TrimRight(v, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, bad("BASE_URL", "must be an absolute http(s) URL such as https://app.example.com, got %q", v)
	}
	return u, nil
}

func validateDatabaseURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return bad("DATABASE_URL", "must be a URL such as postgres://user:pass@host:5432/db?sslmode=disable (value not shown)")
	}
	return nil
}

func (c *Config) loadSessionSecret(v string) error {
	if v == "" {
		c.SessionSecret = make([]byte, 32)
		if _, err := rand.Read(c.SessionSecret); err != nil {
			return fmt.Errorf("generate session secret: %w", err)
		}
		c.SessionSecretGenerated = true
		return nil
	}
	if len(v) < 32 {
		return bad("SESSION_SECRET", "must be at least 32 bytes, got %d", len(v))
	}
	c.SessionSecret = []byte(v)
	return nil
}

func (c *Config) loadMetricsAddr(getenv Getenv) error {
	c.MetricsAddr = getenv("METRICS_ADDR")
	if c.MetricsAddr == "" && !c.Production() {
		c.MetricsAddr = "127.0.0.1:9090"
		c.MetricsAddrDefault = true
	}
	if c.MetricsAddr == "" || c.MetricsAddr == "off" {
		c.MetricsAddr = ""
		return nil
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		return bad("METRICS_ADDR", "must be host:port (or \"off\"), got %q", c.MetricsAddr)
	}
	return nil
}

func (c *Config) loadClerk(getenv Getenv) error {
	k := Clerk{
		SecretKey:      getenv("CLERK_SECRET_KEY"),
		PublishableKey: getenv("CLERK_PUBLISHABLE_KEY"),
		APIURL:         strings.TrimRight(getenv("CLERK_API_URL"), "/"),
		FrontendAPIURL: strings.TrimRight(getenv("CLERK_FRONTEND_API_URL"), "/"),
		SignInURL:      getenv("CLERK_SIGN_IN_URL"),
		SignUpURL:      getenv("CLERK_SIGN_UP_URL"),
		WebhookSecret:  getenv("CLERK_WEBHOOK_SIGNING_SECRET"),
	}
	if k.SecretKey != "" && !hasAnyPrefix(k.SecretKey, "sk_test_", "sk_live_") {
		return bad("CLERK_SECRET_KEY", "must start with sk_test_ or sk_live_ (value not shown)")
	}
	if k.APIURL == "" {
		k.APIURL = "https://api.clerk.com/v1"
	}
	if err := checkURL("CLERK_API_URL", k.APIURL); err != nil {
		return err
	}
	if k.PublishableKey != "" {
		host, err := FrontendAPIHost(k.PublishableKey)
		if err != nil {
			return bad("CLERK_PUBLISHABLE_KEY", "%v", err)
		}
		if k.FrontendAPIURL == "" {
			k.FrontendAPIURL = "https://" + host
		}
	}
	if k.FrontendAPIURL != "" {
		if err := checkURL("CLERK_FRONTEND_API_URL", k.FrontendAPIURL); err != nil {
			return err
		}
	}
	if k.WebhookSecret != "" && !strings.HasPrefix(k.WebhookSecret, "whsec_") {
		return bad("CLERK_WEBHOOK_SIGNING_SECRET", "must start with whsec_ (value not shown)")
	}
	portal := AccountPortalURL(k.FrontendAPIURL)
	if k.SignInURL == "" && portal != "" {
		k.SignInURL = portal + "/sign-in"
	}
	if k.SignUpURL == "" && portal != "" {
		k.SignUpURL = portal + "/sign-up"
	}
	for name, v := range map[string]string{"CLERK_SIGN_IN_URL": k.SignInURL, "CLERK_SIGN_UP_URL": k.SignUpURL} {
		if v != "" {
			if err := checkURL(name, v); err != nil {
				return err
			}
		}
	}
	parties, err := parseParties(getenv("CLERK_AUTHORIZED_PARTIES"), c.BaseURL)
	if err != nil {
		return err
	}
	k.AuthorizedParties = parties
	c.Clerk = k
	return nil
}

func parseParties(v string, base *url.URL) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return []string{base.Scheme + "://" + base.Host}, nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimRight(strings.TrimSpace(p), "/")
		if p == "" {
			continue
		}
		u, err := url.Parse(p)
		if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, bad("CLERK_AUTHORIZED_PARTIES", "must be a comma list of origins such as https://app.example.com, got %q", p)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}

// FrontendAPIHost decodes the Frontend API host from a publishable key
// (pk_test_/pk_live_ + base64 of "<host>$"), with the checks Clerk's SDKs make.
func FrontendAPIHost(pk string) (string, error) {
	parts := strings.Split(pk, "_")
	if len(parts) != 3 || parts[0] != "pk" || (parts[1] != "test" && parts[1] != "live") {
		return "", errors.New("must look like pk_test_… or pk_live_…")
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(parts[2], "="))
	if err != nil {
		return "", errors.New("is not valid base64 after pk_test_/pk_live_")
	}
	s := string(raw)
	if strings.Count(s, "$") != 1 || !strings.HasSuffix(s, "$") || !strings.Contains(s, ".") {
		return "", errors.New("does not encode a Frontend API host")
	}
	return strings.TrimSuffix(s, "$"), nil
}

// AccountPortalURL derives Clerk's hosted pages from the Frontend API URL:
// clerk.accounts.dev hosts become accounts.dev, clerk.<domain> becomes
// accounts.<domain>; anything else (the emulator) serves the pages itself.
func AccountPortalURL(fapi string) string {
	u, err := url.Parse(fapi)
	if err != nil || u.Host == "" {
		return ""
	}
	switch {
	case strings.Contains(u.Host, ".clerk.accounts."):
		u.Host = strings.Replace(u.Host, ".clerk.accounts.", ".accounts.", 1)
	case strings.HasPrefix(u.Host, "clerk."):
		u.Host = "accounts." + strings.TrimPrefix(u.Host, "clerk.")
	}
	return u.Scheme + "://" + u.Host
}

func checkURL(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad(name, "must be an absolute http(s) URL, got %q", v)
	}
	return nil
}

func isLoopbackURL(v string) bool {
	u, err := url.Parse(v)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func isIdentifier(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
