// Package clerkdev is a local, in-memory emulator of the parts of Clerk that this project
// uses: the Backend API (as clerk-sdk-go v2 calls it), session tokens and JWKS, the
// development Frontend API handshake with its dev browser, hosted sign-in/sign-up/sign-out
// pages, and Svix-signed webhooks.
//
// It is for development and tests only. It never talks to clerk.com and refuses live keys.
//
// # Allowed redirect origins
//
// The handshake (GET /v1/client/handshake) sends the browser back to its redirect_url with
// the session and the dev-browser token, and the hosted pages send it back with the
// dev-browser token (__clerk_db_jwt) in the URL. Like Clerk with an instance's allowed
// redirect origins, the emulator therefore only redirects to origins it knows:
//
//   - Config.AllowedRedirectOrigins (cmd/clerkdev: CLERKDEV_ALLOWED_REDIRECT_ORIGINS,
//     comma-separated), such as "http://localhost:8080";
//   - the origin of Config.WebhookURL (the app); and
//   - the emulator's own origin (BaseURL).
//
// An origin is scheme://host[:port]: another scheme, port or subdomain is another origin,
// and default ports are implied. The loopback names localhost, 127.0.0.1 and [::1] count
// as one host. Any other redirect_url, or one carrying a user name, is refused before
// anything happens: the handshake answers 400 with Clerk's error envelope (code
// form_param_value_invalid, meta.param_name "redirect_url"), the hosted pages answer 400
// with an error page and no form. A redirect_url that is not an absolute http(s) URL
// (relative, javascript:) is refused as before (form_param_format_invalid). cmd/dev and
// internal/stack (for the tests, the soak and the benchmark) pass the app's origin.
//
// # Organization invitations and the outbox
//
// The emulator sends no email. It keeps every email Clerk would have sent (today the
// organization invitations) in its outbox, newest first: GET /__clerkdev/emails is a page,
// ?format=json the same as a JSON array (Email), and ?to=<address> keeps one recipient's.
//
// An invitation's email links to the Frontend API's GET /v1/tickets/accept?ticket=<ticket>
// (also the invitation's url). The ticket is a JWT with Clerk's claims: iid (the instance),
// sid (the invitation), st ("organization_invitation"), exp and eis; it is signed (HS256)
// with a key the Server makes in New. The link checks the ticket and answers as Clerk
// does: without a redirect_url, to the hosted /sign-up (no account has the address) or
// /sign-in (one has) with __clerk_ticket; with one, to the redirect_url (an allowed
// redirect origin) with __clerk_ticket and __clerk_status: sign_up, sign_in, or complete
// when this browser is signed in as the invited account already, in which case the
// invitation is accepted there and then.
//
// With __clerk_ticket the hosted pages show the invited address, fixed: the sign-up asks
// for a password and names, the sign-in for nothing more (the ticket proves the address).
// Completing either accepts the invitation: organizationInvitation.accepted, then
// organizationMembership.created (the invitation's role and metadata), then
// session.created. A ticket works once; one of a revoked, accepted or expired invitation
// gets an error page. Nothing else accepts an invitation: creating a user with an invited
// address, or signing in without the ticket, leaves it pending, as in Clerk.
package clerkdev

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	svix "github.com/svix/svix-webhooks/go"
)

const (
	// DefaultSecretKey is the Backend API secret key used when Config.SecretKey is empty.
	DefaultSecretKey = "sk_test_clerkdev"
	// DefaultWebhookSecret is the Svix signing secret used when Config.WebhookSecret is empty.
	// It is public on purpose: the emulator is a development tool.
	DefaultWebhookSecret = "whsec_Y2xlcmtkZXYtbG9jYWwtd2ViaG9vay1zaWduaW5nLWtleQ=="
	// InstanceID is the instance id carried by webhook events.
	InstanceID = "ins_clerkdev"
	// ClientCookie is the HttpOnly cookie the emulator sets on its own host to remember
	// the browser's client (the counterpart of Clerk's __client).
	ClientCookie = "__clerkdev_client"
)

// DefaultRetrySchedule is Svix's retry schedule: the delay before each attempt.
func DefaultRetrySchedule() []time.Duration {
	return []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
		2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
}

