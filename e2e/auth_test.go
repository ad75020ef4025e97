package e2e

import (
	"net/url"
	"strings"
	"testing"

	"example.com/saas/internal/apptest"
)

// seedPassword is the emulator's password for its seeded accounts.
const seedPassword = "password"

// startStack starts the product for one journey and waits until the app
// knows the seeded users.
func startStack(t *testing.T) *apptest.Stack {
	t.Helper()
	s := apptest.Start(t, apptest.Options{})
	s.WaitForWebhooks(t)
	return s
}

// onHostedPage fails unless the tab shows the emulator's hosted page mode
// ("sign-in" or "sign-up").
func onHostedPage(t *testing.T, tab *Tab, mode string) {
	t.Helper()
	tab.WaitVisible(tid("clerkdev-" + mode))
	if u := tab.URL(); !strings.HasPrefix(u, tab.b.emu+"/"+mode) {
		t.Fatalf("%s: at %s, want the hosted %s page on %s", tab.name, u, mode, tab.b.emu)
	}
}

// submitSignIn fills the hosted sign-in form the tab shows and submits it;
// it returns the status of the page the browser lands on.
func submitSignIn(t *testing.T, tab *Tab, email string) int64 {
	t.Helper()
	onHostedPage(t, tab, "sign-in")
	tab.Fill("#identifier", email)
	tab.Fill("#password", seedPassword)
	return tab.Click(tid("sign-in-form") + " " + tid("submit"))
}

// signIn signs email in through the app's /sign-in and the hosted page, and
// checks the browser came back to returnPath signed in.
func signIn(t *testing.T, tab *Tab, email, returnPath string) {
	t.Helper()
	tab.Open("/sign-in?redirect_url=" + url.QueryEscape(returnPath))
	if status := submitSignIn(t, tab, email); status != 200 {
		t.Fatalf("%s: sign-in as %s landed on %s with %d", tab.name, email, tab.URL(), status)
	}
	if got := tab.Path(); got != returnPath {
		t.Fatalf("%s: sign-in as %s landed on %s, want %s", tab.name, email, got, returnPath)
	}
	assertSignedIn(t, tab, email)
}

// assertSignedIn checks the top bar shows the user menu for email and no
// sign-in link, and that the URL carries no protocol parameters.
func assertSignedIn(t *testing.T, tab *Tab, email string) {
	t.Helper()
	tab.WaitVisible(tid("user-menu"))
	if n := tab.Count(tid("nav-sign-in")); n != 0 {
		t.Errorf("%s: signed in as %s but the page shows a sign-in link", tab.name, email)
	}
	if got := tab.TextContent(tid("user-menu")); !strings.Contains(got, email) {
		t.Errorf("%s: user menu = %q, want it to name %s", tab.name, got, email)
	}
	if u := tab.URL(); strings.Contains(u, "__clerk") {
		t.Errorf("%s: URL after sign-in carries protocol parameters: %s", tab.name, u)
	}
}

// assertSignedOut checks the page is the app's, signed out.
func assertSignedOut(t *testing.T, tab *Tab) {
	t.Helper()
	tab.WaitVisible(tid("nav-sign-in"))
	if n := tab.Count(tid("user-menu")); n != 0 {
		t.Errorf("%s: signed out but the page shows a user menu", tab.name)
	}
}

// signOut signs out through the user menu and checks the landing page.
func signOut(t *testing.T, tab *Tab) {
	t.Helper()
	tab.ClickInPlace(tid("user-menu") + " summary")
	if status := tab.Click(tid("sign-out")); status != 200 {
		t.Fatalf("%s: sign-out landed with %d", tab.name, status)
	}
	if got := tab.Path(); got != "/" {
		t.Fatalf("%s: sign-out landed on %s, want /", tab.name, got)
	}
	assertSignedOut(t, tab)
	if got := tab.Text(tid("flash")); !strings.Contains(got, "signed out") {
		t.Errorf("%s: flash after sign-out = %q, want it to say signed out", tab.name, got)
	}
}
