// Package apptest starts the whole product for tests, the way `make run`
// does: a fresh migrated database, the Clerk emulator in-process, and the app
// (internal/app.Run) on a free port, wired to each other.
package apptest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"gorm.io/gorm"

	"example.com/saas/internal/app"
	"example.com/saas/internal/clerkdev"
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
	// FrontendRequests counts requests to the emulator's Frontend API and
	// hosted pages (handshakes, sign-in), which Stats does not count.
	FrontendRequests atomic.Int64
}

// Options adjust a Stack.
type Options struct {
	// Env overrides app settings.
	Env map[string]string
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
	port := freePort(t)
	s.URL = "http://localhost:" + strconv.Itoa(port)

	emu, err := clerkdev.New(clerkdev.Config{
		WebhookURL:    s.URL + "/webhooks/clerk",
		RetrySchedule: []time.Duration{0, 50 * time.Millisecond, 200 * time.Millisecond, time.Second, 2 * time.Second},
		SigningKey:    signingKey(t),
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
		"DATABASE_URL":                 s.DBURL,
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
		emu.DeliverSeed() // as make run does: the app learns the seeded users
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
	return s
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

// WaitForWebhooks waits until the emulator has delivered everything due.
func (s *Stack) WaitForWebhooks(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Emu.WaitIdle(ctx); err != nil {
		t.Fatalf("webhooks not delivered: %v", err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
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