// ParseRetrySchedule reads a retry schedule written as comma-separated
// durations, the delay before each attempt (CLERKDEV_RETRY_SCHEDULE), such
// as "0,200ms,500ms,1s,2s": the first is usually 0 (at once), as in
// Svix's. "" is nil: DefaultRetrySchedule.
func ParseRetrySchedule(v string) ([]time.Duration, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var out []time.Duration
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		d, err := time.ParseDuration(f)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("retry schedule: %q is not a duration such as 0, 500ms or 5s", f)
		}
		out = append(out, d)
	}
	return out, nil
}

// Config configures a Server. The zero value is usable.
type Config struct {
	// SecretKey is the Backend API bearer key; default DefaultSecretKey. sk_live_ keys are refused.
	SecretKey string
	// WebhookURL receives the events; "" disables deliveries.
	WebhookURL string
	// WebhookSecret is the Svix secret ("whsec_..."); default DefaultWebhookSecret.
	WebhookSecret string
	// Seed is the initial state; nil means DefaultSeed().
	Seed *Seed
	// Logger receives the emulator's logs; nil discards them.
	Logger *slog.Logger
	// RetrySchedule is the delay before each delivery attempt; default DefaultRetrySchedule().
	RetrySchedule []time.Duration
	// Now is the clock for object timestamps and tokens; default time.Now. Webhook
	// scheduling and Svix timestamps always use the wall clock, as receivers check them.
	Now func() time.Time
	// HTTPClient sends webhook deliveries; default a client with a 10 s timeout.
	HTTPClient *http.Client
	// PreferNonceHandshake answers format=nonce handshakes with a nonce instead of a token.
	PreferNonceHandshake bool
	// SigningKey is the first RSA signing key; nil generates a 2048-bit key.
	// Tests may share one key to save the generation time.
	SigningKey *rsa.PrivateKey
	// AllowedRedirectOrigins are the origins ("http://localhost:8080") the handshake and
	// the hosted pages may send the browser back to, as Clerk's allowed redirect origins.
	// The origin of WebhookURL and the emulator's own origin are always allowed; any
	// other redirect_url is refused with 400. localhost, 127.0.0.1 and [::1] are one host.
	AllowedRedirectOrigins []string
}

// Server is one emulated Clerk instance. Create it with New.
type Server struct {
	cfg     Config
	log     *slog.Logger
	wh      *svix.Webhook
	queue   *webhookQueue
	handler http.Handler
	tmpl    *template.Template
	// allowedOrigins holds the origin keys (see originKey) of Config.AllowedRedirectOrigins
	// and of WebhookURL; read-only after New.
	allowedOrigins map[string]bool
	// ticketKey signs invitation tickets; read-only after New.
	ticketKey []byte

	mu          sync.Mutex
	baseURL     string
	keys        []*signingKey
	currentKid  string
	keySerial   int
	users       map[string]*user
	orgs        map[string]*org
	memberships map[string]*membership
	invitations map[string]*invitation
	roles       map[string]*role
	permissions map[string]*permission
	sessions    map[string]*session
	clients     map[string]*client
	devBrowsers map[string]string // dev browser token → client id
	nonces      map[string][]string
	lastStamp   int64
	stats       map[string]int
	seed        Seed
	outbox      []Email // oldest first

	// appInvitations are the application invitations (app_invitations.go), by id.
	appInvitations map[string]*appInvitation
	// jwtTemplates are the seed's JWT templates (jwt_templates.go), by name.
	jwtTemplates map[string]*jwtTemplate
	// domains are the organizations' domains (domains.go), suggestions the
	// organization suggestions they made (suggestions.go), connections the
	// enterprise connections (enterprise.go); all by id.
	domains     map[string]*orgDomain
	suggestions map[string]*suggestion
	connections map[string]*connection
}

