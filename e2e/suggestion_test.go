package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/clerkdev"
)

// Journey: a domain in automatic suggestion mode. Bill adds initech.test
// with automatic suggestion; Pat signs up as pat@initech.test, finds
// Initech suggested on the chooser, asks to join in one click and sees
// Requested; Bill accepts on the members page, and Pat is a member.
func TestEnterpriseSuggestion(t *testing.T) {
	t.Parallel()
	seed := clerkdev.DevSeed()
	s := apptest.Start(t, apptest.Options{Seed: &seed})
	s.WaitForWebhooks(t)
	// Bill and Pat each in a browser of their own.
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	patTab := NewBrowser(t, s.URL, s.EmuURL).Tab()

	tab.Open("/sign-in?redirect_url=%2Forgs%2Finitech%2Fsettings%2Fdomains")
	onHostedPage(t, tab, "sign-in")
	tab.Fill("#identifier", "bill@initech.test")
	tab.Click(tid("sign-in-form") + " " + tid("submit"))
	ssoSignIn(t, tab, "Bill", "Lumbergh")
	if got := tab.Path(); got != "/orgs/initech/settings/domains" {
		t.Fatalf("Bill landed on %s, want the domains page", got)
	}
	tab.Fill(tid("domain-form")+` input[name="name"]`, "initech.test")
	tab.Do("choose automatic suggestion", chromedp.SetValue(chromedp.CSS(tid("field-enrollment_mode")), "automatic_suggestion"))
	if status := tab.Click(tid("domain-submit")); status != 200 {
		t.Fatalf("add domain = %d at %s", status, tab.URL())
	}

	patTab.Open("/sign-up")
	onHostedPage(t, patTab, "sign-up")
	patTab.Fill("#identifier", "pat@initech.test")
	patTab.Click(tid("sign-up-form") + " " + tid("submit"))
	ssoSignIn(t, patTab, "Pat", "Doe")
	s.WaitForWebhooks(t) // Pat's user.created: the suggestion reads the synced email
	patTab.Open("/orgs")
	offer := tid("suggestion-offer")
	if got := patTab.Text(offer); !strings.Contains(got, "Initech") || !strings.Contains(got, "Your email is at initech.test") {
		t.Fatalf("suggestion = %q, want Initech at initech.test", got)
	}
	if status := patTab.Click(offer + " " + tid("suggestion-request")); status != 200 {
		t.Fatalf("request to join = %d at %s", status, patTab.URL())
	}
	if got := patTab.Text(offer + " " + tid("suggestion-requested")); got != "Requested" {
		t.Fatalf("after requesting the offer says %q, want Requested", got)
	}

	tab.Open("/orgs/initech/members")
	row := tid("request-row")
	if got := tab.Text(row); !strings.Contains(got, "Pat Doe") {
		t.Fatalf("request row = %q, want Pat's", got)
	}
	if status := tab.Click(row + " " + tid("request-accept")); status != 200 {
		t.Fatalf("accept = %d at %s", status, tab.URL())
	}
	found := false
	for _, r := range tab.Texts(tid("member-row")) {
		found = found || strings.Contains(r, "pat@initech.test")
	}
	if !found {
		t.Fatal("Pat is not on the members page after the acceptance")
	}
}
