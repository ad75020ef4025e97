package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	josejwt "github.com/go-jose/go-jose/v3/jwt"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"example.com/saas/clerkauth"
	"example.com/saas/gatewayauth"
	"example.com/saas/internal/apptest"
	"example.com/saas/internal/clerkdev"
	"example.com/saas/internal/gateway"
	"example.com/saas/internal/live"
)

const secret = "test-gateway-shared-secret-0123456789abcdef"

// upstream is a service behind the gateway: it checks the signature as a
// real service would and records what it got.
type upstream struct {
	*httptest.Server
	mu    sync.Mutex
	calls []call
	// delay holds the answer back (a slow service).
	delay time.Duration
}

type call struct {
	id     gatewayauth.Identity
	err    error
	path   string
	header http.Header
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	v := &gatewayauth.Verifier{Secret: []byte(secret)}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := v.Verify(r)
		u.mu.Lock()
		u.calls = append(u.calls, call{id: id, err: err, path: r.URL.Path, header: r.Header.Clone()})
		delay := u.delay
		u.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
			}
		}
		w.Header().Set("X-Request-Id", r.Header.Get("X-Request-Id")) // as the app does
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) only(t *testing.T) call {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.calls) != 1 {
		t.Fatalf("upstream called %d times, want once", len(u.calls))
	}
	c := u.calls[0]
	u.calls = nil
	return c
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.calls)
}

// fixture is a gateway in front of recording upstreams, verifying the
// emulator's tokens and the app's revocations.
type fixture struct {
	s        *apptest.Stack
	gw       http.Handler
	notes    *upstream
	api      *upstream
	reg      *prometheus.Registry
	logs     *bytes.Buffer
	logsMu   *sync.Mutex
	verifier *clerkauth.Verifier
}

