package handlers_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"

	"example.com/saas/internal/apptest"
	"example.com/saas/models"
)

// suggestGlobex makes example.com a verified domain of globex in
// automatic_suggestion mode, synced here: Globex is suggested to bob (at
// example.com, not a member), and to no member of it.
func suggestGlobex(t *testing.T, s *apptest.Stack) {
	t.Helper()
	if _, err := organizationdomain.NewClient(s.ClientConfig()).Create(t.Context(), globexID, &organizationdomain.CreateParams{
		Name: clerk.String("example.com"), EnrollmentMode: clerk.String(models.EnrollSuggestion), Verified: clerk.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	s.WaitForWebhooks(t)
}

// requestAsBob asks to join globex as bob and returns the request's id.
func requestAsBob(t *testing.T, s *apptest.Stack, bob *http.Client) string {
	t.Helper()
	if code, _, resp := send(t, s, bob, "POST", "/orgs/suggestions/"+globexID+"/request", nil); code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs" {
		t.Fatalf("request to join = %d to %q, want 303 to /orgs", code, resp.Header.Get("Location"))
	}
	var id string
	s.DB.Raw("SELECT id FROM membership_requests WHERE organization_id = ? AND user_id = ? AND status = 'pending'", globexID, bobID).Scan(&id)
	if id == "" {
		t.Fatal("no pending request after requesting")
	}
	return id
}

func globexAudit(t *testing.T, s *apptest.Stack) string {
	t.Helper()
	var actions []string
	s.DB.Raw("SELECT action || ':' || actor_user_id FROM audit_events WHERE organization_id = ? ORDER BY created_at", globexID).Scan(&actions)
	return strings.Join(actions, ",")
}

// TestSuggestionOnChooser: globex's example.com suggests Globex to bob only
// once it is verified and in automatic_suggestion mode, never to its members;
// bob's one click stores one pending request, audited in globex, a second
// click changes nothing, and the chooser then says Requested. An
// organization not suggested to him cannot be asked.
func TestSuggestionOnChooser(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	ctx := t.Context()
	domains := organizationdomain.NewClient(s.ClientConfig())
	bobFollow, bob := s.SignedIn(t, "bob@example.com")
	aliceFollow, _ := s.SignedIn(t, "alice@example.com")
	offers := func(c *http.Client) []string {
		t.Helper()
		code, body, _ := send(t, s, c, "GET", "/orgs", nil)
		if code != 200 {
			t.Fatalf("/orgs = %d", code)
		}
		return testIDs(t, body, "suggestion-org")
	}

	d, err := domains.Create(ctx, globexID, &organizationdomain.CreateParams{
		Name: clerk.String("example.com"), EnrollmentMode: clerk.String(models.EnrollSuggestion), Verified: clerk.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	s.WaitForWebhooks(t)
	if got := offers(bobFollow); len(got) != 0 {
		t.Errorf("unverified domain: bob offered %v", got)
	}
	if _, err := domains.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: globexID, DomainID: d.ID,
		EnrollmentMode: clerk.String("manual_invitation"), Verified: clerk.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	s.WaitForWebhooks(t)
	if got := offers(bobFollow); len(got) != 0 {
		t.Errorf("manual_invitation domain: bob offered %v", got)
	}
	if _, err := domains.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: globexID, DomainID: d.ID,
		EnrollmentMode: clerk.String(models.EnrollSuggestion)}); err != nil {
		t.Fatal(err)
	}
	s.WaitForWebhooks(t)
	code, body, _ := send(t, s, bobFollow, "GET", "/orgs", nil)
	if got := testIDs(t, body, "suggestion-org"); code != 200 || strings.Join(got, ",") != "Globex" || !strings.Contains(body, "Your email is at example.com") {
		t.Fatalf("verified automatic_suggestion: bob offered %v, want Globex at example.com", got)
	}
	if got := offers(aliceFollow); len(got) != 0 {
		t.Errorf("alice, a member of globex, offered %v", got)
	}

	requestAsBob(t, s, bob)
	requestAsBob(t, s, bob) // the second click: the same request
	var n int64
	s.DB.Raw("SELECT count(*) FROM membership_requests WHERE organization_id = ? AND user_id = ?", globexID, bobID).Scan(&n)
	if n != 1 {
		t.Errorf("requests after two clicks = %d, want 1", n)
	}
	if got := globexAudit(t, s); got != "member.requested:"+bobID {
		t.Errorf("globex audit = %q, want one member.requested by bob", got)
	}
	code, body, _ = send(t, s, bobFollow, "GET", "/orgs", nil)
	if code != 200 || len(testIDs(t, body, "suggestion-requested")) != 1 || len(testIDs(t, body, "suggestion-request")) != 0 {
		t.Errorf("/orgs after requesting = %d, want Requested instead of the button", code)
	}
	if _, err := models.MembershipFor(ctx, s.DB, globexID, bobID); err == nil {
		t.Error("asking made bob a member")
	}

	// acme suggests nothing to carol: asking changes nothing.
	_, carol := s.SignedIn(t, "carol@example.com")
	if code, _, resp := send(t, s, carol, "POST", "/orgs/suggestions/"+acmeID+"/request", nil); code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs" {
		t.Errorf("request an unsuggested organization = %d to %q", code, resp.Header.Get("Location"))
	}
	s.DB.Raw("SELECT count(*) FROM membership_requests WHERE organization_id = ?", acmeID).Scan(&n)
	if n != 0 {
		t.Errorf("acme has %d requests, want none", n)
	}
}

