package faults_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/devpg"
)

// TestDatabaseStoppedAnswersFast stops the app's Postgres server (a
// cluster of the test's own, never the shared one) under a signed-in
// user: pages and the API answer 503 with Retry-After in well under the
// 15 s request deadline, as the friendly page and the API's envelope, and
// /readyz says 503; nothing waits for a pool that cannot connect. Once the
// server is back, the same app serves again.
func TestDatabaseStoppedAnswersFast(t *testing.T) {
	t.Parallel()
	cluster := ownCluster(t)
	s := apptest.Start(t, apptest.Options{
		Env:         map[string]string{"API_RATE_LIMIT": "0"},
		DatabaseURL: func(string) string { return cluster.URL("saas") },
	})
	waitFor(t, "the seed synced to the app's own database", 20*time.Second, func() bool {
		return queryInt(t, cluster.URL("saas"), "SELECT count(*) FROM memberships") >= 4
	})
	_, token := s.Session(t, apptest.Alice, apptest.Acme)
	follow, _ := s.SignedIn(t, "alice@example.com")
	if r := pageCall(t, s, follow, http.MethodGet, "/orgs/acme/projects", nil); r.status != http.StatusOK {
		t.Fatalf("before the outage: %d", r.status)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := devpg.Stop(ctx, cluster); err != nil {
		t.Fatalf("stop the app's Postgres: %v", err)
	}

	checks := []struct {
		name string
		send func() response
		json bool
	}{
		{"project list page", func() response { return pageCall(t, s, follow, http.MethodGet, "/orgs/acme/projects", nil) }, false},
		{"dashboard", func() response { return pageCall(t, s, follow, http.MethodGet, "/orgs/acme", nil) }, false},
		{"API project list", func() response { return apiCall(t, s, token, http.MethodGet, "/api/v1/projects", nil) }, true},
		{"API create", func() response {
			return apiCall(t, s, token, http.MethodPost, "/api/v1/projects", map[string]any{"name": "During the outage"})
		}, true},
	}
	for round := range 2 { // the first requests after the loss, then later ones
		for _, c := range checks {
			start := time.Now()
			r := c.send()
			took := time.Since(start)
			t.Logf("round %d, %s: %d in %s", round+1, c.name, r.status, took.Round(time.Millisecond))
			if took > 2*time.Second {
				t.Errorf("%s with the database stopped took %s, want under 2 s", c.name, took)
			}
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
				t.Errorf("%s with the database stopped = %d (Retry-After %q), want 503 with Retry-After:\n%.400s",
					c.name, r.status, r.header.Get("Retry-After"), r.body)
			}
			if w := leaked(r.body); len(w) > 0 {
				t.Errorf("%s shows internals %q", c.name, w)
			}
			if c.json {
				var e struct{ Error struct{ Code string } }
				if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Error.Code != "database_unavailable" {
					t.Errorf("%s = %.300s, want the envelope with code database_unavailable", c.name, r.body)
				}
			} else if !strings.Contains(r.body, "Temporarily unavailable") {
				t.Errorf("%s is not the 503 page:\n%.400s", c.name, r.body)
			}
		}
	}
	if r := do(t, http.DefaultClient, mustRequest(http.MethodGet, s.URL+"/readyz")); r.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database stopped = %d, want 503", r.status)
	}

	if _, err := devpg.Ensure(ctx, cluster); err != nil {
		t.Fatalf("start the app's Postgres again: %v", err)
	}
	waitFor(t, "pages after the database came back", 20*time.Second, func() bool {
		return pageCall(t, s, follow, http.MethodGet, "/orgs/acme/projects", nil).status == http.StatusOK
	})
}

// ownCluster initialises and starts a Postgres cluster for this test alone
// (its own data directory and port) with an empty database saas, the app
// migrating it at start; the cluster is stopped and removed at the end.
func ownCluster(t *testing.T) devpg.Cluster {
	t.Helper()
	port := apptest.FreePort(t)
	c := devpg.Cluster{Dir: filepath.Join(t.TempDir(), "postgres"), Port: port}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := devpg.Ensure(ctx, c)
	if err != nil {
		t.Fatalf("start a cluster of the test's own: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if devpg.Running(c) {
			if err := devpg.Stop(ctx, c); err != nil {
				t.Errorf("stop the test's cluster: %v", err)
			}
		}
		if target, err := os.Readlink(c.Dir); err == nil {
			os.RemoveAll(target) // as root the data lives where the server's user can reach it
		}
	})
	if err := devpg.CreateDatabase(ctx, c, "saas"); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDatabaseUnreachableAnswersFast cuts the app off from Postgres the
