package apptest

import (
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/session"
)

// What happens in Clerk without the app, as Clerk's dashboard or another
// client of the Backend API would do it, through clerk-sdk-go: tests of the
// app see it arrive by webhook (or not at all, with NoWebhooks).

// CreateOrganization creates an organization in Clerk, created by
// createdBy ("" for none, then it has no members), and returns its id.
func (s *Stack) CreateOrganization(t testing.TB, name, slug, createdBy string) string {
	t.Helper()
	params := &organization.CreateParams{Name: clerk.String(name), Slug: clerk.String(slug)}
	if createdBy != "" {
		params.CreatedBy = clerk.String(createdBy)
	}
	org, err := organization.NewClient(s.ClientConfig()).Create(t.Context(), params)
	if err != nil {
		t.Fatalf("create organization %s in Clerk: %v", slug, err)
	}
	return org.ID
}

// AddMember makes userID a member of orgID with role in Clerk.
func (s *Stack) AddMember(t testing.TB, orgID, userID, role string) {
	t.Helper()
	_, err := organizationmembership.NewClient(s.ClientConfig()).Create(t.Context(), &organizationmembership.CreateParams{
		OrganizationID: orgID, UserID: clerk.String(userID), Role: clerk.String(role),
	})
	if err != nil {
		t.Fatalf("add %s to %s in Clerk: %v", userID, orgID, err)
	}
}

// ClerkRoles maps the users of orgID's memberships in Clerk to their roles.
func (s *Stack) ClerkRoles(t testing.TB, orgID string) map[string]string {
	t.Helper()
	list, err := organizationmembership.NewClient(s.ClientConfig()).List(t.Context(), &organizationmembership.ListParams{OrganizationID: orgID})
	if err != nil {
		t.Fatalf("list the memberships of %s in Clerk: %v", orgID, err)
	}
	roles := map[string]string{}
	for _, m := range list.OrganizationMemberships {
		if m.PublicUserData != nil {
			roles[m.PublicUserData.UserID] = m.Role
		}
	}
	return roles
}

// RevokeSession revokes sessionID in Clerk.
func (s *Stack) RevokeSession(t testing.TB, sessionID string) {
	t.Helper()
	if _, err := session.NewClient(s.ClientConfig()).Revoke(t.Context(), &session.RevokeParams{ID: sessionID}); err != nil {
		t.Fatalf("revoke %s in Clerk: %v", sessionID, err)
	}
}

// SessionStatus is sessionID's status in Clerk (active, revoked, …).
func (s *Stack) SessionStatus(t testing.TB, sessionID string) string {
	t.Helper()
	sess, err := session.NewClient(s.ClientConfig()).Get(t.Context(), sessionID)
	if err != nil {
		t.Fatalf("get %s from Clerk: %v", sessionID, err)
	}
	return sess.Status
}
