package faults_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/paths"
)

// TestDatabaseLostMidRequest cuts the database connection of a tenant write
// while it is inside its transaction: a lock held from another connection
// parks the request on a known statement, then every backend of the
// database but the test's own is terminated. The transaction had written,
// so it is not run again: the client gets 503 with Retry-After (JSON for
// the API, the form again with the input for pages) without internals, the
// transaction leaves nothing behind (the project is unchanged and no audit
// event exists, even when the project's UPDATE had already run), and the
// same app keeps serving reads and writes afterwards.
//
// The start-up case (database down when the app starts) is
// internal/app TestDatabaseDownAtStartRecovers.
func TestDatabaseLostMidRequest(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	_, token := s.Session(t, apptest.Alice, apptest.Acme)
	_, browser := s.SignedIn(t, "alice@example.com")

	// Parked at the UPDATE: nothing of the request's transaction is written
	// yet. Parked at the audit INSERT: the project's UPDATE has run inside
	// the transaction, so only atomicity keeps it from surviving.
	const (
		lockProjectRow  = "SELECT 1 FROM projects WHERE id = $1 FOR UPDATE"
		lockAuditTable  = "LOCK TABLE audit_events IN SHARE MODE"
		atProjectUpdate = `UPDATE "projects"`
		atAuditInsert   = `INSERT INTO "audit_events"`
	)
	api := func(id string) func() response {
		return func() response {
			return apiCall(t, s, token, http.MethodPatch, "/api/v1/projects/"+id, map[string]any{"name": "Changed"})
		}
	}
	page := func(id string) func() response {
		return func() response {
			form := url.Values{"name": {"Changed"}, "description": {""}, "status": {"active"}}
			return pageCall(t, s, browser, http.MethodPost, paths.EditProject("acme", id), form)
		}
	}
	cases := []struct {
		name      string
		lock      string
		blockedAt string
		send      func(id string) func() response
		json      bool
	}{
		{"API update parked at the project row", lockProjectRow, atProjectUpdate, api, true},
		{"API update parked at the audit insert", lockAuditTable, atAuditInsert, api, true},
		{"page form parked at the audit insert", lockAuditTable, atAuditInsert, page, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			created := apiCall(t, s, token, http.MethodPost, "/api/v1/projects", map[string]any{"name": "Original"})
			var p struct{ ID string }
			if err := json.Unmarshal([]byte(created.body), &p); created.status != 201 || err != nil {
				t.Fatalf("create: %d %s", created.status, created.body)
			}

			// Fill the app's pool with connections used a moment ago, so the
			// fault also kills idle ones the pool would hand out next.
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() { apiCall(t, s, token, http.MethodGet, "/api/v1/projects", nil) })
			}
			wg.Wait()

			ctx := context.Background()
			locker := pgConnect(t, s.DBURL)
			tx, err := locker.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var args []any
			if strings.Contains(tc.lock, "$1") {
				args = append(args, p.ID)
			}
			if _, err := tx.Exec(ctx, tc.lock, args...); err != nil {
				t.Fatal(err)
			}

			answer := make(chan response, 1)
			go func() { answer <- tc.send(p.ID)() }()
			// A second connection watches: pg_stat_activity is a snapshot
			// taken once per transaction, and the locker is in one.
			watcher := pgConnect(t, s.DBURL)
			pid := waitForBlocked(t, watcher, tc.blockedAt)

			// The database goes away under the app: every connection but
			// the locker's is terminated, the request's first.
			var killed bool
			if err := watcher.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&killed); err != nil || !killed {
				t.Fatalf("terminate the request's backend: %v", err)
			}
			tag, err := watcher.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), $1)`, locker.PgConn().PID())
			t.Logf("terminated the request's backend and %d others", tag.RowsAffected())
			if err != nil {
				t.Fatalf("terminate the other backends: %v", err)
			}
			var got response
			select {
			case got = <-answer:
			case <-time.After(20 * time.Second):
				t.Fatal("no answer after the database connection died")
			}
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}

			// A write is never run again: it answers 503, to be sent again.
			if got.status != http.StatusServiceUnavailable || got.header.Get("Retry-After") == "" {
				t.Errorf("status = %d (Retry-After %q), want 503 with Retry-After; body %s", got.status, got.header.Get("Retry-After"), got.body)
			}
			if w := leaked(got.body); len(w) > 0 {
				t.Errorf("the answer shows internals %q:\n%s", w, got.body)
			}
			if tc.json {
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal([]byte(got.body), &e); err != nil || e.Error.Code != "database_unavailable" || e.Error.Message == "" {
					t.Errorf("API answer = %s, want the JSON error envelope with code database_unavailable", got.body)
				}
			} else if !strings.Contains(got.header.Get("Content-Type"), "text/html") || !strings.Contains(got.body, "try again") ||
				!strings.Contains(got.body, `value="Changed"`) {
				t.Errorf("page answer (%s) is not the form again with the user's input and a message:\n%s", got.header.Get("Content-Type"), got.body)
			}

			// Nothing of the transaction survived.
			if n := queryInt(t, s.DBURL, "SELECT count(*) FROM projects WHERE id = $1 AND name = 'Original'", p.ID); n != 1 {
				t.Errorf("the project changed although its transaction died")
			}
			if n := queryInt(t, s.DBURL, "SELECT count(*) FROM audit_events WHERE target_id = $1 AND action = 'project.updated'", p.ID); n != 0 {
				t.Errorf("%d audit events of the dead transaction were committed", n)
			}

			// The same app serves reads and writes again at once.
			recovered(t, s, token, "/api/v1/projects/"+p.ID)
			for i := range 5 {
				if r := apiCall(t, s, token, http.MethodGet, "/api/v1/projects/"+p.ID, nil); r.status != 200 {
					t.Errorf("read %d after recovery = %d %s", i, r.status, r.body)
				}
			}
			if r := apiCall(t, s, token, http.MethodPatch, "/api/v1/projects/"+p.ID, map[string]any{"name": "Changed later"}); r.status != 200 {
				t.Errorf("write after the fault = %d %s", r.status, r.body)
			}
			if r := pageCall(t, s, browser, http.MethodGet, "/orgs/acme/projects", nil); r.status != 200 {
				t.Errorf("page after the fault = %d", r.status)
			}
			if n := queryInt(t, s.DBURL, "SELECT count(*) FROM audit_events WHERE target_id = $1 AND action = 'project.updated'", p.ID); n != 1 {
				t.Errorf("after the fault: %d audit events for the later update, want 1", n)
			}
		})
	}
}

// recovered checks the first request after the fault already succeeds:
// the pool pings its connections once one was found dead, and drops the
// others the fault killed without failing a request for each.
func recovered(t *testing.T, s *apptest.Stack, token, path string) {
	t.Helper()
	if r := apiCall(t, s, token, http.MethodGet, path, nil); r.status != http.StatusOK {
		t.Errorf("the first request after the fault = %d %s, want 200", r.status, r.body)
	}
}

// waitForBlocked waits until a backend of the test database waits on a
// lock in a statement containing stmt, and returns its pid.
func waitForBlocked(t *testing.T, c *pgx.Conn, stmt string) int {
	t.Helper()
	var pid int
	waitFor(t, "a request blocked in "+stmt, 10*time.Second, func() bool {
		err := c.QueryRow(context.Background(), `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()
			  AND wait_event_type = 'Lock' AND strpos(query, $1) > 0 LIMIT 1`, stmt).Scan(&pid)
		return err == nil
	})
	return pid
}

// lockWaiters counts the backends of the test database waiting on a lock
// in a statement containing stmt.
func lockWaiters(t *testing.T, c *pgx.Conn, stmt string) int {
	t.Helper()
	var n int
	err := c.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
		  AND wait_event_type = 'Lock' AND strpos(query, $1) > 0`, stmt).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
