package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// auditSummaries are orgID's audit events as "action: summary", oldest first.
func auditSummaries(t *testing.T, s *apptest.Stack, orgID string) []string {
	t.Helper()
	var out []string
	if err := s.DB.Raw("SELECT action || ': ' || summary FROM audit_events WHERE organization_id = ? ORDER BY created_at, id", orgID).Scan(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMemberLeaves: bob, a basic member of acme, leaves it: through the
// confirmation page (no JavaScript) and its form, in Clerk and locally at
// once, audited like a removal, and lands on his organizations with a
// flash; acme is no longer his.
func TestMemberLeaves(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "bob@example.com")
	members, leave := paths.Members("acme"), paths.LeaveOrg("acme")

	code, body, _ := send(t, s, follow, "GET", members, nil)
	d := doc(t, body)
	self := d.Find(`[data-testid="member-row"][data-user-id="` + bobID + `"]`)
	if code != 200 || self.Find(`a[data-testid="member-leave"]`).AttrOr("href", "") != leave || self.Find(`[data-testid="member-leave-confirm"]`).Closest("form").AttrOr("action", "") != leave {
		t.Fatalf("bob's members page = %d, want his row to offer leaving", code)
	}
	if n := d.Find(`[data-testid="member-leave"]`).Length(); n != 1 {
		t.Errorf("%d leave controls, want bob's own only", n)
	}
	code, body, _ = send(t, s, follow, "GET", leave, nil)
	if f := doc(t, body).Find(`[data-testid="confirm-form"]`); code != 200 || f.AttrOr("action", "") != leave || !strings.Contains(body, "Leave Acme Inc?") {
		t.Fatalf("leave confirmation = %d, want the form asking to leave Acme Inc", code)
	}

	code, _, resp := send(t, s, noFollow, "POST", leave, url.Values{})
	if code != http.StatusSeeOther || resp.Header.Get("Location") != paths.Orgs {
		t.Fatalf("leave = %d to %q, want 303 to %s", code, resp.Header.Get("Location"), paths.Orgs)
	}
	if _, err := models.MembershipFor(t.Context(), s.DB, acmeID, bobID); err == nil {
		t.Error("bob's membership still local right after leaving")
	}
	if _, ok := s.ClerkRoles(t, acmeID)[bobID]; ok {
		t.Error("bob is still a member in Clerk")
	}
	code, body, _ = send(t, s, follow, "GET", paths.Orgs, nil)
	if flash := strings.Join(testIDs(t, body, "flash"), ""); code != 200 || !strings.Contains(flash, "You left Acme Inc.") {
		t.Errorf("organizations after leaving = %d, flash %q; want the flash", code, flash)
	}
	if strings.Contains(body, `href="/orgs/acme"`) {
		t.Error("acme is still in bob's organizations")
	}
	if code, _, _ := send(t, s, follow, "GET", members, nil); code != http.StatusNotFound {
		t.Errorf("bob opens acme's members after leaving = %d, want 404", code)
	}
	if got := auditSummaries(t, s, acmeID); !slices.Equal(got, []string{"member.removed: Bob Member left the organization"}) {
		t.Errorf("audit = %q, want one removal saying bob left", got)
	}
	s.WaitForWebhooks(t)
	if _, err := models.MembershipFor(t.Context(), s.DB, acmeID, bobID); err == nil {
		t.Error("bob's membership came back after the webhooks")
	}
}

// TestMembersLastAdminCannotLeave: alice, acme's only admin, sees her role
// control and her leave action disabled with the reason as text; the leave
// page says why instead of asking; a post anyway (a stale page) is a 422
// saying so once, and nothing changes.
func TestMembersLastAdminCannotLeave(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "alice@example.com")
	members, leave := paths.Members("acme"), paths.LeaveOrg("acme")

	_, body, _ := send(t, s, follow, "GET", members, nil)
	alice := doc(t, body).Find(`[data-testid="member-row"][data-user-id="` + aliceID + `"]`)
	if got := strings.TrimSpace(alice.Find(`[data-testid="member-locked"]`).Text()); got != views.LastAdminReason {
		t.Errorf("alice's row says %q, want %q", got, views.LastAdminReason)
	}
	for _, sel := range []string{"member-role-select", "member-role-save", "member-leave"} {
		if c := alice.Find(`[data-testid="` + sel + `"]`); c.Length() != 1 || c.AttrOr("disabled", "x") == "x" {
			t.Errorf("alice's %s is not disabled", sel)
		}
	}
	if alice.Find("form[action='"+leave+"']").Length() != 0 {
		t.Error("alice's row holds a leave form")
	}
	bob := doc(t, body).Find(`[data-testid="member-row"][data-user-id="` + bobID + `"]`)
	if bob.Find(`[data-testid="member-locked"]`).Length() != 0 || bob.Find(`[data-testid="member-role-select"]`).AttrOr("disabled", "x") != "x" {
		t.Error("bob's controls are locked too")
	}

	code, body, _ := send(t, s, follow, "GET", leave, nil)
	if code != 200 || len(testIDs(t, body, "confirm-form")) != 0 || strings.Join(testIDs(t, body, "confirm-reason"), "") != views.LastAdminLeaveReason {
		t.Errorf("alice's leave page = %d, want the reason instead of the form", code)
	}

	before := tenantSnapshot(t, s, acmeID)
	code, body, _ = send(t, s, noFollow, "POST", leave, url.Values{})
	if code != http.StatusUnprocessableEntity || !strings.Contains(strings.Join(testIDs(t, body, "member-error"), ""), "only admin") {
		t.Errorf("alice leaves = %d, want 422 naming the rule", code)
	}
	if n := strings.Count(body, "You are the only admin"); n != 1 {
		t.Errorf("the refusal is on the page %d times, want once", n)
	}
	if m, err := models.MembershipFor(t.Context(), s.DB, acmeID, aliceID); err != nil || m.Role != models.RoleAdmin {
		t.Errorf("alice's membership after the refusal = %+v, %v", m, err)
	}
	if models.NormalizeRole(s.ClerkRoles(t, acmeID)[aliceID]) != models.RoleAdmin {
		t.Error("alice is no longer admin in Clerk")
	}
	if after := tenantSnapshot(t, s, acmeID); after != before {
		t.Errorf("the refused leave changed acme's rows")
	}

	// Removing herself by the admin's route is refused the same way, once.
	code, body, _ = send(t, s, noFollow, "POST", paths.RemoveMember("acme", aliceID), url.Values{})
	if n := strings.Count(body, "is the only admin"); code != http.StatusUnprocessableEntity || n != 1 {
		t.Errorf("alice removes herself = %d with the refusal %d times, want 422 once", code, n)
	}
}

