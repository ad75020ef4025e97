package handlers_test

import (
	"net/http"
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
	if got := testIDs(t, body, "account-org-item"); len(got) != 2 || !strings.HasSuffix(d.Find(`[data-testid="account-manage"]`).AttrOr("href", ""), "/user") || len(testIDs(t, body, "account-sign-out")) != 1 {
		t.Errorf("account orgs = %v, manage link %q", got, d.Find(`[data-testid="account-manage"]`).AttrOr("href", ""))
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
