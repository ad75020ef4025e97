package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/saas/internal/config"
	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

func testEnv(vars map[string]string) (Env, *bytes.Buffer) {
	var out bytes.Buffer
	return Env{Getenv: func(k string) string { return vars[k] }, Stdout: &out, Stderr: &out}, &out
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	t.Parallel()
	env, out := testEnv(nil)
	err := Run(context.Background(), []string{"frobnicate"}, env)
	if !errors.Is(err, ErrUsage) {
		t.Fatalf("Run = %v, want ErrUsage", err)
	}
	if !strings.Contains(out.String(), "Usage:") {
		t.Errorf("no usage printed: %q", out)
	}
	if err := Run(context.Background(), []string{"migrate", "sideways"}, env); !errors.Is(err, ErrUsage) {
		t.Errorf("migrate sideways = %v, want ErrUsage", err)
	}
}

func TestBadSettingsStopStartWithOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vars    map[string]string
		wantVar string
	}{
		{"malformed database url", map[string]string{"DATABASE_URL": "not a url"}, "DATABASE_URL"},
		{"missing clerk", map[string]string{"DATABASE_URL": "postgres://u@127.0.0.1:1/x"}, "CLERK_SECRET_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _ := testEnv(tt.vars)
			err := Run(context.Background(), []string{"serve"}, env)
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != tt.wantVar {
				t.Fatalf("Run = %v, want an error naming %s", err, tt.wantVar)
			}
		})
	}
}

// TestDatabaseDownAtStartRecovers starts the server while its database is
// unreachable: it serves, /readyz says 503, and once the database answers
// the migrations run and /readyz says 200, with no restart.
func TestDatabaseDownAtStartRecovers(t *testing.T) {
	t.Parallel()
	dbURL := testenv.EmptyDatabase(t)
	proxy := newSwitchProxy(t, dbURL)
	env, logs := testEnv(serveVars(proxy.url, "0"))
	addr := make(chan string, 1)
	env.Ready = func(a string) { addr <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, nil, env) }()
	defer func() { cancel(); <-done }()
	var base string
	select {
	case a := <-addr:
		if host, _, _ := net.SplitHostPort(a); host != "127.0.0.1" {
			t.Errorf("development server listens on %s, want 127.0.0.1 only", a)
		}
		base = "http://" + a
	case err := <-done:
		t.Fatalf("Run stopped while the database was down: %v", err)
	}
	if code := status(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the database down = %d, want 503", code)
	}
	if code := status(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz with the database down = %d, want 200", code)
	}
	if !strings.Contains(logs.String(), "database unreachable at start") {
		t.Errorf("no clear log line about the database:\n%s", logs)
	}
	proxy.up.Store(true)
	deadline := time.Now().Add(20 * time.Second)
	for status(t, base+"/readyz") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still not 200 after the database came back:\n%s", logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func status(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// switchProxy forwards TCP connections to the test database while up is
// true and drops them otherwise: a database that can go down and come back.
type switchProxy struct {
	url string
	up  atomic.Bool
}

func newSwitchProxy(t *testing.T, dbURL string) *switchProxy {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &switchProxy{}
	u.Host = ln.Addr().String()
	p.url = u.String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.up.Load() {
				c.Close()
				continue
			}
			go pipe(c, target)
		}
	}()
	return p
}

func pipe(c net.Conn, target string) {
	defer c.Close()
	s, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer s.Close()
	go io.Copy(s, c)
	io.Copy(c, s)
}

func TestPortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dbURL := testenv.NewDatabase(t)
	env, _ := testEnv(serveVars(dbURL, itoa(port)))
	err = Run(context.Background(), nil, env)
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "PORT" || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("Run = %v, want a PORT error saying it is in use", err)
	}
}

func TestServeMigratesAndAnswersHealth(t *testing.T) {
	t.Parallel()
	dbURL := testenv.EmptyDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, _ := testEnv(serveVars(dbURL, "0"))
	addr := make(chan string, 1)
	env.Ready = func(a string) { addr <- a }
	done := make(chan error, 1)
	go func() { done <- Run(ctx, nil, env) }()
	var base string
	select {
	case a := <-addr:
		if host, _, _ := net.SplitHostPort(a); host != "127.0.0.1" {
			t.Errorf("development server listens on %s, want 127.0.0.1 only", a)
		}
		base = "http://" + a
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	}
	for _, path := range []string{"/healthz", "/readyz", "/"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
}

// TestGracefulShutdownFinishesInFlight starts a slow request, cancels the
// server's context, and checks the request still completes while new
// connections are refused.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	var finished atomic.Bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		finished.Store(true)
		w.Write([]byte("done"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, newServer(h, log), ln, nil, log) }()

	type result struct {
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- result{string(b), err}
	}()
	<-started
	cancel()
	r := <-res
	if r.err != nil || r.body != "done" || !finished.Load() {
		t.Fatalf("in-flight request = %q, %v; want it to finish", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("serveUntilDone = %v", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

// TestMetricsAddressTaken: the development default being taken (a second
// checkout, another exporter) costs only /metrics, with a warning; an
// address set on purpose that cannot be bound stops start-up with one line.
func TestMetricsAddressTaken(t *testing.T) {
	t.Parallel()
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv, err := startMetrics(&config.Config{MetricsAddr: addr, MetricsAddrDefault: true}, prometheus.NewRegistry(), log)
	if err != nil || srv != nil {
		t.Fatalf("default address taken: server %v, error %v; want no metrics and no error", srv, err)
	}
	if !strings.Contains(logs.String(), "metrics disabled") {
		t.Errorf("no warning logged: %q", logs.String())
	}

	dbURL := testenv.NewDatabase(t)
	vars := serveVars(dbURL, "0")
	vars["METRICS_ADDR"] = addr
	env, _ := testEnv(vars)
	err = Run(context.Background(), nil, env)
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "METRICS_ADDR" || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Run = %v, want one line naming METRICS_ADDR", err)
	}
}

// TestLoggerAddsRequestIDs: in both formats, a line logged with a request's
// context carries its id without the caller adding it.
func TestLoggerAddsRequestIDs(t *testing.T) {
	t.Parallel()
	ctx := models.WithRequestID(context.Background(), "req_1")
	for env, want := range map[string]string{config.EnvDevelopment: "request_id=req_1", config.EnvProduction: `"request_id":"req_1"`} {
		var logs bytes.Buffer
		newLogger(&config.Config{Env: env}, &logs).InfoContext(ctx, "hello")
		if !strings.Contains(logs.String(), want) {
			t.Errorf("%s: log line %q lacks %s", env, logs.String(), want)
		}
	}
}

func serveVars(dbURL, port string) map[string]string {
	return map[string]string{
		"DATABASE_URL":                 dbURL,
		"PORT":                         port,
		"METRICS_ADDR":                 "off",
		"CLERK_SECRET_KEY":             "sk_test_x",
		"CLERK_PUBLISHABLE_KEY":        "pk_test_MTI3LjAuMC4xOjgwODEk",
		"CLERK_FRONTEND_API_URL":       "http://127.0.0.1:1",
		"CLERK_API_URL":                "http://127.0.0.1:1/v1",
		"CLERK_WEBHOOK_SIGNING_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
