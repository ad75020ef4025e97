package clerkauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestMiddlewareRefusals: every credential the app refuses is refused here
// too, with 401 in the app's envelope (or anonymous when Optional), and the
// next handler never runs as someone.
func TestMiddlewareRefusals(t *testing.T) {
	t.Parallel()
	k, other := keys(t)
	now := time.Now()
	v := &Verifier{Keys: staticCache(jwkOf(k, "kid1")), ProxyURL: issuer, AuthorizedParties: []string{"http://localhost:8080"}}
	valid := sign(t, k, "kid1", claimsAt(now, map[string]any{"sid": "sess_ok"}))
	revoked := sign(t, k, "kid1", claimsAt(now, map[string]any{"sid": "sess_revoked"}))
	flaky := sign(t, k, "kid1", claimsAt(now, map[string]any{"sid": "sess_flaky"}))
	isRevoked := func(_ context.Context, sid string) (bool, error) {
		if sid == "sess_flaky" {
			return false, errors.New("database down")
		}
		return sid == "sess_revoked", nil
	}
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	cases := []struct {
		name   string
		set    func(*http.Request)
		status int
		code   string
	}{
		{"bearer", bearer(valid), 200, ""},
		{"bare token", func(r *http.Request) { r.Header.Set("Authorization", valid) }, 200, ""},
		{"session cookie", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: CookieSession, Value: valid}) }, 200, ""},
		{"no token", func(*http.Request) {}, 401, "unauthenticated"},
		{"empty header does not fall back to the cookie", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer ")
			r.AddCookie(&http.Cookie{Name: CookieSession, Value: valid})
		}, 401, "unauthenticated"},
		{"garbage", bearer("not.a.jwt"), 401, "unauthenticated"},
		{"another key", bearer(sign(t, other, "kid1", claimsAt(now, nil))), 401, "unauthenticated"},
		{"unknown kid", bearer(sign(t, other, "kid2", claimsAt(now, nil))), 401, "unauthenticated"},
		{"expired", bearer(sign(t, k, "kid1", claimsAt(now, map[string]any{"iat": now.Unix() - 600, "nbf": now.Unix() - 600, "exp": now.Unix() - 60}))), 401, "unauthenticated"},
		{"not yet valid", bearer(sign(t, k, "kid1", claimsAt(now, map[string]any{"nbf": now.Unix() + 600, "iat": now.Unix() + 600, "exp": now.Unix() + 900}))), 401, "unauthenticated"},
		{"wrong azp", bearer(sign(t, k, "kid1", claimsAt(now, map[string]any{"azp": "https://evil.example"}))), 401, "unauthenticated"},
		{"wrong issuer", bearer(sign(t, k, "kid1", claimsAt(now, map[string]any{"iss": "https://evil.example"}))), 401, "unauthenticated"},
		{"no sid", bearer(sign(t, k, "kid1", claimsAt(now, map[string]any{"sid": nil}))), 401, "unauthenticated"},
		{"revoked session", bearer(revoked), 401, "unauthenticated"},
		{"revocation unknown", bearer(flaky), 503, "auth_unavailable"},
	}
	for _, optional := range []bool{false, true} {
		m := &Middleware{Verifier: v, Revoked: isRevoked, Optional: optional}
		for _, tc := range cases {
			name := tc.name
			if optional {
				name += " (optional)"
			}
			t.Run(name, func(t *testing.T) {
				var reached, signedIn bool
				h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					reached = true
					id, ok := FromContext(r.Context())
					signedIn = ok && id.UserID == "user_1"
				}))
				r := httptest.NewRequest("GET", "/x", nil)
				tc.set(r)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				wantStatus, wantReached := tc.status, tc.status == 200
				if optional && tc.status == 401 {
					wantStatus, wantReached = 200, true // anonymous
				}
				if w.Code != wantStatus || reached != wantReached || signedIn != (tc.status == 200) {
					t.Fatalf("status %d reached %v signed in %v; want %d %v %v (%s)", w.Code, reached, signedIn, wantStatus, wantReached, tc.status == 200, w.Body)
				}
				if wantStatus != 200 {
					checkEnvelope(t, w, tc.code)
				}
			})
		}
	}
}

func checkEnvelope(t *testing.T, w *httptest.ResponseRecorder, code string) {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != code || body.Error.Message == "" {
		t.Fatalf("body %q, want the error envelope with code %q", w.Body, code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
}

func TestIdentityCarriesTheActiveOrganization(t *testing.T) {
	t.Parallel()
	k, _ := keys(t)
	v := &Verifier{Keys: staticCache(jwkOf(k, "kid1")), ProxyURL: issuer, AuthorizedParties: []string{"http://localhost:8080"}}
	tok := sign(t, k, "kid1", claimsAt(time.Now(), map[string]any{
		"o":   map[string]any{"id": "org_1", "slg": "acme", "rol": "admin", "per": "manage", "fpm": "1"},
		"fea": "o:projects",
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	id, err := (&Middleware{Verifier: v}).Authenticate(r)
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{UserID: "user_1", SessionID: "sess_1", OrgID: "org_1", OrgRole: "org:admin", OrgSlug: "acme", OrgPermissions: []string{"org:projects:manage"}}
	if id.UserID != want.UserID || id.SessionID != want.SessionID || id.OrgID != want.OrgID || id.OrgRole != want.OrgRole || id.OrgSlug != want.OrgSlug ||
		len(id.OrgPermissions) != 1 || id.OrgPermissions[0] != want.OrgPermissions[0] {
		t.Fatalf("identity %+v, want %+v", id, want)
	}
}

func TestNewVerifierKeySources(t *testing.T) {
	t.Parallel()
	if _, err := NewVerifier(Config{}); err == nil {
		t.Fatal("NewVerifier without a key source: no error")
	}
	v, err := NewVerifier(Config{FrontendAPIURL: "http://127.0.0.1:8081/"})
	if err != nil || v.ProxyURL != "http://127.0.0.1:8081" {
		t.Fatalf("emulator: ProxyURL %q, err %v", v.ProxyURL, err)
	}
	v, err = NewVerifier(Config{FrontendAPIURL: "https://clerk.example.com", SecretKey: "sk_test_x"})
	if err != nil || v.ProxyURL != "" {
		t.Fatalf("Clerk-hosted: ProxyURL %q, err %v", v.ProxyURL, err)
	}
}
