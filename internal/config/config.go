// Package config loads the application's settings from the environment (and a
// .env file when present) into one plain struct, validated once at start-up.
package config

import (
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/joho/godotenv"
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
	// DBStatementTimeout and DBIdleInTxTimeout are Postgres's
	// statement_timeout and idle_in_transaction_session_timeout on the
	// app's connections; DBConnectTimeout bounds dialling one. 0 turns one
	// off.
	DBStatementTimeout time.Duration
	DBIdleInTxTimeout  time.Duration
	DBConnectTimeout   time.Duration
	// MaxInFlight bounds the requests running at once on the database-backed
	// routes; later ones wait in arrival order. 0 means no limit.
	MaxInFlight int
	Clerk       Clerk
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
	if err := c.loadDBTimeouts(getenv); err != nil {
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

// WithDotEnv layers a .env file (when present in the working directory)
// under the real environment: a variable set in the environment wins. The
// app and the gateway read their settings through it.
func WithDotEnv(getenv func(string) string) func(string) string {
	file, err := godotenv.Read(".env")
	if err != nil {
		return getenv
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return file[k]
	}
}
