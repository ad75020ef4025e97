package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/saas/internal/apptest"
)

// response is what a test keeps of an answer.
type response struct {
	status int
	body   string
	header http.Header
}

// apiCall sends a JSON request with a Bearer token.
func apiCall(t *testing.T, s *apptest.Stack, token, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return do(t, http.DefaultClient, req)
}

// pageCall sends a page request with the browser's cookies; form (if any)
// is posted urlencoded from the app's own origin, as a browser would.
func pageCall(t *testing.T, s *apptest.Stack, c *http.Client, method, path string, form url.Values) response {
	t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", s.URL)
	}
	return do(t, c, req)
}

// do sends req; a transport error fails the test (with Errorf, so it may
// run in any goroutine) and answers status 0.
func do(t *testing.T, c *http.Client, req *http.Request) response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", req.Method, req.URL.Path, err)
		return response{}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(raw), resp.Header}
}

// internals are words that must never reach a user: driver, network and
// Go runtime details.
var internals = []string{"SQLSTATE", "pgconn", "pgx", "gorm", "terminating connection", "dial tcp",
	"connection refused", "connect:", "goroutine", "panic", ".go:", "runtime error", "context deadline"}

// leaked returns the internals body shows.
func leaked(body string) []string {
	var out []string
	for _, w := range internals {
		if strings.Contains(body, w) {
			out = append(out, w)
		}
	}
	return out
}

// pgConnect opens a direct connection to the test database (a superuser,
// so row-level security does not hide rows from assertions), closed at the
// end of the test.
func pgConnect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// queryInt runs a one-number query on a fresh connection (the test's own
// pool may hold connections a fault killed).
func queryInt(t *testing.T, dbURL, sql string, args ...any) int {
	t.Helper()
	c := pgConnect(t, dbURL)
	var n int
	if err := c.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// waitFor polls cond until it holds, failing the test after timeout. The
// timeout only bounds a hang; no test asserts how long anything takes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clerkSwitch is a TCP proxy standing between the app and the Clerk
// emulator. Down closes its listener and every connection through it, so
// the app then gets "connection refused" from Clerk, as in an outage.
type clerkSwitch struct {
	ln     net.Listener
	mu     sync.Mutex
	target string
	conns  map[net.Conn]struct{}
	down   bool
}

func newClerkSwitch(t *testing.T) *clerkSwitch {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &clerkSwitch{ln: ln, conns: map[net.Conn]struct{}{}}
	t.Cleanup(p.Down)
	go p.serve()
	return p
}

// URL is the proxy's base URL.
func (p *clerkSwitch) URL() string { return "http://" + p.ln.Addr().String() }

// Forward sets the emulator's address (host:port).
func (p *clerkSwitch) Forward(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

func (p *clerkSwitch) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

func (p *clerkSwitch) pipe(c net.Conn) {
	p.mu.Lock()
	target, down := p.target, p.down
	p.mu.Unlock()
	if down || target == "" {
		c.Close()
		return
	}
	up, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, up) {
		return
	}
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// track registers a pair of connections, or closes them if Down ran first.
func (p *clerkSwitch) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

// Down takes Clerk away: no new connections, and open ones are cut.
func (p *clerkSwitch) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return
	}
	p.down = true
	p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
}
