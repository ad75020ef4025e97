package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/session"
	"github.com/jackc/pgx/v5"

	"example.com/saas/internal/app"
	"example.com/saas/internal/clerkdev"
	"example.com/saas/internal/devpg"
)

// stack is the product running in this process, as `make run` runs it: a
// fresh database on the local cluster (or DATABASE_URL's server), the Clerk
// emulator, and the app.
type stack struct {
	url    string // the app's base URL
	emu    *clerkdev.Server
	emuURL string
	dbURL  string
	dbName string
	logs   *logCounter
	stop   func()
}

// startStack starts everything; stop undoes it, dropping the database
// unless keep.
func startStack(ctx context.Context, keep bool) (*stack, error) {
	admin, err := devpg.Server(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return nil, err
	}
	s := &stack{logs: &logCounter{}}
	var undo []func()
	s.stop = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	fail := func(err error) (*stack, error) { s.stop(); return nil, err }

	s.dbName = "soak_" + randomHex(4)
	if err := devpg.Exec(ctx, admin, "CREATE DATABASE "+s.dbName); err != nil {
		return nil, fmt.Errorf("create database %s: %w", s.dbName, err)
	}
	s.dbURL = devpg.WithDatabase(admin, s.dbName)
	if !keep {
		undo = append(undo, func() {
			dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := devpg.Exec(dctx, admin, "DROP DATABASE IF EXISTS "+s.dbName+" WITH (FORCE)"); err != nil {
				fmt.Fprintf(os.Stderr, "soak: drop database %s: %v\n", s.dbName, err)
			}
		})
	}

	port, err := devpg.FreePort()
	if err != nil {
		return fail(err)
	}
	s.url = "http://localhost:" + strconv.Itoa(port)
	emuCtx, stopEmu := context.WithCancel(context.Background())
	s.emu, _, err = clerkdev.Start(emuCtx, "127.0.0.1:0", clerkdev.Config{WebhookURL: s.url + "/webhooks/clerk"})
	if err != nil {
		stopEmu()
		return fail(err)
	}
	undo = append(undo, stopEmu)
	s.emuURL = s.emu.BaseURL()

	secret := make([]byte, 32)
	rand.Read(secret)
	vars := map[string]string{
		"APP_ENV":                      "development",
		"PORT":                         strconv.Itoa(port),
		"BASE_URL":                     s.url,
		"DATABASE_URL":                 s.dbURL,
		"SESSION_SECRET":               hex.EncodeToString(secret),
		"METRICS_ADDR":                 "off",
		"CLERK_SECRET_KEY":             s.emu.SecretKey(),
		"CLERK_PUBLISHABLE_KEY":        s.emu.PublishableKey(),
		"CLERK_API_URL":                s.emuURL + "/v1",
		"CLERK_FRONTEND_API_URL":       s.emuURL,
		"CLERK_WEBHOOK_SIGNING_SECRET": s.emu.WebhookSecret(),
		// One address and two users send everything: the soak measures
		// the app, not the per-user and per-address limiters.
		"API_RATE_LIMIT":     "0",
		"WEBHOOK_RATE_LIMIT": "0",
	}
	appCtx, stopApp := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	env := app.Env{
		Getenv: func(k string) string { return vars[k] },
		Stdout: io.Discard,
		Stderr: s.logs,
		Ready:  func(string) { close(ready) },
	}
	go func() { done <- app.Run(appCtx, []string{"serve"}, env) }()
	select {
	case <-ready:
	case err := <-done:
		stopApp()
		return fail(fmt.Errorf("the app did not start: %w\n%s", err, s.logs.notable()))
	case <-time.After(60 * time.Second):
		stopApp()
		return fail(errors.New("the app did not start within 60s"))
	}
	undo = append(undo, func() {
		stopApp()
		if err := <-done; err != nil {
			fmt.Fprintf(os.Stderr, "soak: the app stopped with %v\n", err)
		}
	})

	// As make run does: the app learns the seeded users and organizations.
	s.emu.DeliverSeed()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.emu.WaitIdle(wctx); err != nil {
		return fail(fmt.Errorf("seed webhooks: %w", err))
	}
	return s, nil
}

