package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Journey 2: an admin invites a second user by email; the invitation stays
// pending until they follow the email's link (read from the emulator's
// outbox) in their own browser, sign up on the hosted page with the invited
// address and land in the organization; the admin changes their role from
// admin to member, and from then on they cannot open the settings (403).
func TestInvitedUserJoinsThenLosesAdmin(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	email := fmt.Sprintf("dana.%d@example.com", time.Now().UnixNano())

	// Alice, admin of Acme, invites Dana as an admin.
	admin := NewBrowser(t, s.URL, s.EmuURL).Tab()
	signIn(t, admin, "alice@example.com", "/orgs/acme")
	admin.Click(tid("side-nav") + " " + tid("nav-members"))
	if got := admin.Path(); got != "/orgs/acme/members" {
		t.Fatalf("the members link led to %s", got)
	}
	if emails := admin.Texts(tid("member-email")); !contains(emails, "alice@example.com") || !contains(emails, "bob@example.com") {
		t.Errorf("Acme's members = %q, want alice and bob", emails)
	}
	form := tid("invite-form")
	admin.Fill(form+` input[name="email"]`, email)
	selectOption(t, admin, form+` select[name="role"]`, "admin")
	if status := admin.Click(tid("invite-submit")); status != 200 {
		t.Fatalf("invite %s: %d at %s", email, status, admin.URL())
	}
	if got := admin.Text(tid("flash")); !strings.Contains(got, email) {
		t.Errorf("flash after inviting = %q, want it to name %s", got, email)
	}
	if got := admin.Texts(tid("invitation-email")); !contains(got, email) {
		t.Fatalf("pending invitations = %q, want %s", got, email)
	}

	// Dana opens the invitation email in a fresh browser and follows its
	// link: through the app's /sign-in to the hosted sign-up, her address
	// filled in and fixed.
	dana := NewBrowser(t, s.URL, s.EmuURL).Tab()
	link := openInvitationEmail(t, dana, email, "Alice Admin invited you to join Acme Inc")
	dana.Click(tid("email") + " " + tid("email-link"))
	onHostedPage(t, dana, "sign-up")
	if got := dana.Text(tid("invitation")); !strings.Contains(got, "Acme Inc") {
		t.Errorf("hosted sign-up says %q, want the invitation to Acme Inc", got)
	}
	if got := Eval[string](dana, `document.querySelector("#identifier").value`); got != email {
		t.Errorf("hosted sign-up email = %q, want %s", got, email)
	}
	if !Eval[bool](dana, `document.querySelector("#identifier").readOnly`) {
		t.Error("the invited email can be edited on the hosted sign-up")
	}
	dana.Fill("#first_name", "Dana")
	dana.Fill("#last_name", "Invited")
	dana.Fill("#password", "invited-and-glad")
	if status := dana.Click(tid("sign-up-form") + " " + tid("submit")); status != 200 {
		t.Fatalf("sign-up landed on %s with %d", dana.URL(), status)
	}
	// /app opens the one organization she is in once its membership has
	// arrived by webhook, the chooser if it has not yet: either is right.
	if got := dana.Path(); got != "/orgs" && got != "/orgs/acme" {
		t.Fatalf("after accepting the invitation at %s, want /orgs or /orgs/acme", got)
	}
	// The user and the membership reach the app by webhook (user.created,
	// organizationMembership.created); until then the menu says "Signed in".
	s.WaitForWebhooks(t)
	dana.Open("/orgs")
	assertSignedIn(t, dana, email)
	acme := tid("org-item") + `[href="/orgs/acme"]`
	if n := dana.Count(acme); n != 1 {
		t.Fatalf("Dana's organizations = %q, want Acme Inc", dana.Texts(tid("org-item")))
	}
	if got := dana.Text(acme); !strings.Contains(strings.ToLower(got), "admin") {
		t.Errorf("Dana's Acme entry = %q, want the admin role", got)
	}
	dana.Click(acme)
	assertOrg(t, dana, "Acme Inc")
	dana.Click(tid("side-nav") + " " + tid("nav-settings"))
	dana.WaitVisible(tid("settings-form"))

	// The link worked once.
	dana.allowStatus(400)
	if status := dana.Open(link); status != 400 {
		t.Errorf("the invitation link a second time = %d, want 400", status)
	}
	if got := dana.Text(tid("error")); !strings.Contains(got, "already been accepted") {
		t.Errorf("the used invitation link says %q, want already accepted", got)
	}

	// Alice sees Dana as a member now, and makes her a plain member.
	admin.Open("/orgs/acme/members")
	if got := admin.Texts(tid("invitation-email")); contains(got, email) {
		t.Errorf("the accepted invitation is still pending: %q", got)
	}
	row := memberRow(t, admin, email)
	if got := admin.Attr(row, "data-role"); got != "org:admin" {
		t.Errorf("Dana's role = %q, want org:admin", got)
	}
	selectOption(t, admin, row+" "+tid("member-role-select"), "member")
	if status := admin.Click(row + " " + tid("member-role-save")); status != 200 {
		t.Fatalf("change Dana's role: %d at %s", status, admin.URL())
	}
	row = memberRow(t, admin, email)
	if got := admin.Attr(row, "data-role"); got != "org:member" {
		t.Fatalf("Dana's role after the change = %q, want org:member", got)
	}

	// Dana has lost the settings: no link, and the page itself is refused.
	s.WaitForWebhooks(t)
	dana.Open("/orgs/acme")
	if n := dana.Count(tid("nav-settings")); n != 0 {
		t.Error("a member still sees the settings link")
	}
	dana.allowStatus(403)
	if status := dana.Open("/orgs/acme/settings"); status != 403 {
		t.Errorf("a member opening the settings = %d, want 403", status)
	}
	assertErrorPage(t, dana, 403)
	if n := dana.Count(tid("settings-form")); n != 0 {
		t.Error("the 403 page shows the settings form")
	}
	// She is still a member: the rest of the organization works.
	if status := dana.Open("/orgs/acme/members"); status != 200 {
		t.Errorf("a member opening the members page = %d, want 200", status)
	}
	dana.WaitVisible(tid("members-read-only"))
}

