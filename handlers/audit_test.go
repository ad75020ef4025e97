package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/paths"
)

// TestAuditPage: the audit log pages by cursor and filters by actor and
// action, for admins and members alike; a forged cursor is a 400.
func TestAuditPage(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, _ := s.SignedIn(t, "alice@example.com")
	bobFollow, _ := s.SignedIn(t, "bob@example.com")

	code, body, _ := send(t, s, bobFollow, "GET", "/orgs/acme/audit", nil)
	if code != 200 || len(testIDs(t, body, "empty-state")) != 1 {
		t.Fatalf("empty audit log = %d, want the empty state", code)
	}

	alice, bob := apiToken(t, s, aliceID, acmeID), apiToken(t, s, bobID, acmeID)
	for i := range 27 {
		if code, raw := apiCall(t, s, alice, "POST", "/api/v1/projects", map[string]any{"name": fmt.Sprintf("P%02d", i)}, nil); code != 201 {
			t.Fatalf("seed project: %d %s", code, raw)
		}
	}
	var p apiProject
	if code, raw := apiCall(t, s, bob, "POST", "/api/v1/projects", map[string]any{"name": "Bob's"}, &p); code != 201 {
		t.Fatalf("bob's project: %d %s", code, raw)
	}
	if code, _ := apiCall(t, s, bob, "DELETE", "/api/v1/projects/"+p.ID, nil, nil); code != 204 && code != 200 {
		t.Fatalf("bob deletes: %d", code)
	}

	// 29 events: the first page holds 25, newest first, then 4 more.
	code, body, _ = send(t, s, follow, "GET", "/orgs/acme/audit", nil)
	rows := testIDs(t, body, "audit-row")
	if code != 200 || len(rows) != 25 || !strings.Contains(rows[0], "Deleted project") || !strings.Contains(rows[0], "Bob Member") {
		t.Fatalf("first page = %d, %d rows, first %q", code, len(rows), rows[0])
	}
	d := doc(t, body)
	next := d.Find(`[data-testid="next-page"]`).AttrOr("href", "")
	if next == "" || d.Find(`[data-testid="first-page"]`).Length() != 0 {
		t.Fatal("first page without a next link, or with a first-page link")
	}
	code, body, _ = send(t, s, follow, "GET", next, nil)
	d = doc(t, body)
	if rows := testIDs(t, body, "audit-row"); code != 200 || len(rows) != 4 || d.Find(`[data-testid="next-page"]`).Length() != 0 || d.Find(`[data-testid="first-page"]`).AttrOr("href", "") != "/orgs/acme/audit" {
		t.Errorf("second page = %d, %d rows", code, len(rows))
	}

	// Filters: the choices list the actors and actions; results match them.
	code, body, _ = send(t, s, follow, "GET", paths.WithQuery(paths.Audit("acme"), url.Values{"actor": {bobID}}), nil)
	d = doc(t, body)
	if got := testIDs(t, body, "audit-actor"); code != 200 || len(got) != 2 || got[0] != "Bob Member" || d.Find(`#field-actor option[selected]`).AttrOr("value", "") != bobID {
		t.Errorf("actor=bob = %d %v", code, got)
	}
	if d.Find(`#field-actor option`).Length() != 3 || d.Find(`#field-action option[value="project.deleted"]`).Length() != 1 {
		t.Errorf("filter choices: %d actors", d.Find(`#field-actor option`).Length())
	}
	code, body, _ = send(t, s, follow, "GET", paths.WithQuery(paths.Audit("acme"), url.Values{"actor": {aliceID}, "action": {"project.created"}}), nil)
	d = doc(t, body)
	next = d.Find(`[data-testid="next-page"]`).AttrOr("href", "")
	if rows := testIDs(t, body, "audit-row"); code != 200 || len(rows) != 25 || !strings.Contains(next, "actor=") || !strings.Contains(next, "action=project.created") {
		t.Errorf("alice's creations = %d, %d rows, next %q keeps the filters", code, len(rows), next)
	}
	if _, body, _ := send(t, s, follow, "GET", next, nil); len(testIDs(t, body, "audit-row")) != 2 {
		t.Errorf("alice's creations, page 2 = %d rows, want 2", len(testIDs(t, body, "audit-row")))
	}
	if _, body, _ := send(t, s, follow, "GET", "/orgs/acme/audit?action=member.removed", nil); len(testIDs(t, body, "audit-row")) != 0 || len(testIDs(t, body, "empty-state")) != 1 {
		t.Error("a filter matching nothing shows no empty state")
	}
	for _, cursor := range []string{"garbage", "MjAyNC0wMS0wMVQwMDowMDowMFosbm90LWEtdXVpZA"} {
		if code, body, _ := send(t, s, follow, "GET", paths.WithQuery(paths.Audit("acme"), url.Values{"cursor": {cursor}}), nil); code != http.StatusBadRequest || len(testIDs(t, body, "error-page")) != 1 {
			t.Errorf("cursor %q = %d, want the 400 page", cursor, code)
		}
	}
}

// TestAuditHidesInvitationsFromNonManagers: pending invitations (who was
// invited, by email) are for members who may manage memberships, on the
// audit page as on the members page. Bob, a member, sees the rest of the
// log but not the invitation entries; alice, an admin, sees them.
func TestAuditHidesInvitationsFromNonManagers(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	aliceFollow, aliceNoFollow := s.SignedIn(t, "alice@example.com")
	bobFollow, _ := s.SignedIn(t, "bob@example.com")
	if code, _, _ := send(t, s, aliceNoFollow, "POST", "/orgs/acme/members/invitations", url.Values{"email": {"dave@example.com"}, "role": {"org:member"}}); code != http.StatusSeeOther {
		t.Fatalf("invite dave = %d, want 303", code)
	}
	if code, raw := apiCall(t, s, apiToken(t, s, aliceID, acmeID), "POST", "/api/v1/projects", map[string]any{"name": "Visible"}, nil); code != 201 {
		t.Fatalf("seed project: %d %s", code, raw)
	}
	for _, tt := range []struct {
		who         string
		c           *http.Client
		wantInvites bool
	}{{"alice", aliceFollow, true}, {"bob", bobFollow, false}} {
		for _, path := range []string{"/orgs/acme/audit", "/orgs/acme/audit?action=member.invited"} {
			code, body, _ := send(t, s, tt.c, "GET", path, nil)
			rows := strings.Join(testIDs(t, body, "audit-row"), "\n")
			if code != 200 {
				t.Fatalf("%s: %s = %d", tt.who, path, code)
			}
			if got := strings.Contains(body, "dave@example.com"); got != tt.wantInvites {
				t.Errorf("%s: %s shows the invitation = %v, want %v\n%s", tt.who, path, got, tt.wantInvites, rows)
			}
			if path == "/orgs/acme/audit" && !strings.Contains(rows, "Visible") {
				t.Errorf("%s: the project entry is missing:\n%s", tt.who, rows)
			}
		}
	}
}