// dbConnections counts the sessions connected to the soak's database.
func (s *stack) dbConnections(ctx context.Context) (int, error) {
	return s.count(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
}

// count runs a one-number query on the soak's database (as its owner, so
// row-level security does not apply).
func (s *stack) count(ctx context.Context, sql string, args ...any) (int, error) {
	conn, err := pgx.Connect(ctx, s.dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, sql, args...).Scan(&n)
	return n, err
}

// SDKs do, so a run of any length stays signed in.
type tenantSession struct {
	slug      string
	sessionID string
	signedIn  int64 // unix seconds, for __client_uat
	token     atomic.Pointer[string]
}

// emulatorClient makes the harness's own calls to the emulator (sessions,
// token refreshes). It keeps no idle connections, whose goroutines would
// blur the goroutine count.
var emulatorClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// newTenantSession creates the session (active_organization_id is the
// emulator's extension of POST /v1/sessions) and its first token.
func newTenantSession(ctx context.Context, s *stack, userID, orgID, slug string) (*tenantSession, error) {
	body, _ := json.Marshal(map[string]string{"user_id": userID, "active_organization_id": orgID})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.emuURL+"/v1/sessions", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.emu.SecretKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := emulatorClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var sess struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&sess); err != nil || resp.StatusCode != 200 {
		return nil, fmt.Errorf("create a session for %s: %d %v", userID, resp.StatusCode, err)
	}
	ts := &tenantSession{slug: slug, sessionID: sess.ID, signedIn: time.Now().Unix() - 1}
	return ts, ts.refresh(ctx, s)
}

func (ts *tenantSession) refresh(ctx context.Context, s *stack) error {
	client := session.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		Key: clerk.String(s.emu.SecretKey()), URL: clerk.String(s.emuURL + "/v1"), HTTPClient: emulatorClient,
	}})
	tok, err := client.CreateToken(ctx, &session.CreateTokenParams{ID: ts.sessionID, ExpiresInSeconds: clerk.Int64(120)})
	if err != nil {
		return fmt.Errorf("session token: %w", err)
	}
	ts.token.Store(&tok.JWT)
	return nil
}

// keepFresh refreshes the token every 30 s until ctx ends.
func (ts *tenantSession) keepFresh(ctx context.Context, s *stack, failures *atomic.Int64) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := ts.refresh(ctx, s); err != nil && ctx.Err() == nil {
				failures.Add(1)
			}
		}
	}
}

// Token returns the current session token.
func (ts *tenantSession) Token() string { return *ts.token.Load() }

// logCounter receives the app's log: it counts lines by level and keeps the
// first warnings and errors (access lines, at info, are only counted).
type logCounter struct {
	mu      sync.Mutex
	partial []byte
	levels  map[string]int
	kept    []string
}

func (l *logCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.levels == nil {
		l.levels = map[string]int{}
	}
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		level := "OTHER"
		for _, lv := range []string{"DEBUG", "INFO", "WARN", "ERROR"} {
			if strings.Contains(line, "level="+lv+" ") {
				level = lv
				break
			}
		}
		l.levels[level]++
		if (level == "WARN" || level == "ERROR") && len(l.kept) < 20 {
			if len(line) > 300 {
				line = line[:300] + "…"
			}
			l.kept = append(l.kept, line)
		}
	}
	l.partial = append([]byte(nil), l.partial...) // do not pin a large buffer
	return len(p), nil
}

// count returns how many lines were logged at level.
func (l *logCounter) count(level string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.levels[level]
}

// notable returns the first warnings and errors.
func (l *logCounter) notable() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.kept, "\n")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// rssBytes is the process's resident set size (Linux; 0 elsewhere).
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