// TestMembersLeaveIsPerTenant: carol cannot leave (or see the leave page
// of) acme, which she is no member of; alice leaving globex leaves her
// acme membership alone.
func TestMembersLeaveIsPerTenant(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	carol, carolNoFollow := s.SignedIn(t, "carol@example.com")
	_, alice := s.SignedIn(t, "alice@example.com")
	before := tenantSnapshot(t, s, acmeID)
	if code, _, _ := send(t, s, carol, "GET", paths.LeaveOrg("acme"), nil); code != http.StatusNotFound {
		t.Errorf("carol's acme leave page = %d, want 404", code)
	}
	if code, raw, _ := send(t, s, carolNoFollow, "POST", paths.LeaveOrg("acme"), url.Values{}); code != http.StatusNotFound || strings.Contains(raw, "Acme Inc") {
		t.Errorf("carol leaves acme = %d, want 404 without acme's name", code)
	}
	if m, err := models.MembershipFor(t.Context(), s.DB, globexID, carolID); err != nil || m.Role != models.RoleAdmin {
		t.Errorf("carol's own globex membership = %+v, %v", m, err)
	}
	if code, _, resp := send(t, s, alice, "POST", paths.LeaveOrg("globex"), url.Values{}); code != http.StatusSeeOther || resp.Header.Get("Location") != paths.Orgs {
		t.Fatalf("alice leaves globex = %d", code)
	}
	if _, err := models.MembershipFor(t.Context(), s.DB, globexID, aliceID); err == nil {
		t.Error("alice is still in globex")
	}
	if m, err := models.MembershipFor(t.Context(), s.DB, acmeID, aliceID); err != nil || m.Role != models.RoleAdmin {
		t.Errorf("alice's acme membership after leaving globex = %+v, %v", m, err)
	}
	if after := tenantSnapshot(t, s, acmeID); after != before {
		t.Error("acme's rows changed")
	}
}

