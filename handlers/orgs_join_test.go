package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"

	"example.com/saas/internal/apptest"
	"example.com/saas/models"
)

// TestJoinFromChooser: globex verifies example.com with automatic
// invitation, so bob sees globex's invitation on /orgs and joins it in one
// click (the membership is local at once, audited); someone else's
// invitation cannot be accepted through his account.
func TestJoinFromChooser(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	ctx := t.Context()
	globex := "org_2globex00000000000000000000"
	if _, err := organizationdomain.NewClient(s.ClientConfig()).Create(ctx, globex, &organizationdomain.CreateParams{
		Name: clerk.String("example.com"), EnrollmentMode: clerk.String("automatic_invitation")}); err != nil {
		t.Fatal(err)
	}
	other, err := organizationinvitation.NewClient(s.ClientConfig()).Create(ctx, &organizationinvitation.CreateParams{
		OrganizationID: globex, EmailAddress: clerk.String("dave@elsewhere.test"), Role: clerk.String(models.RoleMember)})
	if err != nil {
		t.Fatal(err)
	}
	follow, noFollow := s.SignedIn(t, "bob@example.com")
	code, body, _ := send(t, s, follow, "GET", "/orgs", nil)
	offers := testIDs(t, body, "invitation-org")
	if code != 200 || strings.Join(offers, ",") != "Globex" {
		t.Fatalf("/orgs = %d, offers %v; want globex's invitation", code, offers)
	}
	invID := doc(t, body).Find(`[data-testid="invitation-offer"]`).AttrOr("data-invitation-id", "")

	code, _, resp := send(t, s, noFollow, "POST", "/orgs/invitations/"+other.ID+"/accept", nil)
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs" {
		t.Errorf("accept someone else's invitation = %d to %q, want back to /orgs", code, resp.Header.Get("Location"))
	}
	bobID := "user_2bob00000000000000000000000"
	if _, err := models.MembershipFor(ctx, s.DB, globex, bobID); err == nil {
		t.Fatal("bob became a member through dave's invitation")
	}
	code, _, resp = send(t, s, noFollow, "POST", "/orgs/invitations/"+invID+"/accept", nil)
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs/globex" {
		t.Fatalf("join = %d to %q, want 303 to /orgs/globex", code, resp.Header.Get("Location"))
	}
	if m, err := models.MembershipFor(ctx, s.DB, globex, bobID); err != nil || models.NormalizeRole(m.Role) != models.RoleMember {
		t.Fatalf("bob's membership right after = %+v, %v", m, err)
	}
	if code, body, _ := send(t, s, follow, "GET", "/orgs", nil); code != 200 || len(testIDs(t, body, "invitation-offer")) != 0 {
		t.Errorf("/orgs after joining = %d, still offering %v", code, testIDs(t, body, "invitation-org"))
	}
	var actions []string
	s.DB.Raw("SELECT action FROM audit_events WHERE organization_id = ?", globex).Scan(&actions)
	if strings.Join(actions, ",") != "member.joined" {
		t.Errorf("globex audit = %v, want member.joined", actions)
	}
}
