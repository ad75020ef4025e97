// Package apptest starts the whole product for tests, the way `make run`
// does: a fresh migrated database, the Clerk emulator in-process, and the app
// (internal/app.Run) on a free port, wired to each other.
package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/session"
	"github.com/go-jose/go-jose/v3"
	josejwt "github.com/go-jose/go-jose/v3/jwt"
	"gorm.io/gorm"

	"example.com/saas/internal/app"
	"example.com/saas/internal/clerkdev"
	"example.com/saas/internal/devpg"
	"example.com/saas/internal/testenv"
)

// Stack is a running app with its emulator and database.
type Stack struct {
	// URL is the app's base URL (http://localhost:<port>).
	URL string
	Emu *clerkdev.Server
	// EmuURL is the emulator's base URL (http://127.0.0.1:<port>).
	EmuURL string
	// DB is a connection to the app's database for assertions.
	DB    *gorm.DB
	DBURL string
	// Logs holds everything the app logged.
	Logs *SyncBuffer
	vars map[string]string
	// FrontendRequests counts requests to the emulator's Frontend API and
	// hosted pages (handshakes, sign-in), which Stats does not count.
	FrontendRequests atomic.Int64
}

// Options adjust a Stack.
type Options struct {
	// Env overrides app settings.
	Env map[string]string
	// DatabaseURL, when set, turns the fresh test database's URL into the
	// one the app connects with (for example through PgBouncer).
	DatabaseURL func(direct string) string
	// NoWebhooks switches the emulator's deliveries off: the app hears of
	// nothing Clerk does (a webhook endpoint not yet configured, or lost
	// deliveries).
	NoWebhooks bool
}

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

// signingKey is shared by every emulator of a test binary: RSA key
// generation is the slowest part of starting one.
func signingKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		var err error
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatalf("generate key: %v", err)
		}
	})
	return key
}

// Start runs the stack until the test ends.
func Start(t testing.TB, opts Options) *Stack {
	t.Helper()
	s := &Stack{Logs: &SyncBuffer{}}
	port := FreePort(t)
	s.URL = "http://localhost:" + strconv.Itoa(port)

	webhookURL := s.URL + "/webhooks/clerk"
	if opts.NoWebhooks {
		webhookURL = ""
	}
	// The hosted pages and the handshake only redirect to the app's origin
	// (the emulator's allowed redirect origins), with or without webhooks.
	allowed := []string{s.URL}
	if base, err := url.Parse(opts.Env["BASE_URL"]); err == nil && (base.Scheme == "http" || base.Scheme == "https") && base.Host != "" {
		allowed = append(allowed, base.Scheme+"://"+base.Host)
	}
	emu, err := clerkdev.New(clerkdev.Config{
		WebhookURL:             webhookURL,
		AllowedRedirectOrigins: allowed,
		RetrySchedule:          []time.Duration{0, 50 * time.Millisecond, 200 * time.Millisecond, time.Second, 2 * time.Second},
		SigningKey:             signingKey(t),
	})
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	emuLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Emu, s.EmuURL = emu, "http://"+emuLn.Addr().String()
	emu.SetBaseURL(s.EmuURL)
	emuSrv := &http.Server{Handler: s.countFrontend(emu.Handler())}
	go emuSrv.Serve(emuLn)
	t.Cleanup(func() { emuSrv.Close(); emu.Close() })

	s.DB, s.DBURL = testenv.DB(t)
	vars := map[string]string{
		"PORT":                         strconv.Itoa(port),
		"BASE_URL":                     s.URL,
		"DATABASE_URL":                 appDatabaseURL(opts, s.DBURL),
		"SESSION_SECRET":               "test-session-secret-0123456789abcdef",
		"METRICS_ADDR":                 "off",
		"CLERK_SECRET_KEY":             emu.SecretKey(),
		"CLERK_PUBLISHABLE_KEY":        emu.PublishableKey(),
		"CLERK_API_URL":                s.EmuURL + "/v1",
		"CLERK_FRONTEND_API_URL":       s.EmuURL,
		"CLERK_WEBHOOK_SIGNING_SECRET": emu.WebhookSecret(),
	}
	for k, v := range opts.Env {
		vars[k] = v
	}
	s.vars = vars
	s.startApp(t, vars)
	emu.DeliverSeed() // as make run does: the app learns the seeded users
	return s
}

func appDatabaseURL(opts Options, direct string) string {
	if opts.DatabaseURL != nil {
		return opts.DatabaseURL(direct)
	}
	return direct
}

// StartInstance starts another app instance on a free port with the same
// database, emulator and secrets (overridden by env), as a second instance
// behind a load balancer would run, and returns its base URL.
func (s *Stack) StartInstance(t testing.TB, env map[string]string) string {
	t.Helper()
	vars := maps.Clone(s.vars)
	port := FreePort(t)
	vars["PORT"] = strconv.Itoa(port)
	vars["BASE_URL"] = "http://localhost:" + strconv.Itoa(port)
	for k, v := range env {
		vars[k] = v
	}
	s.startApp(t, vars)
	return vars["BASE_URL"]
}

// startApp runs app.Run with vars until the test ends.
func (s *Stack) startApp(t testing.TB, vars map[string]string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	env := app.Env{
		Getenv: func(k string) string { return vars[k] },
		Stdout: io.Discard,
		Stderr: s.Logs,
		Ready:  func(string) { close(ready) },
	}
	go func() { done <- app.Run(ctx, []string{"serve"}, env) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("app did not start: %v\n%s", err, s.Logs)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("app did not start within 30s")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("app stopped with %v", err)
		}
	})
}

func (s *Stack) countFrontend(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") || strings.HasPrefix(r.URL.Path, "/v1/client") {
			if !strings.HasPrefix(r.URL.Path, "/__clerkdev") {
				s.FrontendRequests.Add(1)
			}
		}
		h.ServeHTTP(w, r)
	})
}