// TestMembersConcurrentLeaveKeepsAnAdmin: alice and bob, the two admins of
// an organization, leave it at the same instant: exactly one goes, and the
// other is told they are now the only admin (422), locally and in Clerk.
func TestMembersConcurrentLeaveKeepsAnAdmin(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	_, alice := s.SignedIn(t, "alice@example.com")
	_, bob := s.SignedIn(t, "bob@example.com")
	ctx := t.Context()
	clients := []*http.Client{alice, bob}
	for i := range raceTries / 2 {
		slug := fmt.Sprintf("leave-race-%d", i)
		orgID := orgOfAdmins(t, s, slug, bobID)
		for _, c := range clients {
			if code, _, _ := send(t, s, c, "GET", paths.Members(slug), nil); code != http.StatusOK {
				t.Fatalf("try %d: members page = %d", i, code)
			}
		}
		codes, bodies := make([]int, 2), make([]string, 2)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for j, c := range clients {
			wg.Go(func() {
				<-start
				codes[j], bodies[j], _ = post(ctx, s, c, paths.LeaveOrg(slug), url.Values{})
			})
		}
		close(start)
		wg.Wait()

		won := slices.Index(codes, http.StatusSeeOther)
		lost := 1 - won
		admins, err := models.CountAdmins(inOrg(ctx, orgID), s.DB)
		if err != nil {
			t.Fatal(err)
		}
		roles := s.ClerkRoles(t, orgID)
		if won < 0 || codes[lost] != http.StatusUnprocessableEntity || !strings.Contains(bodies[lost], "only admin") || admins != 1 || len(roles) != 1 {
			t.Errorf("try %d: alice→%d bob→%d; %d admins locally, %d members in Clerk; want one 303, one 422 naming the rule, one admin",
				i, codes[0], codes[1], admins, len(roles))
		}
	}
}

// TestMembersConfirmPages: without JavaScript every confirmation is a page
// of its own whose form is the real one: removing a member, revoking an
// invitation (one no longer pending says so); admins' only.
func TestMembersConfirmPages(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "alice@example.com")
	bob, _ := s.SignedIn(t, "bob@example.com")
	remove := paths.RemoveMember("acme", bobID)

	code, body, _ := send(t, s, follow, "GET", remove, nil)
	if f := doc(t, body).Find(`[data-testid="confirm-form"]`); code != 200 || f.AttrOr("action", "") != remove || f.AttrOr("method", "") != "post" || !strings.Contains(f.Parent().Text(), "Bob Member") {
		t.Errorf("remove bob's page = %d, want the form naming him", code)
	}
	if code, _, _ := send(t, s, follow, "GET", paths.RemoveMember("acme", "user_nobody"), nil); code != http.StatusNotFound {
		t.Errorf("remove page of a stranger = %d, want 404", code)
	}
	if code, _, _ := send(t, s, bob, "GET", paths.RemoveMember("acme", aliceID), nil); code != http.StatusForbidden {
		t.Errorf("bob's remove page = %d, want 403", code)
	}

	if code, _, _ := send(t, s, noFollow, "POST", paths.Invitations("acme"), url.Values{"email": {"erin@example.com"}}); code != http.StatusSeeOther {
		t.Fatalf("invite erin = %d", code)
	}
	_, body, _ = send(t, s, follow, "GET", paths.Members("acme"), nil)
	revoke := doc(t, body).Find(`a[data-testid="invitation-revoke"]`).AttrOr("href", "")
	code, body, _ = send(t, s, follow, "GET", revoke, nil)
	if f := doc(t, body).Find(`[data-testid="confirm-form"]`); revoke == "" || code != 200 || f.AttrOr("action", "") != revoke || !strings.Contains(f.Parent().Text(), "erin@example.com") {
		t.Fatalf("revoke page %q = %d, want the form naming erin", revoke, code)
	}
	if code, _, _ := send(t, s, noFollow, "POST", revoke, nil); code != http.StatusSeeOther {
		t.Fatalf("revoke = %d", code)
	}
	code, body, _ = send(t, s, follow, "GET", revoke, nil)
	if code != 200 || len(testIDs(t, body, "confirm-form")) != 0 || !strings.Contains(strings.Join(testIDs(t, body, "flash"), ""), "no longer pending") {
		t.Errorf("revoke page of a revoked invitation = %d, want the members page saying so", code)
	}
}