// TestAcceptRequest: carol (globex admin) sees bob's request on the members
// page and accepts it: bob is a member in Clerk and here, the request is
// accepted and audited, and a second accept says it was answered. alice,
// globex's member, sees no requests and may not accept; acme's admin
// reaching globex's request through acme gets a 404.
func TestAcceptRequest(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	suggestGlobex(t, s)
	bobFollow, bob := s.SignedIn(t, "bob@example.com")
	carolFollow, carol := s.SignedIn(t, "carol@example.com")
	aliceFollow, alice := s.SignedIn(t, "alice@example.com")
	id := requestAsBob(t, s, bob)

	code, body, _ := send(t, s, carolFollow, "GET", "/orgs/globex/members", nil)
	if got := testIDs(t, body, "request-name"); code != 200 || strings.Join(got, ",") != "Bob Member" {
		t.Fatalf("carol's members page = %d, requests %v, want bob's", code, got)
	}
	if code, body, _ := send(t, s, aliceFollow, "GET", "/orgs/globex/members", nil); code != 200 || len(testIDs(t, body, "request-row")) != 0 {
		t.Errorf("alice (member) sees %d requests, want none", len(testIDs(t, body, "request-row")))
	}
	if code, raw, _ := send(t, s, alice, "POST", "/orgs/globex/members/requests/"+id+"/accept", nil); code != http.StatusForbidden || !strings.Contains(raw, models.PermMembershipsManage) {
		t.Errorf("alice accepts = %d, want 403 naming %s", code, models.PermMembershipsManage)
	}
	for _, bad := range []string{id, "not-a-uuid"} {
		if code, _, _ := send(t, s, alice, "POST", "/orgs/acme/members/requests/"+bad+"/accept", nil); code != http.StatusNotFound {
			t.Errorf("accept %s through acme = %d, want 404", bad, code)
		}
		if code, _, _ := send(t, s, alice, "POST", "/orgs/acme/members/requests/"+bad+"/reject", nil); code != http.StatusNotFound {
			t.Errorf("reject %s through acme = %d, want 404", bad, code)
		}
	}

	code, _, resp := send(t, s, carol, "POST", "/orgs/globex/members/requests/"+id+"/accept", nil)
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs/globex/members" {
		t.Fatalf("accept = %d to %q", code, resp.Header.Get("Location"))
	}
	if m, err := models.MembershipFor(t.Context(), s.DB, globexID, bobID); err != nil || models.NormalizeRole(m.Role) != models.RoleMember {
		t.Fatalf("bob's local membership = %+v, %v", m, err)
	}
	if !clerkMember(t, s, globexID, bobID) {
		t.Error("bob is no member of globex in Clerk")
	}
	var status string
	s.DB.Raw("SELECT status || ':' || decided_by FROM membership_requests WHERE id = ?", id).Scan(&status)
	if status != "accepted:"+carolID {
		t.Errorf("request = %q, want accepted by carol", status)
	}
	if got := globexAudit(t, s); got != "member.requested:"+bobID+",member.request_accepted:"+carolID {
		t.Errorf("globex audit = %q", got)
	}
	if code, _, resp := send(t, s, carol, "POST", "/orgs/globex/members/requests/"+id+"/accept", nil); code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs/globex/members" {
		t.Errorf("accept again = %d to %q, want back to the members page", code, resp.Header.Get("Location"))
	}
	code, body, _ = send(t, s, bobFollow, "GET", "/orgs", nil)
	if code != 200 || len(testIDs(t, body, "suggestion-offer")) != 0 || !strings.Contains(strings.Join(testIDs(t, body, "org-item"), ","), "Globex") {
		t.Errorf("bob's /orgs after acceptance = %d: suggestions %v", code, testIDs(t, body, "suggestion-org"))
	}
}

