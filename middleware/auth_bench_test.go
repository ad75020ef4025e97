package middleware

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// BenchmarkAuth reports the cost of identifying a request by each source
// (JWKS cached; the revocation lookup is an in-memory fake here, the
// database lookup is measured by make bench).
func BenchmarkAuth(b *testing.B) {
	t := &testing.T{}
	f := newAuthFixture(t)
	tok := f.token(t, f.now, "sess_bench")
	uat := strconv.FormatInt(f.now.Unix()-1, 10)

	rec, _ := f.serve(page("/", cookies{"__clerk_db_jwt": "d", "__client_uat": uat, "__session": tok}))
	appCookie := findCookie(rec.Result().Cookies(), appSessionCookie)

	requests := map[string]func() *http.Request{
		"bearer": func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/projects", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			return r
		},
		"session_cookie": func() *http.Request {
			return page("/orgs/acme", cookies{"__clerk_db_jwt": "d", "__client_uat": uat, "__session": tok})
		},
		"app_session": func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/orgs/acme/projects", nil)
			r.AddCookie(appCookie)
			r.AddCookie(&http.Cookie{Name: "__clerk_db_jwt", Value: "d"})
			r.AddCookie(&http.Cookie{Name: "__client_uat", Value: uat})
			return r
		},
	}
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	h := f.auth.Middleware(next)
	for name, mk := range requests {
		b.Run(name, func(b *testing.B) {
			if _, id := f.serve(mk()); id == nil {
				b.Fatalf("%s: request not signed in", name)
			}
			req := mk()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(discard{}, req.Clone(req.Context()))
			}
		})
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
