package handlers_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/testenv"
)

// TestAccountPage: the profile from the local users table, the user's
// organizations and the hosted profile link; signed out, a redirect.
func TestAccountPage(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, _ := s.SignedIn(t, "alice@example.com")
	code, body, _ := send(t, s, follow, "GET", "/account", nil)
	d := doc(t, body)
	if code != 200 || d.Find(`[data-testid="account-name"]`).Text() != "Alice Admin" || d.Find(`[data-testid="account-email"]`).Text() != "alice@example.com" {
		t.Fatalf("account = %d, want alice's profile", code)
	}
	manage, _ := url.Parse(d.Find(`[data-testid="account-manage"]`).AttrOr("href", ""))
	if got := testIDs(t, body, "account-org-item"); len(got) != 2 || manage.Path != "/user" || len(testIDs(t, body, "account-sign-out")) != 1 {
		t.Errorf("account orgs = %v, manage link %q", got, manage)
	}
	if got := manage.Query().Get("redirect_url"); got != s.URL+"/account" || manage.Query().Get("__clerk_db_jwt") == "" {
		t.Errorf("manage link %s: want redirect_url %s/account and the dev browser", manage, s.URL)
	}
	// It opens the emulator's account page, signed in as alice.
	resp, err := follow.Get(manage.String())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(raw), "alice@example.com") || !strings.Contains(string(raw), `href="`+s.URL+`/account"`) {
		t.Errorf("manage link = %d at %s, want the hosted account page of alice with a way back", resp.StatusCode, resp.Request.URL)
	}
	// A name changed locally (by a webhook) shows without a Clerk API call.
	s.DB.Exec("UPDATE users SET first_name = 'Alicia' WHERE id = ?", aliceID)
	testenv.Eventually(t, "account page reads the local users table", func() bool {
		_, body, _ := send(t, s, follow, "GET", "/account", nil)
		return doc(t, body).Find(`[data-testid="account-name"]`).Text() == "Alicia Admin"
	})

	// A request that cannot handshake (no document navigation) goes to sign-in.
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if code, _, resp := send(t, s, anon, "GET", "/account", nil); code != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/sign-in") {
		t.Errorf("signed-out /account = %d to %q, want a redirect to sign-in", code, resp.Header.Get("Location"))
	}
}
