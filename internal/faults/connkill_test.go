package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/paths"
)

// The app's connections are told apart by application_name (internal/app
// sets it), so the harness never terminates its own.
const appBackends = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE datname = current_database() AND application_name = 'app' AND pid <> pg_backend_pid()`

// killRounds terminates every backend of the app twice, one second apart
// (what a failover, a PgBouncer restart or an idle-connection reaper does),
// after a second of load, and returns how many backends each round ended.
func killRounds(t *testing.T, dbURL string) []int64 {
	t.Helper()
	c := pgConnect(t, dbURL)
	var killed []int64
	for range 2 {
		time.Sleep(time.Second)
		tag, err := c.Exec(context.Background(), appBackends)
		if err != nil {
			t.Fatalf("terminate the app's backends: %v", err)
		}
		if tag.RowsAffected() == 0 {
			t.Fatal("the app had no backend to terminate")
		}
		killed = append(killed, tag.RowsAffected())
	}
	time.Sleep(time.Second) // load goes on after the last round
	return killed
}

// logFailures shows the app's log lines of failed requests (the errors
// behind the answers).
func logFailures(t *testing.T, s *apptest.Stack) {
	t.Helper()
	for line := range strings.Lines(s.Logs.String()) {
		if strings.Contains(line, "request failed") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

// hammer runs workers, each calling its send in a loop until stop is closed.
func hammer(sends []func(worker, i int), stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w, send := range sends {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				send(w, i)
			}
		})
	}
	return &wg
}

// TestReadsSurviveTerminatedConnections: 16 clients read pages and the API
// without pause while every connection of the app — the pool's and the
// listener's — is terminated twice, one second apart. Not one answer is an
// error: a read that was on a dying connection runs again on a fresh one.
func TestReadsSurviveTerminatedConnections(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{Env: map[string]string{"API_RATE_LIMIT": "0"}})
	_, token := s.Session(t, apptest.Alice, apptest.Acme)
	follow, _ := s.SignedIn(t, "alice@example.com")
	created := apiCall(t, s, token, http.MethodPost, "/api/v1/projects", map[string]any{"name": "Read under faults"})
	var p struct{ ID string }
	if err := json.Unmarshal([]byte(created.body), &p); created.status != http.StatusCreated || err != nil {
		t.Fatalf("create: %d %s", created.status, created.body)
	}

	pages := []string{"/orgs/acme", "/orgs/acme/projects", paths.Project("acme", p.ID), "/orgs/acme/members", "/account"}
	apis := []string{"/api/v1/projects", "/api/v1/projects/" + p.ID, "/api/v1/me", "/api/v1/members", "/api/v1/projects/" + p.ID + "/tasks"}
	var total atomic.Int64
	var mu sync.Mutex
	var failures []string
	check := func(path string, r response) {
		total.Add(1)
		if r.status != http.StatusOK {
			mu.Lock()
			failures = append(failures, fmt.Sprintf("%s = %d %.200s", path, r.status, r.body))
			mu.Unlock()
		}
	}
	var sends []func(w, i int)
	for range 8 {
		sends = append(sends, func(w, i int) {
			path := pages[(w+i)%len(pages)]
			check(path, pageCall(t, s, follow, http.MethodGet, path, nil))
		}, func(w, i int) {
			path := apis[(w+i)%len(apis)]
			check(path, apiCall(t, s, token, http.MethodGet, path, nil))
		})
	}
	stop := make(chan struct{})
	wg := hammer(sends, stop)
	killed := killRounds(t, s.DBURL)
	close(stop)
	wg.Wait()

	t.Logf("%d reads by 16 clients; backends terminated: %v; error answers: %d", total.Load(), killed, len(failures))
	if len(failures) > 0 {
		logFailures(t, s)
	}
	for i, f := range failures {
		if i == 10 {
			t.Errorf("… and %d more", len(failures)-10)
			break
		}
		t.Errorf("error answer: %s", f)
	}
}

// TestWritesUnderTerminatedConnections: 16 clients create projects, half
// through the API, half with the page form, while every connection of the
// app is terminated twice. Each answer is a success (201, or 303 for the
// form) or 503 with Retry-After (the form shown again with its input);
// none is anything else. Nothing is written partially: each created project
// has its audit event, and the database holds exactly the projects that
// were answered as created — none of those answered 503.
func TestWritesUnderTerminatedConnections(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{Env: map[string]string{"API_RATE_LIMIT": "0"}})
	_, token := s.Session(t, apptest.Alice, apptest.Acme)
	_, browser := s.SignedIn(t, "alice@example.com")

	var mu sync.Mutex
	var made, refused, failures []string
	record := func(name string, r response, okStatus int) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.status == okStatus:
			made = append(made, name)
		case r.status == http.StatusServiceUnavailable && r.header.Get("Retry-After") != "":
			refused = append(refused, name)
			if okStatus == http.StatusSeeOther && !strings.Contains(r.body, `value="`+name+`"`) {
				failures = append(failures, name+": the 503 form lost the user's input")
			}
			if w := leaked(r.body); len(w) > 0 {
				failures = append(failures, fmt.Sprintf("%s: the 503 shows internals %q", name, w))
			}
		default:
			failures = append(failures, fmt.Sprintf("%s = %d (Retry-After %q) %.200s", name, r.status, r.header.Get("Retry-After"), r.body))
		}
	}
	var sends []func(w, i int)
	for range 8 {
		sends = append(sends, func(w, i int) {
			name := fmt.Sprintf("api-%02d-%04d", w, i)
			record(name, apiCall(t, s, token, http.MethodPost, "/api/v1/projects", map[string]any{"name": name}), http.StatusCreated)
		}, func(w, i int) {
			name := fmt.Sprintf("form-%02d-%04d", w, i)
			record(name, pageCall(t, s, browser, http.MethodPost, "/orgs/acme/projects", url.Values{"name": {name}}), http.StatusSeeOther)
		})
	}
	stop := make(chan struct{})
	wg := hammer(sends, stop)
	killed := killRounds(t, s.DBURL)
	close(stop)
	wg.Wait()
	t.Logf("%d writes by 16 clients; backends terminated: %v; created %d, 503 %d, other answers %d",
		len(made)+len(refused)+len(failures), killed, len(made), len(refused), len(failures))
	for _, f := range failures {
		t.Errorf("answer: %s", f)
	}
	if len(failures) > 0 {
		logFailures(t, s)
	}

	// The database holds exactly what was answered as created, each with
	// its audit event.
	c := pgConnect(t, s.DBURL)
	rows, err := c.Query(context.Background(), `SELECT p.name, count(DISTINCT p.id), count(a.id) FROM projects p
		LEFT JOIN audit_events a ON a.target_id = p.id::text AND a.action = 'project.created'
		WHERE p.name LIKE 'api-%' OR p.name LIKE 'form-%' GROUP BY p.name`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string][2]int{}
	for rows.Next() {
		var name string
		var projects, events int
		if err := rows.Scan(&name, &projects, &events); err != nil {
			t.Fatal(err)
		}
		stored[name] = [2]int{projects, events}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, name := range made {
		if got := stored[name]; got != [2]int{1, 1} {
			t.Errorf("%s was answered as created; stored %d projects with %d audit events, want 1 with 1", name, got[0], got[1])
		}
		delete(stored, name)
	}
	for name, got := range stored {
		t.Errorf("%s is stored (%d projects, %d audit events) but was not answered as created", name, got[0], got[1])
	}
	if orphans := queryInt(t, s.DBURL, `SELECT count(*) FROM audit_events a WHERE a.action = 'project.created'
		AND NOT EXISTS (SELECT 1 FROM projects p WHERE p.id::text = a.target_id)`); orphans != 0 {
		t.Errorf("%d audit events of projects that do not exist", orphans)
	}
}
