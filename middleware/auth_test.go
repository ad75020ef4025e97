package middleware

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/go-jose/go-jose/v3"
	josejwt "github.com/go-jose/go-jose/v3/jwt"

	"example.com/saas/clerkauth"
	"example.com/saas/models"
)

const fapi = "http://127.0.0.1:8081"

var (
	keyOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

type authFixture struct {
	auth    *Auth
	now     time.Time
	revoked map[string]bool
	logs    *bytes.Buffer
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	keyOnce.Do(func() { rsaKey, _ = rsa.GenerateKey(rand.Reader, 2048) })
	f := &authFixture{now: time.Now(), revoked: map[string]bool{}, logs: &bytes.Buffer{}}
	keys := clerkauth.NewJWKSCache(func(context.Context) (*clerk.JSONWebKeySet, error) {
		return &clerk.JSONWebKeySet{Keys: []*clerk.JSONWebKey{{Key: &rsaKey.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}, nil
	})
	base, _ := url.Parse("http://localhost:8080")
	f.auth = &Auth{
		Verifier:      &clerkauth.Verifier{Keys: keys, ProxyURL: fapi, AuthorizedParties: []string{"http://localhost:8080"}},
		Sessions:      NewSessionStore([]byte("0123456789abcdef0123456789abcdef"), false),
		Revoked:       func(_ context.Context, sid string) (bool, error) { return f.revoked[sid], nil },
		FrontendAPI:   fapi,
		BaseURL:       base,
		Development:   true,
		SessionMaxAge: 10 * time.Minute,
		Log:           slog.New(slog.NewTextHandler(f.logs, nil)),
		RenderError: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		},
		Now: func() time.Time { return f.now },
	}
	return f
}

func (f *authFixture) token(t *testing.T, iat time.Time, sid string) string {
	t.Helper()
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: rsaKey}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	tok, err := josejwt.Signed(s).Claims(map[string]any{
		"iss": fapi, "sub": "user_1", "sid": sid, "azp": "http://localhost:8080",
		"iat": iat.Unix(), "nbf": iat.Unix() - 10, "exp": iat.Unix() + 60, "v": 2,
	}).CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// serve runs req through Auth and reports the identity the handler saw.
func (f *authFixture) serve(req *http.Request) (*httptest.ResponseRecorder, *models.Identity) {
	var seen *models.Identity
	h := f.auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := models.IdentityFrom(r.Context()); ok {
			seen = &id
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, seen
}

type cookies map[string]string

func page(path string, c cookies) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Sec-Fetch-Dest", "document")
	for k, v := range c {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	return req
}

func TestCookieDecisionTable(t *testing.T) {
	f := newAuthFixture(t)
	now := f.now
	fresh := f.token(t, now, "sess_1")
	expired := f.token(t, now.Add(-5*time.Minute), "sess_1")
	uat := strconv.FormatInt(now.Unix()-30, 10)
	newerUAT := strconv.FormatInt(now.Unix()+1, 10)

	tests := []struct {
		name          string
		req           *http.Request
		wantUser      bool
		wantHandshake string // reason; "" = no redirect
	}{
		{"dev browser missing", page("/", nil), false, "dev-browser-missing"},
		{"dev browser in query", page("/x?__clerk_db_jwt=dvb_1", cookies{"__clerk_db_jwt": "dvb_1"}), false, "dev-browser-sync"},
		{"signed out", page("/", cookies{"__clerk_db_jwt": "d"}), false, ""},
		{"signed out with uat 0", page("/", cookies{"__clerk_db_jwt": "d", "__client_uat": "0"}), false, ""},
		{"valid session", page("/", cookies{"__clerk_db_jwt": "d", "__client_uat": uat, "__session": fresh}), true, ""},
		{"uat but no session", page("/", cookies{"__clerk_db_jwt": "d", "__client_uat": uat}), false, "client-uat-but-no-session-token"},
		{"session but uat 0", page("/", cookies{"__clerk_db_jwt": "d", "__client_uat": "0", "__session": fresh}), false, "session-token-but-no-client-uat"},
		{"token older than uat", page("/", cookies{"__clerk_db_jwt": "d", "__client_uat": newerUAT, "__session": fresh}), false, "session-token-iat-before-client-uat"},
		{"expired session", page("/", cookies{"__clerk_db_jwt": "d", "__client_uat": strconv.FormatInt(now.Unix()-400, 10), "__session": expired}), false, "session-token-expired"},
		{"garbage session", page("/", cookies{"__clerk_db_jwt": "d", "__client_uat": uat, "__session": "garbage"}), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, id := f.serve(tt.req)
			if (id != nil) != tt.wantUser {
				t.Errorf("signed in = %v, want %v", id != nil, tt.wantUser)
			}
			loc := rec.Header().Get("Location")
			if tt.wantHandshake == "" {
				if loc != "" {
					t.Errorf("redirected to %s, want none", loc)
				}
				return
			}
			if rec.Code != http.StatusTemporaryRedirect || !strings.HasPrefix(loc, fapi+"/v1/client/handshake?") || !strings.Contains(loc, "__clerk_hs_reason="+tt.wantHandshake) {
				t.Fatalf("got %d to %q, want a handshake for %s", rec.Code, loc, tt.wantHandshake)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Error("handshake redirect is cacheable")
			}
		})
	}
}

func TestNonDocumentRequestsNeverHandshake(t *testing.T) {
	f := newAuthFixture(t)
	uat := strconv.FormatInt(f.now.Unix(), 10)
	for name, mod := range map[string]func(*http.Request){
		"htmx":   func(r *http.Request) { r.Header.Set("HX-Request", "true") },
		"fetch":  func(r *http.Request) { r.Header.Set("Sec-Fetch-Dest", "empty") },
		"post":   func(r *http.Request) { r.Method = http.MethodPost },
		"api":    func(r *http.Request) { r.Header.Del("Sec-Fetch-Dest"); r.Header.Set("Accept", "application/json") },
		"images": func(r *http.Request) { r.Header.Set("Sec-Fetch-Dest", "image") },
	} {
		req := page("/orgs", cookies{"__clerk_db_jwt": "d", "__client_uat": uat})
		mod(req)
		rec, id := f.serve(req)
		if rec.Header().Get("Location") != "" || id != nil {
			t.Errorf("%s: redirect %q, identity %v; want neither", name, rec.Header().Get("Location"), id)
		}
	}
}

func TestAppSessionBridgesExpiredTokenForBoundedTime(t *testing.T) {
	f := newAuthFixture(t)
	uat := strconv.FormatInt(f.now.Unix()-1, 10)
	rec, id := f.serve(page("/", cookies{"__clerk_db_jwt": "d", "__client_uat": uat, "__session": f.token(t, f.now, "sess_1")}))
	if id == nil {
		t.Fatal("valid session not signed in")
	}
	appCookie := findCookie(rec.Result().Cookies(), appSessionCookie)
	if appCookie == nil || !appCookie.HttpOnly || appCookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("app session cookie = %+v, want HttpOnly SameSite=Lax", appCookie)
	}

	post := func() *models.Identity {
		req := httptest.NewRequest(http.MethodPost, "/orgs", nil)
		for _, c := range []*http.Cookie{appCookie, {Name: "__clerk_db_jwt", Value: "d"}, {Name: "__client_uat", Value: uat}} {
			req.AddCookie(c)
		}
		_, id := f.serve(req)
		return id
	}
	f.now = f.now.Add(5 * time.Minute)
	if id := post(); id == nil || id.Source != "app_session" || id.UserID != "user_1" {
		t.Fatalf("form post 5 min later = %+v, want the app session's user", id)
	}
	f.revoked["sess_1"] = true
	if id := post(); id != nil {
		t.Error("revoked session let through by the app session")
	}
	f.revoked["sess_1"] = false
	f.now = f.now.Add(6 * time.Minute)
	if id := post(); id != nil {
		t.Error("app session older than SessionMaxAge still accepted")
	}
}

func TestTamperedAppSessionIgnored(t *testing.T) {
	f := newAuthFixture(t)
	req := httptest.NewRequest(http.MethodPost, "/orgs", nil)
	req.AddCookie(&http.Cookie{Name: appSessionCookie, Value: "MTY5OTk5OTk5OXx1aWQ9dXNlcl9hZG1pbnw="})
	req.AddCookie(&http.Cookie{Name: "__client_uat", Value: "1"})
	req.AddCookie(&http.Cookie{Name: "__clerk_db_jwt", Value: "d"})
	if _, id := f.serve(req); id != nil {
		t.Fatalf("forged app session accepted: %+v", id)
	}
}

func TestBearerTokens(t *testing.T) {
	f := newAuthFixture(t)
	good := f.token(t, f.now, "sess_b")
	tests := []struct {
		name   string
		header string
		want   bool
	}{
		{"valid", "Bearer " + good, true},
		{"bare token", good, true},
		{"garbage", "Bearer garbage", false},
		{"empty bearer", "Bearer ", false},
		{"expired", "Bearer " + f.token(t, f.now.Add(-10*time.Minute), "sess_b"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.logs.Reset()
			req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
			req.Header.Set("Authorization", tt.header)
			// A valid cookie must not rescue a bad header.
			req.AddCookie(&http.Cookie{Name: "__session", Value: good})
			req.AddCookie(&http.Cookie{Name: "__client_uat", Value: "1"})
			_, id := f.serve(req)
			if (id != nil) != tt.want {
				t.Fatalf("signed in = %v, want %v", id != nil, tt.want)
			}
			if !tt.want {
				if !strings.Contains(f.logs.String(), "level=WARN") {
					t.Error("refusal not logged at warn")
				}
				if len(tt.header) > 20 && strings.Contains(f.logs.String(), strings.TrimPrefix(tt.header, "Bearer ")) {
					t.Error("log line contains the token")
				}
			}
		})
	}
	f.revoked["sess_b"] = true
	req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+good)
	if _, id := f.serve(req); id != nil {
		t.Error("revoked session's bearer token accepted")
	}
}

