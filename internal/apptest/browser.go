package apptest

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// SignIn walks the hosted sign-in with c (a Browser) and no JavaScript,
// with the seeded password, and returns the final response (body open): app → handshake (dev browser) → hosted page → form post →
// back to the app → handshake (dev-browser-sync) → signed in.
func (s *Stack) SignIn(t testing.TB, c *http.Client, email, returnPath string) *http.Response {
	t.Helper()
	resp, err := c.Get(s.URL + "/sign-in?redirect_url=" + url.QueryEscape(returnPath))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The hosted page: on the emulator, or on whatever stands in front of it.
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/sign-in" || strings.HasPrefix(resp.Request.URL.String(), s.URL) {
		t.Fatalf("GET /sign-in ended at %s (%d), want the hosted sign-in page", resp.Request.URL, resp.StatusCode)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	doc.Find("form input").Each(func(_ int, in *goquery.Selection) {
		if name, ok := in.Attr("name"); ok {
			v, _ := in.Attr("value")
			form.Set(name, v)
		}
	})
	form.Set("identifier", email)
	form.Set("password", "password")
	action, _ := doc.Find("form").Attr("action")
	target, _ := resp.Request.URL.Parse(action)
	resp, err = c.PostForm(target.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// SignedIn walks the hosted sign-in as email and returns a browser client
// that follows redirects and one that does not (to see a form post's own
// answer), sharing the cookies.
func (s *Stack) SignedIn(t testing.TB, email string) (follow, noFollow *http.Client) {
	t.Helper()
	c := s.Browser(t)
	resp := s.SignIn(t, c, email, "/orgs")
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/orgs" {
		t.Fatalf("sign-in of %s ended at %s (%d)", email, resp.Request.URL, resp.StatusCode)
	}
	nf := *c
	nf.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, &nf
}

// Browser returns an HTTP client with a cookie jar that behaves like a page
// navigation: it follows redirects and says it wants HTML.
func (s *Stack) Browser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Transport: documentTransport{}, Timeout: 30 * time.Second}
}

// documentTransport marks GET requests as top-level page loads, as a
// browser's navigation would.
type documentTransport struct{}

func (documentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", "text/html,application/xhtml+xml")
	}
	if r.Method == http.MethodGet && r.Header.Get("Sec-Fetch-Dest") == "" && r.Header.Get("HX-Request") == "" {
		r.Header.Set("Sec-Fetch-Dest", "document")
	}
	return http.DefaultTransport.RoundTrip(r)
}
