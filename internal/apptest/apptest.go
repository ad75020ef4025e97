// Package apptest starts the whole product for tests, the way `make run`
// does: a fresh migrated database, the Clerk emulator in-process, and the app
// (internal/app.Run) on a free port, wired to each other (internal/stack).
package apptest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"example.com/saas/internal/clerkdev"
	"example.com/saas/internal/devpg"
	"example.com/saas/internal/stack"
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
	vars             map[string]string
	emulator         *stack.Emulator
	// app is the first instance (StopApp, StartApp).
	app *stack.App
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
	// Seed is the emulator's seed; nil means clerkdev.DefaultSeed().
	Seed *clerkdev.Seed
}

// testRetrySchedule is the emulator's retry schedule in tests unless
// Env sets CLERKDEV_RETRY_SCHEDULE: Svix's, compressed to seconds.
var testRetrySchedule = []time.Duration{0, 50 * time.Millisecond, 200 * time.Millisecond, time.Second, 2 * time.Second}

// signingKey is shared by every emulator of a test binary: RSA key
// generation is the slowest part of starting one.
var signingKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// testKey is signingKey for tests.
func testKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	key, err := signingKey()
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return key
}

// Start runs the stack until the test ends.
func Start(t testing.TB, opts Options) *Stack {
	t.Helper()
	s := &Stack{Logs: &SyncBuffer{}}
	// The app's port is held until the app starts: a port only chosen, not
	// held, was once handed to the emulator, and once taken by another
	// listener while the test's database was being cloned.
	hold, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := hold.Addr().(*net.TCPAddr).Port
	s.URL = stack.BaseURL(port)
	s.emulator = s.startEmulator(t, opts)
	s.Emu, s.EmuURL = s.emulator.Server, s.emulator.BaseURL()
	s.DB, s.DBURL = testenv.DB(t)
	s.vars = stack.Settings(s.emulator, port, appDatabaseURL(opts, s.DBURL))
	maps.Copy(s.vars, opts.Env)
	hold.Close()
	s.startApp(t, s.vars)
	s.Emu.DeliverSeed() // as make run does: the app learns the seeded users
	return s
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

// startEmulator serves the emulator, with deliveries to the app unless
// opts.NoWebhooks, until the test ends. The hosted pages and the handshake
// only redirect to the app's origin (and BASE_URL's when opts sets it),
// with or without webhooks.
func (s *Stack) startEmulator(t testing.TB, opts Options) *stack.Emulator {
	t.Helper()
	var extraOrigins []string
	if base, err := url.Parse(opts.Env["BASE_URL"]); err == nil && (base.Scheme == "http" || base.Scheme == "https") && base.Host != "" {
		extraOrigins = append(extraOrigins, base.Scheme+"://"+base.Host)
	}
	schedule := testRetrySchedule
	if v := opts.Env["CLERKDEV_RETRY_SCHEDULE"]; v != "" {
		var err error
		if schedule, err = clerkdev.ParseRetrySchedule(v); err != nil {
			t.Fatalf("CLERKDEV_RETRY_SCHEDULE: %v", err)
		}
	}
	emu, err := stack.StartEmulator(context.Background(), stack.EmulatorConfig{
		AppURL:     s.URL,
		NoWebhooks: opts.NoWebhooks,
		Clerk: clerkdev.Config{
			AllowedRedirectOrigins: extraOrigins,
			RetrySchedule:          schedule,
			SigningKey:             testKey(t),
			Seed:                   opts.Seed,
		},
		Wrap: s.countFrontend,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	return emu
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
	// A free port can be taken by another test process before the app
	// binds it; this instance's port is its own choice, so it tries again.
	for attempt := 1; ; attempt++ {
		vars := maps.Clone(s.vars)
		port := FreePort(t)
		vars["PORT"], vars["BASE_URL"] = strconv.Itoa(port), stack.BaseURL(port)
		maps.Copy(vars, env)
		_, err := s.runApp(t, vars)
		if err == nil {
			return vars["BASE_URL"]
		}
		if attempt == 3 || !strings.Contains(err.Error(), "already in use") {
			t.Fatalf("%v\n%s", err, s.Logs)
		}
	}
}

// startApp runs the app with vars until the test ends (or StopApp).
func (s *Stack) startApp(t testing.TB, vars map[string]string) {
	t.Helper()
	a, err := s.runApp(t, vars)
	if err != nil {
		t.Fatalf("%v\n%s", err, s.Logs)
	}
	s.app = a
}

// StopApp shuts the app down as SIGTERM would; the emulator and the
// database stay, so Clerk's deliveries to the app now fail. StartApp
// starts it again.
func (s *Stack) StopApp(t testing.TB) {
	t.Helper()
	if err := s.app.Stop(); err != nil {
		t.Fatalf("app stopped with %v", err)
	}
}

// StartApp starts the app again after StopApp, at the same address (the
// emulator's webhook URL) with the same settings.
func (s *Stack) StartApp(t testing.TB) {
	t.Helper()
	s.startApp(t, s.vars)
}

// runApp starts the app with vars and stops it when the test ends.
func (s *Stack) runApp(t testing.TB, vars map[string]string) (*stack.App, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := stack.StartApp(ctx, vars, s.Logs)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if err := a.Stop(); err != nil { // again after StopApp: the same answer
			t.Errorf("app stopped with %v", err)
		}
	})
	return a, nil
}

// countFrontend counts the requests h gets that are not Backend API calls
// (nor the emulator's own /__clerkdev endpoints) in FrontendRequests.
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