// ClientConfig returns clerk-sdk-go settings for the emulator's Backend API.
func (s *Stack) ClientConfig() *clerk.ClientConfig {
	return &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		Key: clerk.String(s.Emu.SecretKey()),
		URL: clerk.String(s.EmuURL + "/v1"),
	}}
}

// Seeded users and organizations of the emulator (internal/clerkdev/seed.go).
const (
	Alice  = "user_2alice000000000000000000000" // admin of acme, member of globex
	Bob    = "user_2bob00000000000000000000000" // member of acme
	Carol  = "user_2carol000000000000000000000" // admin of globex
	Acme   = "org_2acme0000000000000000000000"
	Globex = "org_2globex00000000000000000000"
)

// Session creates a Clerk session for userID with orgID active ("" for
// none) through the emulator's Backend API (active_organization_id is the
// emulator's extension), and returns its id and a session token valid for
// ten minutes.
func (s *Stack) Session(t testing.TB, userID, orgID string) (sessionID, token string) {
	t.Helper()
	body := map[string]string{"user_id": userID}
	if orgID != "" {
		body["active_organization_id"] = orgID
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.EmuURL+"/v1/sessions", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+s.Emu.SecretKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sess struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&sess); err != nil || resp.StatusCode != 200 {
		t.Fatalf("create session: %d %v", resp.StatusCode, err)
	}
	tok, err := session.NewClient(s.ClientConfig()).CreateToken(context.Background(), &session.CreateTokenParams{ID: sess.ID, ExpiresInSeconds: clerk.Int64(600)})
	if err != nil {
		t.Fatal(err)
	}
	return sess.ID, tok.JWT
}

// SignToken signs claims with the emulator's current key (kid
// ins_clerkdev_1), for tokens Clerk would never issue: expired, future,
// another issuer or azp. Claims not given default to a valid session token
// of alice.
func (s *Stack) SignToken(t testing.TB, claims map[string]any) string {
	t.Helper()
	now := time.Now().Unix()
	c := map[string]any{"iss": s.EmuURL, "sub": Alice, "sid": "sess_forged", "iat": now, "nbf": now - 10, "exp": now + 60, "v": 2}
	for k, v := range claims {
		c[k] = v
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: signingKey(t)},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", clerkdev.InstanceID+"_1"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := josejwt.Signed(signer).Claims(c).CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// SignIn walks the hosted sign-in with c (a Browser) and no JavaScript,
// with the seeded password, and returns the final response (body open): app → handshake (dev browser) → hosted page → form post →
// back to the app → handshake (dev-browser-sync) → signed in.
func (s *Stack) SignIn(t testing.TB, c *http.Client, email, returnPath string) *http.Response {
	t.Helper()
	resp, err := c.Get(s.URL + "/sign-in?redirect_url=" + url.QueryEscape(returnPath))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The hosted page: on the emulator, or on whatever stands in front of it.
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/sign-in" || strings.HasPrefix(resp.Request.URL.String(), s.URL) {
		t.Fatalf("GET /sign-in ended at %s (%d), want the hosted sign-in page", resp.Request.URL, resp.StatusCode)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	doc.Find("form input").Each(func(_ int, in *goquery.Selection) {
		if name, ok := in.Attr("name"); ok {
			v, _ := in.Attr("value")
			form.Set(name, v)
		}
	})
	form.Set("identifier", email)
	form.Set("password", "password")
	action, _ := doc.Find("form").Attr("action")
	target, _ := resp.Request.URL.Parse(action)
	resp, err = c.PostForm(target.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// SignedIn walks the hosted sign-in as email and returns a browser client
// that follows redirects and one that does not (to see a form post's own
// answer), sharing the cookies.
func (s *Stack) SignedIn(t testing.TB, email string) (follow, noFollow *http.Client) {
	t.Helper()
	c := s.Browser(t)
	resp := s.SignIn(t, c, email, "/orgs")
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/orgs" {
		t.Fatalf("sign-in of %s ended at %s (%d)", email, resp.Request.URL, resp.StatusCode)
	}
	nf := *c
	nf.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, &nf
}

// Browser returns an HTTP client with a cookie jar that behaves like a page
// navigation: it follows redirects and says it wants HTML.
func (s *Stack) Browser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Transport: documentTransport{}, Timeout: 30 * time.Second}
}

// documentTransport marks GET requests as top-level page loads, as a
// browser's navigation would.
type documentTransport struct{}

func (documentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", "text/html,application/xhtml+xml")
	}
	if r.Method == http.MethodGet && r.Header.Get("Sec-Fetch-Dest") == "" && r.Header.Get("HX-Request") == "" {
		r.Header.Set("Sec-Fetch-Dest", "document")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// StartSynced is Start, then waits until the seed's webhooks have synced
// its users, organizations and memberships.
func StartSynced(t testing.TB, opts Options) *Stack {
	t.Helper()
	s := Start(t, opts)
	s.WaitForWebhooks(t)
	var n int64
	s.DB.Raw("SELECT count(*) FROM memberships").Scan(&n)
	if n < 4 {
		t.Fatalf("after the seed's webhooks: %d memberships locally, want 4", n)
	}
	return s
}

// WaitForWebhooks waits until the emulator has delivered everything due.
func (s *Stack) WaitForWebhooks(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Emu.WaitIdle(ctx); err != nil {
		t.Fatalf("webhooks not delivered: %v", err)
	}
}

// FreePort is devpg.FreePort for tests.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := devpg.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// SyncBuffer is a bytes buffer safe for concurrent writes (the app's log).
type SyncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger returns a logger that writes into b.
func (b *SyncBuffer) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }
