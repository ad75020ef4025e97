package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/saas/internal/clerkdev"
	"example.com/saas/internal/devpg"
)

// The benchmark's tenant: one user, admin of one organization. Fixed ids,
// so the scale mode can write the same rows with SQL.
const (
	benchUserID = "user_2benchuser0000000000000000"
	benchOrgID  = "org_2benchorg00000000000000000"
	benchSlug   = "bench"
	benchEmail  = "bench@example.com"
	// listSize is how many projects the list page shows (its page size).
	listSize = 20
)

func benchSeed() *clerkdev.Seed {
	return &clerkdev.Seed{
		Users:         []clerkdev.SeedUser{{ID: benchUserID, Email: benchEmail, FirstName: "Bench", LastName: "User"}},
		Organizations: []clerkdev.SeedOrganization{{ID: benchOrgID, Name: "Bench Co", Slug: benchSlug}},
		Memberships:   []clerkdev.SeedMembership{{Email: benchEmail, Slug: benchSlug, Role: "org:admin"}},
	}
}

// emulator is the Clerk emulator served in this process.
type emulator struct {
	*clerkdev.Server
	url  string
	srv  *http.Server
	stop func()
}

// startEmulator serves the emulator on a free port; webhookURL "" disables
// deliveries.
func startEmulator(webhookURL string) (*emulator, error) {
	emu, err := clerkdev.New(clerkdev.Config{
		WebhookURL:    webhookURL,
		Seed:          benchSeed(),
		RetrySchedule: []time.Duration{0, 100 * time.Millisecond, time.Second},
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		emu.Close()
		return nil, err
	}
	e := &emulator{Server: emu, url: "http://" + ln.Addr().String()}
	emu.SetBaseURL(e.url)
	e.srv = &http.Server{Handler: emu.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go e.srv.Serve(ln)
	e.stop = func() { e.srv.Close(); emu.Close() }
	return e, nil
}

// appEnv is the app's configuration for a run against emu and dbURL.
func appEnv(emu *emulator, dbURL string, port, pool int) map[string]string {
	return map[string]string{
		// Postgres runs on the same CPUs: a pool past 2 per CPU only adds
		// backends competing for them (docs/performance.md, "Pool and gate").
		"DB_MAX_CONNS":                 fmt.Sprint(pool),
		"PORT":                         fmt.Sprint(port),
		"BASE_URL":                     fmt.Sprintf("http://localhost:%d", port),
		"DATABASE_URL":                 dbURL,
		"APP_ENV":                      "development",
		"SESSION_SECRET":               "bench-session-secret-0123456789abcdef",
		"METRICS_ADDR":                 "off",
		"CLERK_SECRET_KEY":             emu.SecretKey(),
		"CLERK_PUBLISHABLE_KEY":        emu.PublishableKey(),
		"CLERK_API_URL":                emu.url + "/v1",
		"CLERK_FRONTEND_API_URL":       emu.url,
		"CLERK_WEBHOOK_SIGNING_SECRET": emu.WebhookSecret(),
		// One user drives all the load, from one address: the per-user API
		// limit (default 50/s) and per-address webhook limit (1,000/s) would
		// measure the limiter, not the app. The limiters still run.
		"API_RATE_LIMIT":     "1000000",
		"WEBHOOK_RATE_LIMIT": "1000000",
	}
}

// bapi calls the emulator's Backend API with its secret key.
func (e *emulator) bapi(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.url+"/v1"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+e.SecretKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// mintToken creates a session for the bench user with the bench org active
// and returns a session token valid for ttl, and its iat.
func (e *emulator) mintToken(ctx context.Context, ttl time.Duration) (string, int64, error) {
	var sess struct {
		ID string `json:"id"`
	}
	if err := e.bapi(ctx, http.MethodPost, "/sessions", map[string]string{"user_id": benchUserID, "active_organization_id": benchOrgID}, &sess); err != nil {
		return "", 0, err
	}
	var tok struct {
		JWT string `json:"jwt"`
	}
	if err := e.bapi(ctx, http.MethodPost, "/sessions/"+sess.ID+"/tokens", map[string]int64{"expires_in_seconds": int64(ttl.Seconds())}, &tok); err != nil {
		return "", 0, err
	}
	iat, err := issuedAt(tok.JWT)
	return tok.JWT, iat, err
}

// issuedAt reads iat from a token's payload without verifying it.
func issuedAt(token string) (int64, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return 0, fmt.Errorf("malformed token")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, err
	}
	var c struct {
		Iat int64 `json:"iat"`
	}
	err = json.Unmarshal(b, &c)
	return c.Iat, err
}

// seedProjects writes n projects of the bench organization with SQL (as the
// superuser: row-level security does not apply), newest first by name.
func seedProjects(ctx context.Context, dbURL string, n int) error {
	return devpg.Exec(ctx, dbURL, `
INSERT INTO projects (organization_id, name, description, status, created_by, created_at, updated_at)
SELECT $1, format('Project %s', lpad(g::text, 3, '0')),
       format('Sample project %s: planning, tasks and the notes a team keeps while shipping it.', g),
       CASE WHEN g % 4 = 0 THEN 'archived' ELSE 'active' END, $2,
       now() - make_interval(mins => $3 - g), now() - make_interval(mins => $3 - g)
FROM generate_series(1, $3) g`, benchOrgID, benchUserID, n)
}

// settle vacuums and analyzes the freshly written tables and checkpoints,
// so neither autovacuum nor a checkpoint starts in the middle of a
// measured round (both would land on the two servers' rounds unevenly).
func settle(ctx context.Context, dbURL string) error {
	for _, stmt := range []string{"VACUUM ANALYZE", "CHECKPOINT"} {
		if err := devpg.Exec(ctx, dbURL, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// waitSynced waits until the app's webhook handler has written the bench
// user's membership.
func waitSynced(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM memberships WHERE organization_id = $1 AND user_id = $2`, benchOrgID, benchUserID).Scan(&n)
		if err == nil && n == 1 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the app did not sync the seeded membership from webhooks within 20s")
}

// credentials are what the load generator sends.
type credentials struct {
	token string
	iat   int64
}

// pageHeader returns the headers of a signed-in browser's page navigation:
// Clerk's cookies (__session, __client_uat, the dev browser) plus the
// cookies the app sets on the first visits (its own session), collected
// by following Set-Cookie until the app sets none, as a browser would.
func pageHeader(ctx context.Context, baseURL, path string, c credentials) (http.Header, []byte, error) {
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(baseURL)
	jar.SetCookies(u, []*http.Cookie{
		{Name: "__session", Value: c.token, Path: "/"},
		{Name: "__client_uat", Value: fmt.Sprint(c.iat), Path: "/"},
		// The middleware only needs a dev browser to be present.
		{Name: "__clerk_db_jwt", Value: "dvb_bench", Path: "/"},
	})
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	h := http.Header{"Accept": {"text/html,application/xhtml+xml"}, "Sec-Fetch-Dest": {"document"}}
	var body []byte
	for i := 0; ; i++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+path, nil)
		req.Header = h.Clone()
		resp, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, nil, fmt.Errorf("GET %s: status %d (%s)", path, resp.StatusCode, resp.Header.Get("Location"))
		}
		if len(resp.Cookies()) == 0 {
			break
		}
		if i == 5 {
			return nil, nil, fmt.Errorf("GET %s: still setting cookies after %d visits", path, i)
		}
	}
	var pairs []string
	for _, ck := range jar.Cookies(u) {
		pairs = append(pairs, ck.Name+"="+ck.Value)
	}
	h.Set("Cookie", strings.Join(pairs, "; "))
	return h, body, nil
}

// apiHeader is a mobile or service client's: the token as Bearer.
func apiHeader(c credentials) http.Header {
	return http.Header{"Authorization": {"Bearer " + c.token}, "Accept": {"application/json"}}
}

// fetch GETs path with h and returns the body of a 200.
func fetch(ctx context.Context, baseURL, path string, h http.Header) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+path, nil)
	req.Header = h.Clone()
	client := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d: %.200s", path, resp.StatusCode, b)
	}
	return b, nil
}

// checkPage verifies a list page shows want projects.
func checkPage(body []byte, want int) error {
	if n := bytes.Count(body, []byte(`data-testid="project-item"`)); n != want {
		return fmt.Errorf("page lists %d projects, want %d", n, want)
	}
	return nil
}

// checkAPI verifies an API list answers want projects.
func checkAPI(body []byte, want int) error {
	var v struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("API list: %w", err)
	}
	if len(v.Data) != want {
		return fmt.Errorf("API lists %d projects, want %d", len(v.Data), want)
	}
	return nil
}