func TestHandshakeLoopIsBounded(t *testing.T) {
	f := newAuthFixture(t)
	uat := strconv.FormatInt(f.now.Unix(), 10)
	for n := 0; n < 3; n++ {
		rec, _ := f.serve(page("/", cookies{"__clerk_db_jwt": "d", "__client_uat": uat, clerkauth.CookieRedirectCount: strconv.Itoa(n)}))
		if rec.Code != http.StatusTemporaryRedirect {
			t.Fatalf("hop %d: status %d, want a handshake redirect", n, rec.Code)
		}
		c := findCookie(rec.Result().Cookies(), clerkauth.CookieRedirectCount)
		if c == nil || c.Value != strconv.Itoa(n+1) {
			t.Errorf("hop %d: counter cookie %+v", n, c)
		}
	}
	rec, _ := f.serve(page("/", cookies{"__clerk_db_jwt": "d", "__client_uat": uat, clerkauth.CookieRedirectCount: "3"}))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Location") != "" {
		t.Fatalf("fourth hop = %d %q, want the error page and no redirect", rec.Code, rec.Header().Get("Location"))
	}
}

func TestHandshakeReturnAppliesCookiesAndReloadsCleanURL(t *testing.T) {
	f := newAuthFixture(t)
	tok := f.token(t, f.now, "sess_h")
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: rsaKey}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	directives := []string{"__session=" + tok + "; Path=/; SameSite=Lax", "__client_uat=" + strconv.FormatInt(f.now.Unix(), 10) + "; Path=/", "__clerk_db_jwt=dvb_9; Path=/"}
	hs, _ := josejwt.Signed(s).Claims(map[string]any{"handshake": directives}).CompactSerialize()
	rec, _ := f.serve(page("/orgs/acme?tab=1&__clerk_handshake="+hs+"&__clerk_db_jwt=dvb_9", cookies{"__clerk_db_jwt": "d"}))
	if rec.Code != http.StatusTemporaryRedirect || rec.Header().Get("Location") != "http://localhost:8080/orgs/acme?tab=1" {
		t.Fatalf("handshake return = %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	got := strings.Join(rec.Header().Values("Set-Cookie"), "\n")
	for _, d := range directives {
		if !strings.Contains(got, d) {
			t.Errorf("directive %q not forwarded verbatim", d)
		}
	}
	if !strings.Contains(got, appSessionCookie+"=") {
		t.Error("app session not written from the handshake's session")
	}

	// A payload signed by someone else is not applied.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	s2, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: other}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	forged, _ := josejwt.Signed(s2).Claims(map[string]any{"handshake": directives}).CompactSerialize()
	rec, _ = f.serve(page("/?__clerk_handshake="+forged, cookies{"__clerk_db_jwt": "d"}))
	if strings.Contains(strings.Join(rec.Header().Values("Set-Cookie"), "\n"), tok) {
		t.Error("forged handshake's cookies applied")
	}
}

func TestRequireUser(t *testing.T) {
	base, _ := url.Parse("http://localhost:8080")
	h := RequireUser(base)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") }))
	tests := []struct {
		name, method, path string
		headers            map[string]string
		wantStatus         int
		wantHeader         [2]string
	}{
		{"page", "GET", "/orgs/acme?x=1", nil, 302, [2]string{"Location", "/sign-in?redirect_url=%2Forgs%2Facme%3Fx%3D1"}},
		{"form post", "POST", "/orgs", map[string]string{"Referer": "http://localhost:8080/orgs"}, 303, [2]string{"Location", "/sign-in?redirect_url=%2Forgs"}},
		{"htmx", "POST", "/orgs/acme/tasks", map[string]string{"HX-Request": "true", "HX-Current-URL": "http://localhost:8080/orgs/acme/projects/1"}, 401, [2]string{"HX-Redirect", "/sign-in?redirect_url=%2Forgs%2Facme%2Fprojects%2F1"}},
		{"api", "GET", "/api/v1/me", nil, 401, [2]string{"Content-Type", "application/json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || rec.Header().Get(tt.wantHeader[0]) != tt.wantHeader[1] {
				t.Errorf("= %d %s=%q, want %d %q", rec.Code, tt.wantHeader[0], rec.Header().Get(tt.wantHeader[0]), tt.wantStatus, tt.wantHeader[1])
			}
			if strings.Contains(rec.Body.String(), "secret") {
				t.Error("protected content served")
			}
		})
	}
}

