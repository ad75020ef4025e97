package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2/session"
)

// Journey 4: signed in with two tabs open, the user signs out in one; the
// other tab's next action goes to the hosted sign-in, and signing in there
// brings the user back to what they asked for.
func TestSignOutInOneTabSignsOutTheOther(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	b := NewBrowser(t, s.URL, s.EmuURL)
	one := b.Tab()
	signIn(t, one, "bob@example.com", "/orgs/acme")
	two := b.NewTab()
	two.Open("/orgs/acme")
	assertSignedIn(t, two, "bob@example.com")

	signOut(t, one)

	// The other tab still shows the old page; its next navigation (a click
	// in the side navigation) must not get through.
	two.Click(tid("side-nav") + " " + tid("nav-projects"))
	onHostedPage(t, two, "sign-in")
	assertRedirectBack(t, two, s.URL+"/orgs/acme/projects")

	// Tab one, where the user signed out, is signed out of protected
	// pages too.
	one.Open("/orgs/acme")
	onHostedPage(t, one, "sign-in")

	// Signing in again in tab two returns to the page it asked for.
	if status := submitSignIn(t, two, "bob@example.com"); status != 200 {
		t.Fatalf("sign-in again: %d at %s", status, two.URL())
	}
	if got := two.Path(); got != "/orgs/acme/projects" {
		t.Errorf("after signing in again at %s, want /orgs/acme/projects", got)
	}
	assertSignedIn(t, two, "bob@example.com")
}

// Journey 5: the session is revoked from the Clerk side (Backend API, as an
// admin would in the Clerk dashboard); the next navigation is signed out.
func TestSessionRevokedAtClerkSignsOut(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	signIn(t, tab, "carol@example.com", "/orgs/globex")

	// The page's own session, as the JSON API reports it.
	me := Eval[struct {
		SessionID string `json:"session_id"`
	}](tab, `fetch("/api/v1/me", {headers: {Accept: "application/json"}}).then(r => r.json())`)
	if me.SessionID == "" {
		t.Fatal("/api/v1/me gave no session id")
	}
	if _, err := session.NewClient(s.ClientConfig()).Revoke(t.Context(), &session.RevokeParams{ID: me.SessionID}); err != nil {
		t.Fatalf("revoke %s at Clerk: %v", me.SessionID, err)
	}
	// Clerk tells the app by webhook (session.revoked); nothing is polled.
	s.WaitForWebhooks(t)

	tab.Open("/orgs/globex/projects")
	onHostedPage(t, tab, "sign-in")
	assertRedirectBack(t, tab, s.URL+"/orgs/globex/projects")

	// The landing page is public and shows the visitor signed out.
	tab.Open("/")
	assertSignedOut(t, tab)
}

// assertRedirectBack checks the hosted page will send the browser back to
// want after signing in.
func assertRedirectBack(t *testing.T, tab *Tab, want string) {
	t.Helper()
	u, err := url.Parse(tab.URL())
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("redirect_url"); !strings.HasPrefix(got, want) {
		t.Errorf("%s: hosted sign-in redirect_url = %q, want %s", tab.name, got, want)
	}
}