// clerkMember reports whether userID is a member of orgID in the emulator.
func clerkMember(t *testing.T, s *apptest.Stack, orgID, userID string) bool {
	t.Helper()
	list, err := organizationmembership.NewClient(s.ClientConfig()).List(t.Context(), &organizationmembership.ListParams{
		OrganizationID: orgID, UserIDs: []string{userID}})
	if err != nil {
		t.Fatal(err)
	}
	return len(list.OrganizationMemberships) == 1
}

// TestRejectRequest: carol rejects bob's request: rejected, audited, no
// membership, and Globex is no longer suggested to bob.
func TestRejectRequest(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	suggestGlobex(t, s)
	bobFollow, bob := s.SignedIn(t, "bob@example.com")
	_, carol := s.SignedIn(t, "carol@example.com")
	id := requestAsBob(t, s, bob)
	if code, _, resp := send(t, s, carol, "POST", "/orgs/globex/members/requests/"+id+"/reject", nil); code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs/globex/members" {
		t.Fatalf("reject = %d to %q", code, resp.Header.Get("Location"))
	}
	var status string
	s.DB.Raw("SELECT status FROM membership_requests WHERE id = ?", id).Scan(&status)
	if status != models.RequestRejected {
		t.Errorf("request = %q, want rejected", status)
	}
	if got := globexAudit(t, s); got != "member.requested:"+bobID+",member.request_rejected:"+carolID {
		t.Errorf("globex audit = %q", got)
	}
	if _, err := models.MembershipFor(t.Context(), s.DB, globexID, bobID); err == nil || clerkMember(t, s, globexID, bobID) {
		t.Error("a rejected request made bob a member")
	}
	if code, body, _ := send(t, s, bobFollow, "GET", "/orgs", nil); code != 200 || len(testIDs(t, body, "suggestion-offer")) != 0 {
		t.Errorf("bob's /orgs after rejection = %d, still suggesting %v", code, testIDs(t, body, "suggestion-org"))
	}
}

// TestConcurrentAccept: carol and alice (both globex admins) accept bob's
// request at the same instant, in several rounds: each time one membership
// in Clerk, one accepted request, one audit event of acceptance, and the
// other admin told it was answered.
func TestConcurrentAccept(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	suggestGlobex(t, s)
	if _, err := organizationmembership.NewClient(s.ClientConfig()).Update(t.Context(), &organizationmembership.UpdateParams{
		OrganizationID: globexID, UserID: aliceID, Role: clerk.String(models.RoleAdmin)}); err != nil {
		t.Fatal(err)
	}
	s.WaitForWebhooks(t)
	_, bob := s.SignedIn(t, "bob@example.com")
	_, carol := s.SignedIn(t, "carol@example.com")
	_, alice := s.SignedIn(t, "alice@example.com")
	ctx := t.Context()
	for round := range 5 {
		id := requestAsBob(t, s, bob)
		codes := make([]int, 2)
		errs := make([]error, 2)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, c := range []*http.Client{carol, alice} {
			wg.Go(func() {
				<-start
				codes[i], _, errs[i] = post(ctx, s, c, "/orgs/globex/members/requests/"+id+"/accept", nil)
			})
		}
		close(start)
		wg.Wait()
		for i := range codes {
			if errs[i] != nil || codes[i] != http.StatusSeeOther {
				t.Fatalf("round %d: accept %d = %d, %v", round, i, codes[i], errs[i])
			}
		}
		var accepted, audits int64
		s.DB.Raw("SELECT count(*) FROM membership_requests WHERE id = ? AND status = 'accepted'", id).Scan(&accepted)
		s.DB.Raw("SELECT count(*) FROM audit_events WHERE organization_id = ? AND action = 'member.request_accepted' AND target_id = ?", globexID, bobID).Scan(&audits)
		if accepted != 1 || audits != int64(round+1) || !clerkMember(t, s, globexID, bobID) {
			t.Fatalf("round %d: accepted %d, acceptance audits %d (want %d)", round, accepted, audits, round+1)
		}
		// bob leaves in Clerk, so the next round asks again.
		if _, err := organizationmembership.NewClient(s.ClientConfig()).Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: globexID, UserID: bobID}); err != nil {
			t.Fatal(err)
		}
		s.WaitForWebhooks(t)
	}
}