// openInvitationEmail opens the emulator's outbox in the tab at the one email
// to address, checks its subject and returns its link.
func openInvitationEmail(t *testing.T, tab *Tab, address, subject string) string {
	t.Helper()
	tab.Open(tab.b.emu + "/__clerkdev/emails?to=" + url.QueryEscape(address))
	tab.WaitVisible(tid("clerkdev-outbox"))
	if n := tab.Count(tid("email")); n != 1 {
		t.Fatalf("%s: the outbox has %d emails to %s, want 1", tab.name, n, address)
	}
	if got := tab.Text(tid("email-subject")); got != subject {
		t.Errorf("%s: email subject = %q, want %q", tab.name, got, subject)
	}
	return tab.Attr(tid("email-link"), "href")
}

// memberRow returns a selector for the member row of email on the members
// page the tab shows.
func memberRow(t *testing.T, tab *Tab, email string) string {
	t.Helper()
	id := Eval[string](tab, `(Array.from(document.querySelectorAll('[data-testid="member-row"]'))
		.find(r => r.querySelector('[data-testid="member-email"]').innerText.trim() === `+jsString(email)+`) || {dataset: {}}).dataset.userId || ""`)
	if id == "" {
		t.Fatalf("no member row for %s; members: %q", email, tab.Texts(tid("member-email")))
	}
	return tid("member-row") + `[data-user-id="` + id + `"]`
}

// selectOption chooses the option of the select matching css whose label or
// value contains want (case-insensitive), as a person picking from the list.
func selectOption(t *testing.T, tab *Tab, css, want string) {
	t.Helper()
	got := Eval[string](tab, `(() => {
		const sel = document.querySelector(`+jsString(css)+`);
		if (!sel) return "";
		const want = `+jsString(strings.ToLower(want))+`;
		const opt = Array.from(sel.options).find(o =>
			o.text.toLowerCase().includes(want) || o.value.toLowerCase().includes(want));
		if (!opt) return "";
		sel.value = opt.value;
		sel.dispatchEvent(new Event("change", {bubbles: true}));
		return opt.value;
	})()`)
	if got == "" {
		t.Fatalf("%s: no option %q in %s", tab.name, want, css)
	}
}
