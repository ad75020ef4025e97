package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"example.com/saas/internal/apptest"
	"example.com/saas/models"
)

func doc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestMembersPage walks the members page as alice (admin of acme) and bob
// (member): the list, invitations against the emulator, role changes
// visible at once, removal, the last-admin rule and every refusal.
func TestMembersPage(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "alice@example.com")
	bobFollow, bobNoFollow := s.SignedIn(t, "bob@example.com")
	const members = "/orgs/acme/members"

	code, body, _ := send(t, s, follow, "GET", members, nil)
	if code != 200 || len(testIDs(t, body, "member-row")) != 2 || len(testIDs(t, body, "invite-form")) != 1 {
		t.Fatalf("alice's members page = %d, want 2 members and the invite form", code)
	}
	if len(testIDs(t, body, "empty-state")) != 1 {
		t.Error("no empty state for pending invitations")
	}

	// Bob sees the list read-only; his writes are refused by permission name.
	code, body, _ = send(t, s, bobFollow, "GET", members, nil)
	if code != 200 || len(testIDs(t, body, "member-row")) != 2 || len(testIDs(t, body, "invite-form")) != 0 || len(testIDs(t, body, "member-role-form")) != 0 || len(testIDs(t, body, "member-remove")) != 0 {
		t.Errorf("bob's members page = %d, want a read-only list", code)
	}
	for _, path := range []string{members + "/invitations", members + "/" + aliceID + "/remove", members + "/" + aliceID + "/role", members + "/invitations/orginv_x/revoke"} {
		code, raw, _ := send(t, s, bobNoFollow, "POST", path, url.Values{"email": {"x@example.com"}, "role": {"org:member"}})
		if code != http.StatusForbidden || !strings.Contains(raw, models.PermMembershipsManage) {
			t.Errorf("bob POST %s = %d, want 403 naming %s", path, code, models.PermMembershipsManage)
		}
	}

	// Invitations: invalid input re-renders with the input; duplicates are friendly.
	for _, email := range []string{"", "nope", "a@b", strings.Repeat("x", 250) + "@example.com"} {
		code, raw, _ := send(t, s, noFollow, "POST", members+"/invitations", url.Values{"email": {email}, "role": {"org:admin"}})
		d := doc(t, raw)
		if code != http.StatusUnprocessableEntity || d.Find(`[data-testid="error-email"]`).Length() != 1 || d.Find(`#field-email`).AttrOr("value", "?") != email || d.Find(`#field-role option[selected]`).AttrOr("value", "") != "org:admin" {
			t.Errorf("invite %q = %d, want 422 with the input and an email error", email, code)
		}
	}
	if code, raw, _ := send(t, s, noFollow, "POST", members+"/invitations", url.Values{"email": {"dave@example.com"}, "role": {"org:owner"}}); code != 422 || len(testIDs(t, raw, "error-role")) != 1 {
		t.Errorf("invite with an unknown role = %d, want 422", code)
	}
	if code, raw, _ := send(t, s, noFollow, "POST", members+"/invitations", url.Values{"email": {"BOB@example.com"}}); code != 422 || !strings.Contains(strings.Join(testIDs(t, raw, "error-email"), ""), "already a member") {
		t.Errorf("invite bob = %d, want 422 already a member", code)
	}
	if code, _, resp := send(t, s, noFollow, "POST", members+"/invitations", url.Values{"email": {" Dave@Example.com "}, "role": {"org:member"}}); code != http.StatusSeeOther || resp.Header.Get("Location") != members {
		t.Fatalf("invite dave = %d, want 303", code)
	}
	code, body, _ = send(t, s, follow, "GET", members, nil)
	if got := testIDs(t, body, "invitation-email"); code != 200 || len(got) != 1 || got[0] != "dave@example.com" || !strings.Contains(strings.Join(testIDs(t, body, "flash"), ""), "dave@example.com") {
		t.Fatalf("pending invitations = %v (%d), want dave with a flash", got, code)
	}
	invID := doc(t, body).Find(`[data-testid="invitation-row"]`).AttrOr("data-invitation-id", "")
	if code, raw, _ := send(t, s, noFollow, "POST", members+"/invitations", url.Values{"email": {"dave@example.com"}}); code != 422 || !strings.Contains(strings.Join(testIDs(t, raw, "error-email"), ""), "already a pending invitation") {
		t.Errorf("second invitation for dave = %d, want 422 with a friendly error", code)
	}
	if code, _, _ := send(t, s, noFollow, "POST", members+"/invitations/"+invID+"/revoke", nil); code != http.StatusSeeOther {
		t.Errorf("revoke = %d, want 303", code)
	}
	code, body, _ = send(t, s, follow, "GET", members, nil)
	if code != 200 || len(testIDs(t, body, "invitation-row")) != 0 {
		t.Errorf("after revoking: %d invitations", len(testIDs(t, body, "invitation-row")))
	}
	if code, _, _ := send(t, s, noFollow, "POST", members+"/invitations/"+invID+"/revoke", nil); code != http.StatusSeeOther {
		t.Errorf("revoke twice = %d, want 303 with a flash", code)
	}
	if code, _, _ := send(t, s, follow, "POST", members+"/invitations/..%2F..%2Fx/revoke", url.Values{}); code != http.StatusNotFound {
		t.Errorf("revoke with a bad id = %d, want 404", code)
	}

	// Roles: bob becomes admin, visible locally before any webhook.
	if code, raw, _ := send(t, s, noFollow, "POST", members+"/"+bobID+"/role", url.Values{"role": {"org:owner"}}); code != 422 || len(testIDs(t, raw, "member-error")) != 1 {
		t.Errorf("unknown role = %d, want 422 with the row's error", code)
	}
	if code, _, _ := send(t, s, noFollow, "POST", members+"/"+bobID+"/role", url.Values{"role": {"org:admin"}}); code != http.StatusSeeOther {
		t.Fatalf("make bob admin = %d", code)
	}
	if m, err := models.MembershipFor(t.Context(), s.DB, acmeID, bobID); err != nil || m.Role != models.RoleAdmin || !m.Has(models.PermMembershipsManage) {
		t.Errorf("bob's membership right after = %+v, %v; want admin", m, err)
	}
	code, body, _ = send(t, s, follow, "GET", members, nil)
	if role := doc(t, body).Find(`[data-testid="member-row"][data-user-id="`+bobID+`"]`).AttrOr("data-role", ""); role != models.RoleAdmin {
		t.Errorf("bob's row role = %q, want org:admin", role)
	}
	if code, _, _ := send(t, s, bobFollow, "GET", "/orgs/acme/settings", nil); code != 200 {
		t.Errorf("bob as admin opens settings = %d, want 200", code)
	}
	s.WaitForWebhooks(t)
	if m, _ := models.MembershipFor(t.Context(), s.DB, acmeID, bobID); m == nil || m.Role != models.RoleAdmin {
		t.Errorf("after the webhook bob is %+v", m)
	}
	if code, _, _ := send(t, s, noFollow, "POST", members+"/"+bobID+"/role", url.Values{"role": {"org:member"}}); code != http.StatusSeeOther {
		t.Errorf("make bob member again = %d", code)
	}

	// The last admin can be neither demoted nor removed.
	for _, action := range []string{"/role", "/remove"} {
		code, raw, _ := send(t, s, noFollow, "POST", members+"/"+aliceID+action, url.Values{"role": {"org:member"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(strings.Join(testIDs(t, raw, "member-error"), ""), "only admin") {
			t.Errorf("alice%s as the last admin = %d, want 422 naming the rule", action, code)
		}
	}
	if m, _ := models.MembershipFor(t.Context(), s.DB, acmeID, aliceID); m == nil || m.Role != models.RoleAdmin {
		t.Error("alice is no longer admin")
	}

	// Removing bob: gone locally at once; a second submit is harmless.
	if code, _, resp := send(t, s, noFollow, "POST", members+"/"+bobID+"/remove", nil); code != http.StatusSeeOther || resp.Header.Get("Location") != members {
		t.Fatalf("remove bob = %d", code)
	}
	if _, err := models.MembershipFor(t.Context(), s.DB, acmeID, bobID); err == nil {
		t.Error("bob's membership still local right after removal")
	}
	if code, body, _ := send(t, s, follow, "POST", members+"/"+bobID+"/remove", nil); code != 200 || !strings.Contains(strings.Join(testIDs(t, body, "flash"), ""), "already removed") {
		t.Errorf("remove bob twice = %d, want the members page with a flash", code)
	}
	if code, _, _ := send(t, s, bobFollow, "GET", members, nil); code != http.StatusNotFound {
		t.Errorf("bob after removal = %d, want 404", code)
	}
	s.WaitForWebhooks(t)
	if _, err := models.MembershipFor(t.Context(), s.DB, acmeID, bobID); err == nil {
		t.Error("bob's membership came back after the webhooks")
	}

	var actions []string
	s.DB.Raw("SELECT action FROM audit_events WHERE organization_id = ? ORDER BY created_at, id", acmeID).Scan(&actions)
	want := "member.invited,member.invitation_revoked,member.role_changed,member.role_changed,member.removed"
	if strings.Join(actions, ",") != want {
		t.Errorf("audit = %v, want %s", actions, want)
	}
}
