package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/clerkdev"
)

// Journey: an enterprise customer. Initech's admin Bill signs in through
// Initech's identity provider (the emulator's stand-in for Okta) and adds
// initech.test with automatic invitation, verified at once since his own
// address is there; Pat, new, signs up as pat@initech.test through the same
// provider, finds Initech's invitation on the organization chooser, joins in
// one click and is listed as "SSO (Initech Okta)"; a password for that
// domain is refused with Clerk's message.
func TestEnterpriseDomainAndSSO(t *testing.T) {
	t.Parallel()
	seed := clerkdev.DevSeed()
	s := apptest.Start(t, apptest.Options{Seed: &seed})
	s.WaitForWebhooks(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()

	// Bill signs in: no password, the identity provider instead.
	tab.Open("/sign-in?redirect_url=%2Forgs%2Finitech%2Fsettings%2Fdomains")
	onHostedPage(t, tab, "sign-in")
	tab.Fill("#identifier", "bill@initech.test")
	tab.Click(tid("sign-in-form") + " " + tid("submit"))
	ssoSignIn(t, tab, "Bill", "Lumbergh")
	if got := tab.Path(); got != "/orgs/initech/settings/domains" {
		t.Fatalf("Bill landed on %s, want the domains page", got)
	}
	assertSignedIn(t, tab, "bill@initech.test")

	// He adds the domain with automatic invitation (the form's default).
	tab.Fill(tid("domain-form")+` input[name="name"]`, "initech.test")
	tab.Do("choose automatic invitation", chromedp.SetValue(chromedp.CSS(tid("field-enrollment_mode")), "automatic_invitation"))
	if status := tab.Click(tid("domain-submit")); status != 200 {
		t.Fatalf("add domain = %d at %s", status, tab.URL())
	}
	row := tid("domain-row") + `[data-domain="initech.test"]`
	if got := tab.Text(row); !strings.Contains(got, "Verified") || !strings.Contains(got, "Automatic invitation") {
		t.Fatalf("domain row = %q, want initech.test verified with automatic invitation", got)
	}
	signOut(t, tab)

	// Pat signs up: the hosted sign-up sends the address to the provider.
	tab.Open("/sign-up")
	onHostedPage(t, tab, "sign-up")
	tab.Fill("#identifier", "pat@initech.test")
	tab.Click(tid("sign-up-form") + " " + tid("submit"))
	ssoSignIn(t, tab, "Pat", "Doe")
	if got := tab.Path(); got != "/orgs" {
		t.Fatalf("Pat landed on %s, want the organization chooser", got)
	}
	offer := tid("invitation-offer")
	if got := tab.Texts(offer + " " + tid("invitation-org")); len(got) != 1 || got[0] != "Initech" {
		t.Fatalf("invitations on the chooser = %q, want Initech's", got)
	}
	if status := tab.Click(offer + " " + tid("invitation-join")); status != 200 {
		t.Fatalf("join = %d at %s", status, tab.URL())
	}
	if got := tab.Path(); got != "/orgs/initech" {
		t.Fatalf("after joining at %s, want /orgs/initech", got)
	}

	// The members page says how each member signs in, once the webhooks
	// (user.created with Pat's enterprise account) are in.
	s.WaitForWebhooks(t)
	tab.Open("/orgs/initech/members")
	signIns := map[string]string{}
	for _, r := range tab.Texts(tid("member-row")) {
		for _, who := range []string{"pat@initech.test", "bill@initech.test"} {
			if strings.Contains(r, who) {
				signIns[who] = r
			}
		}
	}
	for who, r := range signIns {
		if !strings.Contains(r, "SSO (Initech Okta)") {
			t.Errorf("%s's row = %q, want it to say SSO (Initech Okta)", who, r)
		}
	}
	if len(signIns) != 2 {
		t.Fatalf("member rows for Pat and Bill = %v", signIns)
	}
	signOut(t, tab)

	// A password for the domain is refused, as Clerk does when SSO is on.
	tab.Open("/sign-in")
	onHostedPage(t, tab, "sign-in")
	tab.Fill("#identifier", "pat@initech.test")
	tab.Fill("#password", "a-guess-12345")
	tab.allowStatus(422)
	if status := tab.Click(tid("sign-in-form") + " " + tid("submit")); status != 422 {
		t.Fatalf("password sign-in at an SSO domain = %d, want 422", status)
	}
	if got := tab.Text(tid("error")); !strings.Contains(got, "The verification strategy is not valid for this account") {
		t.Errorf("refusal = %q, want Clerk's message", got)
	}
	if got := tab.Attr(tid("error"), "data-code"); got != "strategy_for_user_invalid" {
		t.Errorf("refusal code = %q, want strategy_for_user_invalid", got)
	}
}

// ssoSignIn completes the emulator's identity-provider page the tab shows.
func ssoSignIn(t *testing.T, tab *Tab, first, last string) {
	t.Helper()
	tab.WaitVisible(tid("clerkdev-sso"))
	if got := tab.Text(tid("sso-provider")); !strings.Contains(got, "Initech Okta") {
		t.Fatalf("identity provider page names %q, want Initech Okta", got)
	}
	tab.Fill("#first_name", first)
	tab.Fill("#last_name", last)
	if status := tab.Click(tid("sso-submit")); status != 200 {
		t.Fatalf("identity provider sign-in landed on %s with %d", tab.URL(), status)
	}
}
