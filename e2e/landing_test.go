package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"example.com/saas/internal/testenv"
)

// Journey: the app opens where the user left off. Alice works in Globex,
// signs out, and signing in again (no page asked for) lands on Globex's
// dashboard, not the organization chooser.
func TestLandingOnTheLastOrganization(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	signIn(t, tab, "alice@example.com", "/orgs")
	tab.Click(tid("org-item") + `[href="/orgs/globex"]`)
	assertOrg(t, tab, "Globex")
	signOut(t, tab)

	tab.Open("/sign-in")
	if status := submitSignIn(t, tab, "alice@example.com"); status != 200 {
		t.Fatalf("sign-in again: %d at %s", status, tab.URL())
	}
	if got := tab.Path(); got != "/orgs/globex" {
		t.Fatalf("signing in again landed on %s, want Globex's dashboard /orgs/globex", got)
	}
	tab.WaitVisible(tid("dashboard-stats"))
	assertSignedIn(t, tab, "alice@example.com")
}

// Journey: a brand-new user gets one step, "Create your organization" with
// its form; a refused name stays on /orgs; creating lands in the new
// organization, and the app opens there from then on.
func TestLandingNewUserCreatesTheirOrganization(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	tab.Open("/sign-up")
	onHostedPage(t, tab, "sign-up")
	email := fmt.Sprintf("ivy.%d@example.com", time.Now().UnixNano())
	tab.Fill("#first_name", "Ivy")
	tab.Fill("#last_name", "Founder")
	tab.Fill("#identifier", email)
	tab.Fill("#password", "first-of-many-42")
	if status := tab.Click(tid("sign-up-form") + " " + tid("submit")); status != 200 {
		t.Fatalf("sign-up landed on %s with %d", tab.URL(), status)
	}
	if got := tab.Path(); got != "/orgs" {
		t.Fatalf("a new user landed on %s, want the organization chooser /orgs", got)
	}
	tab.WaitVisible(tid("first-org"))
	tab.checkAccessibilityBothSchemes("a new user's organizations")
	if got := tab.Text("main h1"); got != "Create your organization" {
		t.Errorf("a new user's heading = %q, want Create your organization", got)
	}
	if n := tab.Count(tid("empty-state") + "," + tid("org-list") + "," + tid("empty-create-org")); n != 0 {
		t.Errorf("a new user's page shows %d other calls to action or lists, want only the create step", n)
	}
	if n := tab.Count(tid("create-org-form")); n != 1 {
		t.Errorf("create forms = %d, want 1", n)
	}

	// A refused name re-renders in place: the address stays /orgs.
	tab.allowStatus(422)
	tab.ClickInPlace(tid("create-org-submit"))
	tab.WaitVisible(tid("error-name"))
	if got := tab.Path(); got != "/orgs" {
		t.Errorf("after a refused name at %s, want /orgs", got)
	}

	slug := createOrg(t, tab, "Ivy Ventures")
	if slug != "ivy-ventures" {
		t.Errorf("new organization's slug = %q", slug)
	}
	assertOrg(t, tab, "Ivy Ventures")
	tab.Open("/app")
	if got := tab.Path(); got != "/orgs/ivy-ventures" {
		t.Errorf("/app after creating the organization = %s, want /orgs/ivy-ventures", got)
	}
}

// Journey: "Manage your account" opens the emulator's hosted account page
// (as Clerk's Account Portal); a new name there reaches the app by webhook,
// and "Sign out of all sessions" signs the app out.
func TestLandingManageYourAccount(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	signIn(t, tab, "bob@example.com", "/account")
	if status := tab.Click(tid("account-manage")); status != 200 {
		t.Fatalf("Manage your account: %d at %s", status, tab.URL())
	}
	tab.WaitVisible(tid("clerkdev-account"))
	tab.checkAccessibilityBothSchemes("hosted account page")
	if u := tab.URL(); !strings.HasPrefix(u, s.EmuURL+"/user") {
		t.Fatalf("Manage your account led to %s, want the hosted %s/user", u, s.EmuURL)
	}
	if got := tab.Text(tid("account-email")); got != "bob@example.com" {
		t.Errorf("hosted account page email = %q, want bob@example.com", got)
	}

	tab.Fill("#first_name", "Robert")
	tab.Fill("#last_name", "Renamed")
	if status := tab.Click(tid("account-save")); status != 200 {
		t.Fatalf("save name: %d at %s", status, tab.URL())
	}
	if got := tab.Text(tid("account-name")); got != "Robert Renamed" {
		t.Errorf("hosted account name after saving = %q", got)
	}
	if status := tab.Click(tid("account-back")); status != 200 {
		t.Fatalf("Back to the app: %d at %s", status, tab.URL())
	}
	if got := tab.Path(); got != "/account" {
		t.Errorf("Back to the app landed on %s, want /account", got)
	}
	// The name arrives by webhook (user.updated).
	s.WaitForWebhooks(t)
	testenv.Eventually(t, "the new name shows on the app's account page", func() bool {
		tab.Open("/account")
		return tab.Text(tid("account-name")) == "Robert Renamed"
	})

	tab.Click(tid("account-manage"))
	tab.WaitVisible(tid("account-sign-out-all"))
	if status := tab.Click(tid("account-sign-out-all")); status != 200 {
		t.Fatalf("Sign out of all sessions: %d at %s", status, tab.URL())
	}
	if u := tab.URL(); !strings.HasPrefix(u, s.EmuURL) && !strings.HasPrefix(u, s.URL) {
		t.Errorf("after signing out everywhere at %s, want the app (or its sign-in)", u)
	}
	s.WaitForWebhooks(t) // session.revoked
	tab.Open("/")
	assertSignedOut(t, tab)
	tab.Open("/account")
	onHostedPage(t, tab, "sign-in")
}
