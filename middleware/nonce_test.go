package middleware

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwks"

	"example.com/saas/clerkauth"
	"example.com/saas/internal/clerkdev"
	"example.com/saas/models"
)

// bapiStub stands in for the Backend API's GET /v1/clients/handshake_payload
// and counts the calls. Nonces in good redeem to their directives; every
// other nonce is unknown (404), as a forged one is at Clerk.
type bapiStub struct {
	srv   *httptest.Server
	calls atomic.Int64
	// arrived receives once per call; release, when set, holds each call
	// until it is closed.
	arrived chan struct{}
	release chan struct{}
	good    map[string][]string
}

func newBAPIStub(t *testing.T, f *authFixture) *bapiStub {
	t.Helper()
	s := &bapiStub{arrived: make(chan struct{}, 1024), good: map[string][]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/clients/handshake_payload" || r.Header.Get("Authorization") != "Bearer sk_test_stub" {
			http.Error(w, "unexpected call", http.StatusBadRequest)
			return
		}
		s.calls.Add(1)
		s.arrived <- struct{}{}
		if s.release != nil {
			<-s.release
		}
		d, ok := s.good[r.URL.Query().Get("nonce")]
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"errors":[{"code":"resource_not_found"}]}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"directives":[`)
		for i, v := range d {
			if i > 0 {
				io.WriteString(w, ",")
			}
			io.WriteString(w, strconv.Quote(v))
		}
		io.WriteString(w, `]}`)
	}))
	t.Cleanup(s.srv.Close)
	f.auth.APIURL = s.srv.URL + "/v1"
	f.auth.SecretKey = "sk_test_stub"
	f.auth.HTTPClient = s.srv.Client()
	return s
}

// TestBogusNoncesCostBoundedBackendCalls: a flood of document requests
// carrying made-up nonces (issue 16, item 5) must not turn into one Backend
// API call each. Every request still gets the clean reload, never a 500.
func TestBogusNoncesCostBoundedBackendCalls(t *testing.T) {
	f := newAuthFixture(t)
	stub := newBAPIStub(t, f)
	for i := range 200 {
		path := "/?__clerk_handshake_nonce=bogus" + strconv.Itoa(i)
		if i%2 == 1 {
			path = "/no-such-page/" + strconv.Itoa(i) + "?__clerk_handshake_nonce=bogus" + strconv.Itoa(i)
		}
		rec, id := f.serve(page(path, cookies{"__clerk_db_jwt": "d"}))
		if rec.Code != http.StatusTemporaryRedirect || strings.Contains(rec.Header().Get("Location"), "__clerk_handshake_nonce") || id != nil {
			t.Fatalf("request %d = %d to %q (identity %v), want the clean reload", i, rec.Code, rec.Header().Get("Location"), id)
		}
	}
	if got := stub.calls.Load(); got > 5 {
		t.Fatalf("200 distinct bogus nonces made %d handshake_payload calls, want at most 5", got)
	}
	logs := f.logs.String()
	if strings.Contains(logs, "bogus17") {
		t.Error("a nonce was logged in full")
	}
	// Refusals Clerk gave are logged each; the limited ones are summed up.
	if n := strings.Count(logs, "credentials refused"); n > 5 {
		t.Errorf("%d refusal lines at warn, want one per call at most", n)
	}
	if n := strings.Count(logs, "handshake nonce redemptions rate-limited"); n != 1 {
		t.Errorf("%d rate-limit reports, want 1:\n%s", n, logs)
	}
}

// TestSameNonceRedeemedOnce: concurrent requests with one nonce share a
// single call (singleflight), and a nonce already tried, failed or not, is
// not sent to Clerk again for a while.
func TestSameNonceRedeemedOnce(t *testing.T) {
	f := newAuthFixture(t)
	stub := newBAPIStub(t, f)
	tok := f.token(t, f.now, "sess_n")
	directives := []string{"__session=" + tok + "; Path=/", "__client_uat=" + strconv.FormatInt(f.now.Unix(), 10) + "; Path=/"}
	stub.good["nonce_good"] = directives
	stub.release = make(chan struct{})

	const n = 20
	var wg sync.WaitGroup
	applied := make([]bool, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, _ := f.serve(page("/orgs?__clerk_handshake_nonce=nonce_good", cookies{"__clerk_db_jwt": "d"}))
			if rec.Code != http.StatusTemporaryRedirect {
				t.Errorf("status %d, want the clean reload", rec.Code)
			}
			applied[i] = strings.Contains(strings.Join(rec.Header().Values("Set-Cookie"), "\n"), tok)
		}()
	}
	<-stub.arrived
	time.Sleep(200 * time.Millisecond) // let the others reach the redeemer
	close(stub.release)
	wg.Wait()
	if got := stub.calls.Load(); got != 1 {
		t.Fatalf("%d concurrent requests with one nonce made %d calls, want 1", n, got)
	}
	// Those that joined the call share its directives; one that arrived
	// after it ended (only on a very slow machine) finds the nonce spent.
	shared := 0
	for _, ok := range applied {
		if ok {
			shared++
		}
	}
	if shared < n/2 {
		t.Errorf("%d of %d requests got the nonce's directives", shared, n)
	}

	// A nonce is single use: sending it again costs nothing and applies nothing.
	rec, _ := f.serve(page("/orgs?__clerk_handshake_nonce=nonce_good", cookies{"__clerk_db_jwt": "d"}))
	if got := stub.calls.Load(); got != 1 {
		t.Errorf("a redeemed nonce sent again made %d calls in all, want 1", got)
	}
	if rec.Code != http.StatusTemporaryRedirect || strings.Contains(strings.Join(rec.Header().Values("Set-Cookie"), "\n"), tok) {
		t.Errorf("replayed nonce = %d with cookies %q, want the clean reload and no session", rec.Code, rec.Header().Values("Set-Cookie"))
	}

	// A failed nonce is not retried within the window...
	for range 10 {
		f.serve(page("/?__clerk_handshake_nonce=nonce_bad", cookies{"__clerk_db_jwt": "d"}))
	}
	if got := stub.calls.Load(); got != 2 {
		t.Fatalf("a failing nonce sent 10 times made %d calls, want 1", got-1)
	}
	// ...but is once it has passed.
	f.now = f.now.Add(10 * time.Minute)
	f.serve(page("/?__clerk_handshake_nonce=nonce_bad", cookies{"__clerk_db_jwt": "d"}))
	if got := stub.calls.Load(); got != 3 {
		t.Errorf("after the window the nonce made %d calls, want 1 more", got-2)
	}
}

// TestNonceIgnoredOnNonDocumentRequests: only a page navigation can be the
// return from a handshake, so nothing else makes the app call Clerk.
func TestNonceIgnoredOnNonDocumentRequests(t *testing.T) {
	f := newAuthFixture(t)
	stub := newBAPIStub(t, f)
	uat := strconv.FormatInt(f.now.Unix(), 10)
	tests := map[string]func() *http.Request{
		"post": func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/orgs?__clerk_handshake_nonce=n_post", nil)
		},
		"fetch": func() *http.Request {
			r := page("/orgs?__clerk_handshake_nonce=n_fetch", nil)
			r.Header.Set("Sec-Fetch-Dest", "empty")
			return r
		},
		"htmx": func() *http.Request {
			r := page("/orgs?__clerk_handshake_nonce=n_htmx", nil)
			r.Header.Set("HX-Request", "true")
			return r
		},
		"image": func() *http.Request {
			r := page("/avatar.png?__clerk_handshake_nonce=n_img", nil)
			r.Header.Set("Sec-Fetch-Dest", "image")
			return r
		},
		"api client": func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/me?__clerk_handshake_nonce=n_api", nil)
			r.Header.Set("Accept", "application/json")
			return r
		},
		"api fetch with the nonce cookie": func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
			r.Header.Set("Sec-Fetch-Dest", "empty")
			r.AddCookie(&http.Cookie{Name: clerkauth.ParamHandshakeNonce, Value: "n_cookie"})
			return r
		},
		"static asset": func() *http.Request {
			r := page("/static/app.css?__clerk_handshake_nonce=n_css", nil)
			r.Header.Set("Sec-Fetch-Dest", "style")
			return r
		},
		"static path opened as a page": func() *http.Request {
			return page("/static/app.css?__clerk_handshake_nonce=n_static", nil)
		},
	}
	for name, build := range tests {
		t.Run(name, func(t *testing.T) {
			before := stub.calls.Load()
			req := build()
			req.AddCookie(&http.Cookie{Name: "__clerk_db_jwt", Value: "d"})
			req.AddCookie(&http.Cookie{Name: "__client_uat", Value: uat})
			rec, _ := f.serve(req)
			if got := stub.calls.Load() - before; got != 0 {
				t.Errorf("made %d handshake_payload calls, want 0", got)
			}
			if rec.Code >= 500 {
				t.Errorf("status %d", rec.Code)
			}
		})
	}
}

// TestNonceHandshakeWithEmulator walks the real nonce flow against the
// emulator (PreferNonceHandshake): a first visit, then a hosted sign-in,
// each return redeemed with one Backend API call.
func TestNonceHandshakeWithEmulator(t *testing.T) {
	f := newAuthFixture(t) // for the shared RSA key
	// The app on localhost, a different cookie host from the emulator's 127.0.0.1.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	base, _ := url.Parse(appURL)

	emu, err := clerkdev.New(clerkdev.Config{PreferNonceHandshake: true, SigningKey: rsaKey, AllowedRedirectOrigins: []string{appURL}})
	if err != nil {
		t.Fatal(err)
	}
	emuSrv := httptest.NewServer(emu.Handler())
	t.Cleanup(func() { emuSrv.Close(); emu.Close() })
	emu.SetBaseURL(emuSrv.URL)
	cc := &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{Key: clerk.String(emu.SecretKey()), URL: clerk.String(emuSrv.URL + "/v1")}}
	jwksClient := jwks.NewClient(cc)
	keys := clerkauth.NewJWKSCache(func(ctx context.Context) (*clerk.JSONWebKeySet, error) {
		return jwksClient.Get(ctx, &jwks.GetParams{})
	})
	a := f.auth
	a.Verifier = &clerkauth.Verifier{Keys: keys, ProxyURL: emuSrv.URL, AuthorizedParties: []string{appURL}}
	a.FrontendAPI, a.APIURL, a.SecretKey, a.BaseURL = emuSrv.URL, emuSrv.URL+"/v1", emu.SecretKey(), base
	a.Now = nil
	app := httptest.NewUnstartedServer(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := models.IdentityFrom(r.Context()); ok {
			io.WriteString(w, "user="+id.UserID)
			return
		}
		io.WriteString(w, "signed-out")
	})))
	app.Listener.Close()
	app.Listener = ln
	app.Start()
	t.Cleanup(app.Close)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: documentTransport{}, Timeout: 10 * time.Second}
	get := func(u string) (*http.Response, string) {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

	resp, body := get(appURL + "/")
	if body != "signed-out" || resp.Request.URL.String() != appURL+"/" {
		t.Fatalf("first visit ended at %s with %q, want the clean URL signed out", resp.Request.URL, body)
	}
	var db string
	for _, ck := range jar.Cookies(base) {
		if ck.Name == clerkauth.CookieDevBrowser {
			db = ck.Value
		}
	}
	if db == "" {
		t.Fatal("the nonce's directives set no dev browser")
	}

	form := url.Values{"redirect_url": {appURL + "/orgs"}, "__clerk_db_jwt": {db}, "identifier": {"alice@example.com"}, "password": {"password"}}
	resp, err = c.PostForm(emuSrv.URL+"/sign-in", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(b), "user=user_") || resp.Request.URL.String() != appURL+"/orgs" {
		t.Fatalf("after sign-in: %d at %s with %q, want signed in at /orgs", resp.StatusCode, resp.Request.URL, b)
	}
	if got := emu.Stats()["GET /v1/clients/handshake_payload"]; got != 2 {
		t.Errorf("two handshakes made %d handshake_payload calls, want 2", got)
	}
}

// documentTransport marks GET requests as page navigations.
type documentTransport struct{}

func (documentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept", "text/html")
	if r.Method == http.MethodGet {
		r.Header.Set("Sec-Fetch-Dest", "document")
	}
	return http.DefaultTransport.RoundTrip(r)
}