// New builds a Server from cfg, loads the seed and starts the webhook worker.
// Call SetBaseURL before serving requests.
func New(cfg Config) (*Server, error) {
	if cfg.SecretKey == "" {
		cfg.SecretKey = DefaultSecretKey
	}
	if strings.HasPrefix(cfg.SecretKey, "sk_live_") || strings.HasPrefix(cfg.SecretKey, "live_") {
		return nil, errors.New("clerkdev: refusing a live Clerk secret key (sk_live_); the emulator is for development only")
	}
	if cfg.WebhookSecret == "" {
		cfg.WebhookSecret = DefaultWebhookSecret
	}
	if cfg.RetrySchedule == nil {
		cfg.RetrySchedule = DefaultRetrySchedule()
	}
	if len(cfg.RetrySchedule) == 0 {
		cfg.RetrySchedule = []time.Duration{0}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wh, err := svix.NewWebhook(cfg.WebhookSecret)
	if err != nil {
		return nil, fmt.Errorf("clerkdev: webhook secret: %w", err)
	}
	s := &Server{
		cfg:         cfg,
		log:         log,
		wh:          wh,
		baseURL:     "http://127.0.0.1:8081",
		users:       map[string]*user{},
		orgs:        map[string]*org{},
		memberships: map[string]*membership{},
		invitations: map[string]*invitation{},
		roles:       map[string]*role{},
		permissions: map[string]*permission{},
		sessions:    map[string]*session{},
		clients:     map[string]*client{},
		devBrowsers: map[string]string{},
		nonces:      map[string][]string{},
		stats:       map[string]int{},
		ticketKey:   []byte(randomString(32)),
	}
	s.appInvitations = map[string]*appInvitation{}
	s.domains = map[string]*orgDomain{}
	s.suggestions = map[string]*suggestion{}
	s.connections = map[string]*connection{}
	if err := s.initAllowedOrigins(); err != nil {
		return nil, err
	}
	if err := s.addKey(cfg.SigningKey); err != nil {
		return nil, err
	}
	s.queue = newWebhookQueue(cfg.WebhookURL, wh, cfg.HTTPClient, cfg.RetrySchedule, log)
	seed := DefaultSeed()
	if cfg.Seed != nil {
		seed = *cfg.Seed
	}
	if err := s.loadSeed(seed); err != nil {
		s.queue.close()
		return nil, err
	}
	s.tmpl = pagesTemplate()
	s.handler = s.routes()
	return s, nil
}

// Handler returns the handler serving the Backend API, the Frontend API, the hosted pages
// and the /__clerkdev endpoints.
func (s *Server) Handler() http.Handler { return s.handler }

// SetBaseURL sets the emulator's public URL (Frontend API URL and token issuer), for
// example "http://127.0.0.1:8081". A "localhost" host is rewritten to 127.0.0.1 because
// Clerk's publishable-key parser needs a dot in the host.
func (s *Server) SetBaseURL(u string) {
	u = strings.TrimRight(u, "/")
	if pu, err := url.Parse(u); err == nil && pu.Hostname() == "localhost" {
		host := "127.0.0.1"
		if p := pu.Port(); p != "" {
			host = net.JoinHostPort(host, p)
		}
		pu.Host = host
		u = pu.String()
	}
	s.mu.Lock()
	s.baseURL = u
	s.mu.Unlock()
}

// BaseURL returns the emulator's public URL, also the `iss` of its tokens.
func (s *Server) BaseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// PublishableKey returns "pk_test_" + unpadded base64 of "<host:port>$" for BaseURL.
func (s *Server) PublishableKey() string {
	return publishableKey(s.BaseURL())
}

// SecretKey returns the Backend API secret key.
func (s *Server) SecretKey() string { return s.cfg.SecretKey }

// RetrySchedule is the delays before each delivery attempt, written as
// CLERKDEV_RETRY_SCHEDULE takes them.
func (s *Server) RetrySchedule() string {
	parts := make([]string, len(s.cfg.RetrySchedule))
	for i, d := range s.cfg.RetrySchedule {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// WebhookSecret returns the Svix signing secret of the deliveries.
func (s *Server) WebhookSecret() string { return s.cfg.WebhookSecret }

// Close stops the webhook worker; pending deliveries are dropped.
func (s *Server) Close() { s.queue.close() }

// Stats returns the number of Backend API calls per route pattern, such as
// "GET /v1/users/{id}". Frontend API, page and /__clerkdev requests are not counted.
func (s *Server) Stats() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.stats))
	for k, v := range s.stats {
		out[k] = v
	}
	return out
}

// ResetStats zeroes the Backend API call counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	s.stats = map[string]int{}
	s.mu.Unlock()
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// stampLocked returns a strictly increasing millisecond timestamp, so that objects
// created in the same millisecond still sort by creation.
func (s *Server) stampLocked() int64 {
	ms := s.now().UnixMilli()
	if ms <= s.lastStamp {
		ms = s.lastStamp + 1
	}
	s.lastStamp = ms
	return ms
}
