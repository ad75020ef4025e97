package faults_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"example.com/saas/internal/apptest"
)

// TestClerkDown takes Clerk away (both APIs: the app reaches the emulator
// only through a proxy that is then shut) after a user signed in. Sessions
// keep working, verified with the cached JWKS, on every page and API route
// that needs no Backend API call; the routes that must call Clerk (create
// an organization, invite a member) answer a friendly error without
// internals and write nothing; sign-out still signs out, locally.
func TestClerkDown(t *testing.T) {
	t.Parallel()
	clerk := newClerkSwitch(t)
	s := apptest.StartSynced(t, apptest.Options{Env: map[string]string{
		"CLERK_API_URL":          clerk.URL() + "/v1",
		"CLERK_FRONTEND_API_URL": clerk.URL(),
		"CLERK_PUBLISHABLE_KEY":  publishableKey(clerk.URL()),
	}})
	// From here on the emulator is Clerk at the proxy's address: its
	// tokens' issuer and its hosted pages are there.
	clerk.Forward(strings.TrimPrefix(s.EmuURL, "http://"))
	s.Emu.SetBaseURL(clerk.URL())

	follow, browser := s.SignedIn(t, "alice@example.com")
	_, token := s.Session(t, apptest.Alice, apptest.Acme)
	if r := apiCall(t, s, token, http.MethodGet, "/api/v1/me", nil); r.status != 200 {
		t.Fatalf("before the outage: /api/v1/me = %d %s", r.status, r.body)
	}

	clerk.Down()

	t.Run("what needs no Backend API keeps working", func(t *testing.T) {
		checks := []struct {
			name   string
			send   func() response
			status int
			has    string
		}{
			{"API me", func() response { return apiCall(t, s, token, http.MethodGet, "/api/v1/me", nil) }, 200, `"session_id"`},
			{"API project list", func() response { return apiCall(t, s, token, http.MethodGet, "/api/v1/projects", nil) }, 200, `"data"`},
			{"API project create", func() response {
				return apiCall(t, s, token, http.MethodPost, "/api/v1/projects", map[string]any{"name": "Made during the outage"})
			}, 201, "Made during the outage"},
			{"project list page", func() response { return pageCall(t, s, follow, http.MethodGet, "/orgs/acme/projects", nil) }, 200, "Made during the outage"},
			{"project create form", func() response {
				return pageCall(t, s, browser, http.MethodPost, "/orgs/acme/projects", url.Values{"name": {"Form during the outage"}})
			}, 303, ""},
			{"dashboard", func() response { return pageCall(t, s, follow, http.MethodGet, "/orgs/acme", nil) }, 200, ""},
			// Pending invitations come from Clerk: the page says they
			// could not be loaded instead of failing.
			{"members page", func() response { return pageCall(t, s, follow, http.MethodGet, "/orgs/acme/members", nil) }, 200, "could not be loaded"},
			{"readiness", func() response { return do(t, http.DefaultClient, mustRequest(http.MethodGet, s.URL+"/readyz")) }, 200, ""},
		}
		for _, c := range checks {
			r := c.send()
			if r.status != c.status || !strings.Contains(r.body, c.has) {
				t.Errorf("%s with Clerk down = %d (want %d, containing %q):\n%.600s", c.name, r.status, c.status, c.has, r.body)
			}
		}
	})

	t.Run("what needs Clerk fails clearly and writes nothing", func(t *testing.T) {
		checks := []struct {
			name    string
			path    string
			form    url.Values
			written string
		}{
			{"create organization", "/orgs", url.Values{"name": {"Initech"}},
				"SELECT count(*) FROM organizations WHERE name = 'Initech'"},
			{"invite member", "/orgs/acme/members/invitations", url.Values{"email": {"dave@example.com"}, "role": {"org:member"}},
				"SELECT count(*) FROM audit_events WHERE action = 'member.invited'"},
		}
		for _, c := range checks {
			r := pageCall(t, s, browser, http.MethodPost, c.path, c.form)
			// Today the generic 500 page; a 503 naming Clerk would be
			// clearer (see the report in docs/security.md).
			if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "could not reach Clerk") {
				t.Errorf("%s with Clerk down = %d, want the 503 page naming Clerk", c.name, r.status)
			}
			if !strings.Contains(r.body, "try again") || !strings.Contains(r.body, r.header.Get("X-Request-Id")) {
				t.Errorf("%s with Clerk down: the page does not ask to try again or lacks the request id:\n%.600s", c.name, r.body)
			}
			if w := leaked(r.body); len(w) > 0 {
				t.Errorf("%s with Clerk down shows internals %q", c.name, w)
			}
			if n := queryInt(t, s.DBURL, c.written); n != 0 {
				t.Errorf("%s with Clerk down wrote %d rows (%s)", c.name, n, c.written)
			}
		}
	})

	t.Run("sign-out still signs out", func(t *testing.T) {
		sid := sessionIDOf(t, cookieValue(follow, s.URL, "__session"))
		r := pageCall(t, s, browser, http.MethodPost, "/sign-out", url.Values{})
		if r.status != http.StatusSeeOther {
			t.Fatalf("sign-out with Clerk down = %d, want 303", r.status)
		}
		if n := queryInt(t, s.DBURL, "SELECT count(*) FROM revoked_sessions WHERE session_id = $1", sid); n != 1 {
			t.Errorf("sign-out with Clerk down did not record the session as revoked")
		}
		r = pageCall(t, s, browser, http.MethodGet, "/orgs/acme/projects", nil)
		if r.status != http.StatusFound || !strings.HasPrefix(r.header.Get("Location"), "/sign-in") {
			t.Errorf("after sign-out: %d to %q, want a redirect to /sign-in", r.status, r.header.Get("Location"))
		}
	})
}

// publishableKey is Clerk's key format for a Frontend API at baseURL:
// pk_test_ + base64("host:port$").
func publishableKey(baseURL string) string {
	u, _ := url.Parse(baseURL)
	return "pk_test_" + base64.RawStdEncoding.EncodeToString([]byte(u.Host+"$"))
}

func mustRequest(method, u string) *http.Request {
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// cookieValue returns the value of the client's cookie name for base.
func cookieValue(c *http.Client, base, name string) string {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// sessionIDOf reads the sid claim of a session token (no verification:
// the test only needs to know which session to look for).
func sessionIDOf(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("no session token in the browser (%q)", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct{ Sid string }
	if err != nil || json.Unmarshal(raw, &claims) != nil || claims.Sid == "" {
		t.Fatalf("session token without sid: %v", err)
	}
	return claims.Sid
}
