package paths

import (
	"net/url"
	"testing"
)

// Given the wildcards, the functions give the route patterns of the app's
// URL contract; given values, they escape each as one segment.
func TestPaths(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{Org(Slug), "/orgs/{slug}"},
		{Projects(Slug), "/orgs/{slug}/projects"},
		{NewProject(Slug), "/orgs/{slug}/projects/new"},
		{Project(Slug, ID), "/orgs/{slug}/projects/{id}"},
		{EditProject(Slug, ID), "/orgs/{slug}/projects/{id}/edit"},
		{DeleteProject(Slug, ID), "/orgs/{slug}/projects/{id}/delete"},
		{Tasks(Slug, ID), "/orgs/{slug}/projects/{id}/tasks"},
		{ToggleTask(Slug, ID, TaskID), "/orgs/{slug}/projects/{id}/tasks/{taskID}/toggle"},
		{AssignTask(Slug, ID, TaskID), "/orgs/{slug}/projects/{id}/tasks/{taskID}/assign"},
		{Task(Slug, ID, TaskID), "/orgs/{slug}/projects/{id}/tasks/{taskID}"},
		{EditTask(Slug, ID, TaskID), "/orgs/{slug}/projects/{id}/tasks/{taskID}/edit"},
		{DeleteTask(Slug, ID, TaskID), "/orgs/{slug}/projects/{id}/tasks/{taskID}/delete"},
		{RestoreTask(Slug, ID, TaskID), "/orgs/{slug}/projects/{id}/tasks/{taskID}/restore"},
		{Members(Slug), "/orgs/{slug}/members"},
		{Invitations(Slug), "/orgs/{slug}/members/invitations"},
		{RevokeInvitation(Slug, InvitationID), "/orgs/{slug}/members/invitations/{invitationID}/revoke"},
		{MemberRole(Slug, UserID), "/orgs/{slug}/members/{userID}/role"},
		{RemoveMember(Slug, UserID), "/orgs/{slug}/members/{userID}/remove"},
		{LeaveOrg(Slug), "/orgs/{slug}/members/leave"},
		{Settings(Slug), "/orgs/{slug}/settings"},
		{DeleteOrg(Slug), "/orgs/{slug}/settings/delete"},
		{Domains(Slug), "/orgs/{slug}/settings/domains"},
		{AcceptInvitation(InvitationID), "/orgs/invitations/{invitationID}/accept"},
		{RequestToJoin(OrgID), "/orgs/suggestions/{orgID}/request"},
		{AcceptRequest(Slug, RequestID), "/orgs/{slug}/members/requests/{requestID}/accept"},
		{RejectRequest(Slug, RequestID), "/orgs/{slug}/members/requests/{requestID}/reject"},
		{RemoveDomain(Slug, DomainID), "/orgs/{slug}/settings/domains/{domainID}/remove"},
		{Audit(Slug), "/orgs/{slug}/audit"},
		{APIOpenAPI, "/api/v1/openapi.json"},
		{APIProject(ID), "/api/v1/projects/{id}"},
		{APITasks(ID), "/api/v1/projects/{id}/tasks"},
		{APITask(ID, TaskID), "/api/v1/projects/{id}/tasks/{taskID}"},

		{Project("acme", "0b6f8e1e-2c1d-4a57-9b3e-1f2a3b4c5d6e"), "/orgs/acme/projects/0b6f8e1e-2c1d-4a57-9b3e-1f2a3b4c5d6e"},
		{Project("a b", "../x"), "/orgs/a%20b/projects/..%2Fx"},
		{Org("x?y#z"), "/orgs/x%3Fy%23z"},
		{Org("{a/b}"), "/orgs/%7Ba%2Fb%7D"},
		{WithQuery(Projects("acme"), url.Values{"q": {"a&b"}, "cursor": {"c"}}), "/orgs/acme/projects?cursor=c&q=a%26b"},
		{WithQuery(Audit("acme"), nil), "/orgs/acme/audit"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