// way a dead host or a network partition does: open connections are cut,
// and new ones are accepted by nobody that ever answers. Requests answer
// 503 once DB_CONNECT_TIMEOUT (here 500 ms) has passed, not after the 15 s
// request deadline.
func TestDatabaseUnreachableAnswersFast(t *testing.T) {
	t.Parallel()
	var hole *blackhole
	s := apptest.StartSynced(t, apptest.Options{
		Env: map[string]string{"API_RATE_LIMIT": "0", "DB_CONNECT_TIMEOUT": "500ms"},
		DatabaseURL: func(direct string) string {
			hole = newBlackhole(t, direct)
			return hole.url
		},
	})
	_, token := s.Session(t, apptest.Alice, apptest.Acme)
	follow, _ := s.SignedIn(t, "alice@example.com")
	if r := pageCall(t, s, follow, http.MethodGet, "/orgs/acme/projects", nil); r.status != http.StatusOK {
		t.Fatalf("before the partition: %d", r.status)
	}

	hole.Swallow()
	for round := range 2 {
		for _, c := range []struct {
			name string
			send func() response
		}{
			{"project list page", func() response { return pageCall(t, s, follow, http.MethodGet, "/orgs/acme/projects", nil) }},
			{"API project list", func() response { return apiCall(t, s, token, http.MethodGet, "/api/v1/projects", nil) }},
		} {
			start := time.Now()
			r := c.send()
			took := time.Since(start)
			t.Logf("round %d, %s: %d in %s", round+1, c.name, r.status, took.Round(time.Millisecond))
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || took > 2*time.Second {
				t.Errorf("%s with the database unreachable = %d (Retry-After %q) in %s, want 503 with Retry-After in under 2 s",
					c.name, r.status, r.header.Get("Retry-After"), took)
			}
		}
	}
}

// blackhole forwards TCP connections to a Postgres server until Swallow;
// from then on it cuts the connections it forwarded and accepts new ones
// without ever answering, like a host that is gone.
type blackhole struct {
	url    string
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
	down   bool
}

func newBlackhole(t *testing.T, dbURL string) *blackhole {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	u.Host = ln.Addr().String()
	b := &blackhole{url: u.String(), ln: ln}
	t.Cleanup(b.close)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go b.serve(c, target)
		}
	}()
	return b
}

func (b *blackhole) serve(c net.Conn, target string) {
	b.mu.Lock()
	down, closed := b.down, b.closed
	b.conns = append(b.conns, c)
	b.mu.Unlock()
	if closed {
		c.Close()
		return
	}
	if down { // accepted, never answered: the dial waits for its timeout
		io.Copy(io.Discard, c)
		return
	}
	up, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	b.mu.Lock()
	b.conns = append(b.conns, up)
	b.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// Swallow cuts every forwarded connection; later ones are swallowed.
func (b *blackhole) Swallow() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down = true
	for _, c := range b.conns {
		c.Close()
	}
	b.conns = nil
}

func (b *blackhole) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.ln.Close()
	for _, c := range b.conns {
		c.Close()
	}
}

// TestStuckQueryIsCancelled: a write whose row another session holds
// locked would wait for ever; DB_STATEMENT_TIMEOUT (here 300 ms) has
// Postgres cancel it, the client gets 503 with Retry-After at once instead
// of after the request deadline, nothing is written, and the connection is
// back in the pool: the app keeps serving while the lock is still held.
func TestStuckQueryIsCancelled(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{Env: map[string]string{"DB_STATEMENT_TIMEOUT": "300ms", "DB_MAX_CONNS": "2", "API_RATE_LIMIT": "0"}})
	_, token := s.Session(t, apptest.Alice, apptest.Acme)
	created := apiCall(t, s, token, http.MethodPost, "/api/v1/projects", map[string]any{"name": "Locked"})
	var p struct{ ID string }
	if err := json.Unmarshal([]byte(created.body), &p); created.status != http.StatusCreated || err != nil {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	ctx := context.Background()
	locker := pgConnect(t, s.DBURL)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT 1 FROM projects WHERE id = $1 FOR UPDATE", p.ID); err != nil {
		t.Fatal(err)
	}
	// More stuck writes than the pool has connections: each gives its
	// connection back when cancelled.
	for i := range 3 {
		start := time.Now()
		r := apiCall(t, s, token, http.MethodPatch, "/api/v1/projects/"+p.ID, map[string]any{"name": "Changed"})
		took := time.Since(start)
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || took > 2*time.Second ||
			!strings.Contains(r.body, `"database_unavailable"`) {
			t.Errorf("stuck write %d = %d (Retry-After %q) in %s, want 503 with Retry-After in under 2 s: %s",
				i+1, r.status, r.header.Get("Retry-After"), took, r.body)
		}
	}
	if r := apiCall(t, s, token, http.MethodGet, "/api/v1/projects", nil); r.status != http.StatusOK {
		t.Errorf("a read while the lock is held = %d, want 200", r.status)
	}
	tx.Rollback(ctx)
	if n := queryInt(t, s.DBURL, "SELECT count(*) FROM projects WHERE id = $1 AND name = 'Locked'", p.ID); n != 1 {
		t.Error("the cancelled write changed the project")
	}
}