// newFixture routes /notifications/ and /api/ to two upstreams, or as
// routes says when not nil.
func newFixture(t *testing.T, s *apptest.Stack, revoked func(context.Context, string) (bool, error), routes func(notes, api *upstream) string, transport http.RoundTripper) *fixture {
	t.Helper()
	f := &fixture{s: s, notes: newUpstream(t), api: newUpstream(t), reg: prometheus.NewRegistry(), logs: &bytes.Buffer{}, logsMu: &sync.Mutex{}}
	if routes == nil {
		routes = func(notes, api *upstream) string { return "/notifications/=" + notes.URL + ",/api/=" + api.URL }
	}
	rts, err := gateway.ParseRoutes(routes(f.notes, f.api))
	if err != nil {
		t.Fatal(err)
	}
	f.verifier, err = clerkauth.NewVerifier(clerkauth.Config{
		FrontendAPIURL: s.EmuURL, SecretKey: s.Emu.SecretKey(), APIURL: s.EmuURL + "/v1", AuthorizedParties: []string{s.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(lockedWriter{f.logsMu, f.logs}, nil))
	g, err := gateway.New(gateway.Options{
		Routes:    rts,
		Auth:      &clerkauth.Middleware{Verifier: f.verifier, Revoked: revoked},
		Secret:    []byte(secret),
		Log:       log,
		Metrics:   gateway.NewMetrics(f.reg),
		Transport: transport,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.gw = g
	return f
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (f *fixture) log() string {
	f.logsMu.Lock()
	defer f.logsMu.Unlock()
	return f.logs.String()
}

func (f *fixture) do(t *testing.T, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	f.gw.ServeHTTP(w, r)
	return w
}

func bearer(path, token string) *http.Request {
	r := httptest.NewRequest("GET", path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if w.Code != status {
		t.Fatalf("status %d, want %d (%s)", w.Code, status, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != code || body.Error.Message == "" {
		t.Fatalf("body %q, want the error envelope with code %q", w.Body, code)
	}
}

// TestGateway runs every behaviour against one stack (database, emulator,
// app): starting one is most of the cost.
func TestGateway(t *testing.T) {
	s := apptest.StartSynced(t, apptest.Options{})
	revoked := followRevocations(t, s)

	t.Run("valid token reaches the upstream signed", func(t *testing.T) {
		f := newFixture(t, s, revoked.IsRevoked, nil, nil)
		sid, token := s.Session(t, apptest.Alice, apptest.Acme)
		r := bearer("/notifications/preferences?x=1", token)
		r.Header.Set("Cookie", "__session="+token+"; theme=dark; __client_uat=123; __clerk_db_jwt_abc=x")
		w := f.do(t, r)
		if w.Code != 200 || w.Body.String() != `{"ok":true}` {
			t.Fatalf("status %d body %s", w.Code, w.Body)
		}
		c := f.notes.only(t)
		if c.err != nil {
			t.Fatalf("the upstream refused the gateway's signature: %v", c.err)
		}
		want := gatewayauth.Identity{UserID: apptest.Alice, SessionID: sid, OrgID: apptest.Acme, OrgRole: "org:admin", OrgSlug: "acme"}
		if c.id != want {
			t.Fatalf("identity %+v, want %+v", c.id, want)
		}
		if c.path != "/notifications/preferences" {
			t.Errorf("path %q, want it unchanged", c.path)
		}
		if got := c.header.Get("Cookie"); got != "theme=dark" {
			t.Errorf("Cookie %q, want only the service's own cookies", got)
		}
		if got := c.header.Get("Authorization"); got != "Bearer "+token {
			t.Errorf("Authorization not forwarded as Bearer")
		}
		if c.header.Get("X-Forwarded-For") == "" {
			t.Errorf("no X-Forwarded-For")
		}
		if f.api.count() != 0 {
			t.Errorf("the other upstream was called")
		}
	})

	t.Run("cookie token goes upstream as Bearer, cookie stripped", func(t *testing.T) {
		f := newFixture(t, s, revoked.IsRevoked, nil, nil)
		_, token := s.Session(t, apptest.Bob, apptest.Acme)
		r := httptest.NewRequest("PUT", "/notifications/preferences/me", strings.NewReader(`{}`))
		r.AddCookie(&http.Cookie{Name: "__session", Value: token})
		if w := f.do(t, r); w.Code != 200 {
			t.Fatalf("status %d %s", w.Code, w.Body)
		}
		c := f.notes.only(t)
		if c.err != nil || c.id.UserID != apptest.Bob || c.id.OrgRole != "org:member" {
			t.Fatalf("identity %+v err %v", c.id, c.err)
		}
		if c.header.Get("Cookie") != "" || c.header.Get("Authorization") != "Bearer "+token {
			t.Fatalf("Cookie %q Authorization %q", c.header.Get("Cookie"), c.header.Get("Authorization"))
		}
	})

	t.Run("refusals never reach the upstream", func(t *testing.T) {
		f := newFixture(t, s, revoked.IsRevoked, nil, nil)
		now := time.Now().Unix()
		revokedSID, revokedToken := s.Session(t, apptest.Carol, apptest.Globex)
		s.RevokeSession(t, revokedSID)
		s.WaitForWebhooks(t)
		waitRevoked(t, revoked, revokedSID)
		cases := map[string]string{
			"no token":    "",
			"garbage":     "not-a-token",
			"another key": forged(t, s),
			"expired":     s.SignToken(t, map[string]any{"iat": now - 600, "nbf": now - 600, "exp": now - 120}),
			"wrong azp":   s.SignToken(t, map[string]any{"azp": "https://evil.example"}),
			"revoked":     revokedToken,
		}
		for name, token := range cases {
			t.Run(name, func(t *testing.T) {
				r := bearer("/notifications/preferences", token)
				r.Header.Set("X-Clerk-User-Id", apptest.Alice)
				w := f.do(t, r)
				wantError(t, w, http.StatusUnauthorized, "unauthenticated")
				if f.notes.count() != 0 {
					t.Fatal("the upstream was called")
				}
			})
		}
		if body := scrape(t, f.reg); !strings.Contains(body, `gateway_auth_refusals_total{reason="revoked"} 1`) ||
			!strings.Contains(body, `gateway_requests_total{code="401",route="/notifications/"} 6`) {
			t.Errorf("metrics:\n%s", body)
		}
		// A valid token still passes: the refusals were about the tokens.
		_, token := s.Session(t, apptest.Carol, apptest.Globex)
		if w := f.do(t, bearer("/notifications/preferences", token)); w.Code != 200 {
			t.Fatalf("fresh session: %d", w.Code)
		}
	})

	t.Run("client identity headers never reach the upstream", func(t *testing.T) {
		f := newFixture(t, s, revoked.IsRevoked, nil, nil)
		sid, token := s.Session(t, apptest.Bob, "") // no active organization
		r := bearer("/notifications/preferences", token)
		r.Header.Set("X-Clerk-User-Id", apptest.Alice)
		r.Header["x-clerk-org-id"] = []string{apptest.Acme}
		r.Header["X-CLERK-ORG-ROLE"] = []string{"org:admin"}
		r.Header["x-clerk-org-slug"] = []string{"acme"}
		r.Header.Set("X-Gateway-Signature", "v1=forged")
		r.Header.Set("X-Gateway-Timestamp", "1")
		if w := f.do(t, r); w.Code != 200 {
			t.Fatalf("status %d %s", w.Code, w.Body)
		}
		c := f.notes.only(t)
		want := gatewayauth.Identity{UserID: apptest.Bob, SessionID: sid}
		if c.err != nil || c.id != want {
			t.Fatalf("identity %+v err %v, want %+v", c.id, c.err, want)
		}
		for name, values := range c.header {
			for _, v := range values {
				if v == apptest.Alice || v == apptest.Acme || v == "org:admin" || v == "acme" || v == "v1=forged" {
					t.Errorf("client value %s: %s reached the upstream", name, v)
				}
			}
		}
	})

	t.Run("request id propagated", func(t *testing.T) {
		f := newFixture(t, s, revoked.IsRevoked, nil, nil)
		_, token := s.Session(t, apptest.Alice, apptest.Acme)
		r := bearer("/notifications/preferences", token)
		r.Header.Set("X-Request-Id", "req-abc_123")
		w := f.do(t, r)
		if got := w.Header().Values("X-Request-Id"); len(got) != 1 || got[0] != "req-abc_123" {
			t.Fatalf("response X-Request-Id %q, want it echoed once", got)
		}
		if got := f.notes.only(t).header.Get("X-Request-Id"); got != "req-abc_123" {
			t.Fatalf("upstream X-Request-Id %q", got)
		}
		r = bearer("/notifications/preferences", token)
		r.Header.Set("X-Request-Id", "bad id\u00e9")
		w = f.do(t, r)
		id := w.Header().Get("X-Request-Id")
		if id == "" || id == "bad id\u00e9" || f.notes.only(t).header.Get("X-Request-Id") != id {
			t.Fatalf("an invalid request id was not replaced end to end: %q", id)
		}
		logs := f.log()
		if !strings.Contains(logs, "request_id=req-abc_123") || !strings.Contains(logs, "user_id="+apptest.Alice) ||
			!strings.Contains(logs, "org_id="+apptest.Acme) || !strings.Contains(logs, "upstream=") {
			t.Errorf("access log lacks ids:\n%s", logs)
		}
		if strings.Contains(logs, token) || strings.Contains(logs, "eyJ") {
			t.Errorf("a token reached the log:\n%s", logs)
		}
	})

	t.Run("routing", func(t *testing.T) {
		v2 := newUpstream(t)
		f := newFixture(t, s, revoked.IsRevoked, func(notes, api *upstream) string {
			return "/api/=" + api.URL + ",/api/v2/=" + v2.URL + ",/notifications/=" + notes.URL
		}, nil)
		_, token := s.Session(t, apptest.Alice, apptest.Acme)
		if w := f.do(t, bearer("/api/v2/things", token)); w.Code != 200 || v2.count() != 1 || f.api.count() != 0 {
			t.Fatalf("longest prefix: status %d v2 %d api %d", w.Code, v2.count(), f.api.count())
		}
		if w := f.do(t, bearer("/api/v1/projects", token)); w.Code != 200 || f.api.count() != 1 {
			t.Fatalf("shorter prefix: status %d api %d", w.Code, f.api.count())
		}
		wantError(t, f.do(t, bearer("/nowhere", token)), http.StatusNotFound, "not_found")
		wantError(t, f.do(t, bearer("/notifications", token)), http.StatusNotFound, "not_found")
		wantError(t, f.do(t, bearer("/api/../notifications/preferences", token)), http.StatusBadRequest, "bad_path")
		wantError(t, f.do(t, bearer("/api/v1//x", token)), http.StatusBadRequest, "bad_path")
		if f.notes.count() != 0 {
			t.Fatal("an unrouted path reached an upstream")
		}
		if w := f.do(t, httptest.NewRequest("GET", "/healthz", nil)); w.Code != 200 {
			t.Fatalf("/healthz: %d", w.Code)
		}
		body := scrape(t, f.reg)
		for _, want := range []string{
			`gateway_requests_total{code="200",route="/api/v2/"} 1`,
			`gateway_requests_total{code="200",route="/api/"} 1`,
			`gateway_requests_total{code="404",route="unmatched"} 2`,
			`gateway_requests_total{code="400",route="unmatched"} 2`,
			`gateway_requests_total{code="200",route="healthz"} 1`,
			`gateway_request_duration_seconds_count{route="/api/"} 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s:\n%s", want, body)
			}
		}
	})

	t.Run("upstream down is 502", func(t *testing.T) {
		down := closedAddr(t)
		f := newFixture(t, s, revoked.IsRevoked, func(*upstream, *upstream) string { return "/notifications/=http://" + down }, nil)
		_, token := s.Session(t, apptest.Alice, apptest.Acme)
		wantError(t, f.do(t, bearer("/notifications/preferences", token)), http.StatusBadGateway, "bad_gateway")
		if body := scrape(t, f.reg); !strings.Contains(body, `gateway_upstream_errors_total{kind="unreachable",route="/notifications/"} 1`) {
			t.Errorf("metrics:\n%s", body)
		}
	})

	t.Run("slow upstream is 504", func(t *testing.T) {
		f := newFixture(t, s, revoked.IsRevoked, nil, gateway.NewTransport(100*time.Millisecond))
		f.notes.mu.Lock()
		f.notes.delay = 2 * time.Second
		f.notes.mu.Unlock()
		_, token := s.Session(t, apptest.Alice, apptest.Acme)
		wantError(t, f.do(t, bearer("/notifications/preferences", token)), http.StatusGatewayTimeout, "gateway_timeout")
		if body := scrape(t, f.reg); !strings.Contains(body, `gateway_upstream_errors_total{kind="timeout",route="/notifications/"} 1`) {
			t.Errorf("metrics:\n%s", body)
		}
	})

	t.Run("unreadable revocations are 503", func(t *testing.T) {
		broken := func(context.Context, string) (bool, error) { return false, context.DeadlineExceeded }
		f := newFixture(t, s, broken, nil, nil)
		_, token := s.Session(t, apptest.Alice, apptest.Acme)
		wantError(t, f.do(t, bearer("/notifications/preferences", token)), http.StatusServiceUnavailable, "auth_unavailable")
		if f.notes.count() != 0 {
			t.Fatal("the upstream was called")
		}
	})
}

// followRevocations is the gateway's view of revoked_sessions, kept current
// from the app's database as cmd/gateway keeps it.
func followRevocations(t *testing.T, s *apptest.Stack) *live.Revocations {
	t.Helper()
	revoked := live.NewRevocations(s.DB)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	connect := func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, s.DBURL) }
	go func() {
		defer close(done)
		live.NewListener(s.DB, connect, slog.New(slog.DiscardHandler), revoked).Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return revoked
}

// waitRevoked waits for the revocation the app committed to reach the
// gateway's copy (a NOTIFY away).
func waitRevoked(t *testing.T, r *live.Revocations, sid string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := r.IsRevoked(context.Background(), sid); err == nil && ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("session %s not seen revoked", sid)
}

// forged is a token shaped like the emulator's, with its kid, signed by
// another key.
func forged(t *testing.T, s *apptest.Stack) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", clerkdev.InstanceID+"_1"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	tok, err := josejwt.Signed(signer).Claims(map[string]any{
		"iss": s.EmuURL, "sub": apptest.Alice, "sid": "sess_forged", "iat": now, "nbf": now - 10, "exp": now + 60, "v": 2,
	}).CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func scrape(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	w := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	return w.Body.String()
}