func TestSafeReturnPath(t *testing.T) {
	base, _ := url.Parse("http://localhost:8080")
	tests := map[string]string{
		"/orgs/acme?x=1":                "/orgs/acme?x=1",
		"http://localhost:8080/account": "/account",
		"https://evil.example/x":        "",
		"http://localhost:8081/x":       "",
		"//evil.example/x":              "",
		"/\\evil.example":               "",
		"javascript:alert(1)":           "",
		"relative/path":                 "",
		"/ok\r\nSet-Cookie: x":          "",
		"":                              "",
	}
	for in, want := range tests {
		if got := SafeReturnPath(in, base); got != want {
			t.Errorf("SafeReturnPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func findCookie(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestFailedHandshakeCookieFallsThrough: in production Clerk sets the
// handshake cookie on the registrable domain. One that fails must be
// expired there too (a host-only expiry leaves Clerk's copy, and every
// request would fail it again), and the request goes on with the normal
// cookie checks rather than reloading itself, as Clerk's SDK does.
func TestFailedHandshakeCookieFallsThrough(t *testing.T) {
	f := newAuthFixture(t)
	f.auth.Development = false
	f.auth.BaseURL, _ = url.Parse("https://app.example.com")
	for _, name := range []string{"__clerk_handshake", "__clerk_handshake_nonce"} {
		t.Run(name, func(t *testing.T) {
			f.auth.Nonces = clerkauth.NewNonceRedeemer(func(context.Context, string) ([]string, error) {
				return nil, errors.New("stale nonce")
			})
			rec, id := f.serve(page("/orgs/acme", cookies{name: "stale-or-forged"}))
			if rec.Code == http.StatusTemporaryRedirect && strings.HasPrefix(rec.Header().Get("Location"), "https://app.example.com/orgs/acme") {
				t.Fatalf("a failed %s cookie reloads the same page (a loop while the cookie stays)", name)
			}
			if id != nil {
				t.Errorf("signed in as %+v from a failed handshake", id)
			}
			got := strings.Join(rec.Header().Values("Set-Cookie"), "\n")
			if !strings.Contains(got, name+"=; Path=/; Domain=example.com; Max-Age=0") || !strings.Contains(got, name+"=; Path=/; Max-Age=0") {
				t.Errorf("Set-Cookie = %q, want %s expired host-only and on example.com", got, name)
			}
		})
	}
}
