package gateway

import (
	"net"
	"strconv"
	"strings"
	"time"

	"example.com/saas/clerkauth"
	"example.com/saas/internal/config"
)

// DevSharedSecret is GATEWAY_SHARED_SECRET in development when it is unset.
// It is public on purpose, like the emulator's keys: production refuses to
// start without a secret of its own.
const DevSharedSecret = "development-only-gateway-shared-secret-0123456789"

// Config is the gateway's settings: the app's (Clerk instance, database,
// APP_ENV, read by internal/config) and the GATEWAY_* variables.
type Config struct {
	App  *config.Config
	Addr string
	// MetricsAddr serves /metrics ("" for none), never on the public port.
	MetricsAddr string
	// MetricsAddrDefault is true for the development default: a taken port
	// then only costs /metrics.
	MetricsAddrDefault bool
	Routes             []Route
	Secret             []byte
	// SecretDefault is true when DevSharedSecret is used (development only).
	SecretDefault   bool
	UpstreamTimeout time.Duration
}

// Load reads and checks the gateway's settings.
func Load(getenv config.Getenv) (*Config, error) {
	app, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	c := &Config{App: app, Addr: strings.TrimSpace(getenv("GATEWAY_ADDR"))}
	if err := c.check(); err != nil {
		return nil, err
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8090"
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return nil, &config.Error{Var: "GATEWAY_ADDR", Problem: "must be host:port, got " + strconv.Quote(c.Addr)}
	}
	if c.Routes, err = ParseRoutes(getenv("GATEWAY_ROUTES")); err != nil {
		return nil, err
	}
	if err := c.loadSecret(getenv("GATEWAY_SHARED_SECRET")); err != nil {
		return nil, err
	}
	if err := c.loadMetricsAddr(getenv("GATEWAY_METRICS_ADDR")); err != nil {
		return nil, err
	}
	return c, c.loadUpstreamTimeout(getenv("GATEWAY_UPSTREAM_TIMEOUT"))
}

// check requires what verifying tokens and reading revocations need.
func (c *Config) check() error {
	k := c.App.Clerk
	if c.App.DatabaseURL == "" {
		return &config.Error{Var: "DATABASE_URL", Problem: "is required: the gateway refuses the sessions the app records as revoked (revoked_sessions)"}
	}
	if k.SecretKey == "" && k.FrontendAPIURL == "" {
		return &config.Error{Var: "CLERK_SECRET_KEY", Problem: "or CLERK_PUBLISHABLE_KEY / CLERK_FRONTEND_API_URL is required to load Clerk's signing keys"}
	}
	if c.App.Production() && c.App.UsesEmulator() {
		return &config.Error{Var: "CLERK_FRONTEND_API_URL", Problem: "points at a local Clerk emulator, which production refuses"}
	}
	return nil
}

func (c *Config) loadSecret(v string) error {
	switch {
	case v == "" && c.App.Production():
		return &config.Error{Var: "GATEWAY_SHARED_SECRET", Problem: "is required in production (32+ random bytes shared with the services, e.g. `openssl rand -base64 48`)"}
	case v == "":
		c.Secret, c.SecretDefault = []byte(DevSharedSecret), true
	case len(v) < 32:
		return &config.Error{Var: "GATEWAY_SHARED_SECRET", Problem: "must be at least 32 bytes (value not shown)"}
	default:
		c.Secret = []byte(v)
	}
	return nil
}

func (c *Config) loadMetricsAddr(v string) error {
	v = strings.TrimSpace(v)
	if v == "" && !c.App.Production() {
		v, c.MetricsAddrDefault = "127.0.0.1:9091", true
	}
	if v == "" || v == "off" {
		return nil
	}
	if _, _, err := net.SplitHostPort(v); err != nil {
		return &config.Error{Var: "GATEWAY_METRICS_ADDR", Problem: "must be host:port (or \"off\"), got " + strconv.Quote(v)}
	}
	c.MetricsAddr = v
	return nil
}

func (c *Config) loadUpstreamTimeout(v string) error {
	c.UpstreamTimeout = DefaultUpstreamTimeout
	if v = strings.TrimSpace(v); v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > 10*time.Minute {
		return &config.Error{Var: "GATEWAY_UPSTREAM_TIMEOUT", Problem: "must be a duration from 1ms to 10m such as 30s, got " + strconv.Quote(v)}
	}
	c.UpstreamTimeout = d
	return nil
}

// Clerk is the verifier's configuration, the app's Clerk settings.
func (c *Config) Clerk() clerkauth.Config {
	k := c.App.Clerk
	return clerkauth.Config{FrontendAPIURL: k.FrontendAPIURL, SecretKey: k.SecretKey, APIURL: k.APIURL, AuthorizedParties: k.AuthorizedParties}
}
