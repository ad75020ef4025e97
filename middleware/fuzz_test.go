package middleware

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeReturnPath: whatever comes in, what goes out is "" or a path on
// this site — never another host, scheme or header injection.
func FuzzSafeReturnPath(f *testing.F) {
	for _, s := range []string{"/orgs/acme", "//evil.example", "/\\evil", "https://evil.example/x", "http://localhost:8080/a?b=c",
		"javascript:alert(1)", "/%2F%2Fevil", "/\t/evil", "http://localhost:8080@evil.example/", "\x00/"} {
		f.Add(s)
	}
	base, _ := url.Parse("http://localhost:8080")
	f.Fuzz(func(t *testing.T, raw string) {
		p := SafeReturnPath(raw, base)
		if p == "" {
			return
		}
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t\x00") {
			t.Fatalf("SafeReturnPath(%q) = %q", raw, p)
		}
		u, err := base.Parse(p)
		if err != nil || u.Host != base.Host || u.Scheme != base.Scheme {
			t.Fatalf("SafeReturnPath(%q) = %q resolves to %v (%v)", raw, p, u, err)
		}
	})
}

// FuzzAuthHeaderAndCookies: arbitrary Authorization headers and session
// cookies never sign anyone in and never panic.
func FuzzAuthHeaderAndCookies(f *testing.F) {
	f.Add("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyXzEifQ.", "garbage", "1")
	f.Add("Basic dXNlcjpwYXNz", "eyJ.eyJ.sig", "0")
	f.Add("", "", "")
	fx := newAuthFixture(&testing.T{})
	f.Fuzz(func(t *testing.T, header, session, uat string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
		if header != "" {
			req.Header["Authorization"] = []string{header}
		}
		req.Header.Set("Cookie", "__session="+url.QueryEscape(session)+"; __client_uat="+url.QueryEscape(uat)+"; __clerk_db_jwt=d")
		if _, id := fx.serve(req); id != nil {
			t.Fatalf("signed in with header %q session %q: %+v", header, session, id)
		}
	})
}
