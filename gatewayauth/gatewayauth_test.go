package gatewayauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

var secret = []byte("test-shared-secret")

func signed(t *testing.T, method, target string, id Identity, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	Sign(r, id, secret, at)
	return r
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	alice := Identity{UserID: "user_alice", SessionID: "sess_1", OrgID: "org_acme", OrgRole: "org:admin", OrgSlug: "acme"}
	v := &Verifier{Secret: secret, Now: func() time.Time { return now }}
	tests := []struct {
		name   string
		req    func() *http.Request
		want   Identity
		wantEr error
	}{
		{"signed", func() *http.Request { return signed(t, "GET", "/preferences", alice, now) }, alice, nil},
		{"a few seconds of skew", func() *http.Request { return signed(t, "GET", "/preferences", alice, now.Add(10*time.Second)) }, alice, nil},
		{"no organization", func() *http.Request {
			return signed(t, "GET", "/preferences", Identity{UserID: "user_bob", SessionID: "sess_2"}, now)
		}, Identity{UserID: "user_bob", SessionID: "sess_2"}, nil},
		{"unsigned", func() *http.Request {
			r := httptest.NewRequest("GET", "/preferences", nil)
			r.Header.Set(HeaderUserID, "user_alice")
			return r
		}, Identity{}, ErrUnsigned},
		{"another user swapped in", func() *http.Request {
			r := signed(t, "GET", "/preferences", alice, now)
			r.Header.Set(HeaderUserID, "user_mallory")
			return r
		}, Identity{}, ErrBadSignature},
		{"another organization swapped in", func() *http.Request {
			r := signed(t, "GET", "/preferences", alice, now)
			r.Header.Set(HeaderOrgID, "org_globex")
			return r
		}, Identity{}, ErrBadSignature},
		{"replayed on another path", func() *http.Request {
			r := signed(t, "GET", "/preferences", alice, now)
			r.URL.Path = "/admin"
			return r
		}, Identity{}, ErrBadSignature},
		{"replayed with another query", func() *http.Request {
			r := signed(t, "GET", "/preferences?user=user_alice", alice, now)
			r.URL.RawQuery = "user=user_mallory"
			return r
		}, Identity{}, ErrBadSignature},
		{"signed with its query", func() *http.Request { return signed(t, "GET", "/preferences?digest=daily", alice, now) }, alice, nil},
		{"replayed with another method", func() *http.Request {
			r := signed(t, "GET", "/preferences", alice, now)
			r.Method = "DELETE"
			return r
		}, Identity{}, ErrBadSignature},
		{"too old", func() *http.Request { return signed(t, "GET", "/preferences", alice, now.Add(-time.Minute)) }, Identity{}, ErrExpired},
		{"from the future", func() *http.Request { return signed(t, "GET", "/preferences", alice, now.Add(time.Minute)) }, Identity{}, ErrExpired},
		{"no user", func() *http.Request { return signed(t, "GET", "/preferences", Identity{}, now) }, Identity{}, ErrNoUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(tt.req())
			if !errors.Is(err, tt.wantEr) || got != tt.want {
				t.Errorf("Verify = %+v, %v; want %+v, %v", got, err, tt.want, tt.wantEr)
			}
		})
	}
	other := &Verifier{Secret: []byte("another secret"), Now: v.Now}
	if _, err := other.Verify(signed(t, "GET", "/preferences", alice, now)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another secret: %v, want ErrBadSignature", err)
	}
	if _, err := (&Verifier{Now: v.Now}).Verify(signed(t, "GET", "/preferences", alice, now)); !errors.Is(err, ErrUnsigned) {
		t.Errorf("no secret configured: %v, want a refusal", err)
	}
}

// A client's own identity headers, in any case, never survive Sign.
func TestSignStripsWhatTheClientSent(t *testing.T) {
	r := httptest.NewRequest("GET", "/preferences", nil)
	r.Header["x-clerk-user-id"] = []string{"user_mallory"}
	r.Header.Set(HeaderOrgID, "org_globex")
	r.Header.Set(HeaderSignature, "v1=forged")
	Sign(r, Identity{UserID: "user_alice", SessionID: "sess_1"}, secret, time.Now())
	if got := r.Header.Values(HeaderUserID); len(got) != 1 || got[0] != "user_alice" {
		t.Errorf("user id headers = %q, want only user_alice", got)
	}
	if _, ok := r.Header["x-clerk-user-id"]; ok {
		t.Error("the client's lower-case x-clerk-user-id survived")
	}
	if got := r.Header.Get(HeaderOrgID); got != "" {
		t.Errorf("org id = %q, want the client's removed (the session has none)", got)
	}
}

func TestMiddleware(t *testing.T) {
	v := &Verifier{Secret: secret}
	called := false
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		id, _ := FromContext(r.Context())
		fmt.Fprint(w, id.UserID)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/preferences", nil))
	if w.Code != http.StatusUnauthorized || called || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("unsigned: %d, called %v", w.Code, called)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, signed(t, "GET", "/preferences", Identity{UserID: "user_alice"}, time.Now()))
	if w.Code != 200 || w.Body.String() != "user_alice" {
		t.Errorf("signed: %d %q", w.Code, w.Body.String())
	}
}

// A service behind the gateway: the middleware refuses what did not come
// through it, and hands handlers the identity it verified.
func ExampleVerifier_Middleware() {
	v := &Verifier{Secret: []byte("from GATEWAY_SHARED_SECRET")}
	service := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := FromContext(r.Context())
		fmt.Fprintf(w, "%s in %s", id.UserID, id.OrgSlug)
	}))

	direct := httptest.NewRequest("GET", "/notifications/preferences", nil)
	direct.Header.Set(HeaderUserID, "user_mallory") // a client's own claim
	w := httptest.NewRecorder()
	service.ServeHTTP(w, direct)
	fmt.Println(w.Code)

	viaGateway := httptest.NewRequest("GET", "/notifications/preferences", nil)
	Sign(viaGateway, Identity{UserID: "user_alice", OrgSlug: "acme"}, []byte("from GATEWAY_SHARED_SECRET"), time.Now())
	w = httptest.NewRecorder()
	service.ServeHTTP(w, viaGateway)
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 401
	// 200 user_alice in acme
}
