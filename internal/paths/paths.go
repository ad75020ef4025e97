// Package paths is every URL path of the app, one function per route:
// handlers redirect with them, views link with them, the route table
// (handlers/routes.go) builds its patterns from them, and `make resource`
// adds a resource's. Renaming a route touches this file only.
//
// A function given the wildcards below returns its route's ServeMux
// pattern: Project(Slug, ID) is "/orgs/{slug}/projects/{id}". Given
// values, it escapes each one as a path segment.
package paths

import (
	"net/url"
	"strings"
)

// The wildcards of the route patterns.
const (
	Slug         = "{slug}"
	ID           = "{id}"
	TaskID       = "{taskID}"
	UserID       = "{userID}"
	InvitationID = "{invitationID}"
	DomainID     = "{domainID}"
	OrgID        = "{orgID}"
	RequestID    = "{requestID}"
)

// Public and signed-in pages outside an organization.
const (
	Home     = "/"
	SignIn   = "/sign-in"
	SignUp   = "/sign-up"
	SignOut  = "/sign-out"
	App      = "/app"
	Orgs     = "/orgs"
	Account  = "/account"
	Webhooks = "/webhooks/clerk"
	Healthz  = "/healthz"
	Readyz   = "/readyz"
	Static   = "/static/"
)

// CreateOrg is the create-organization form on the organizations page.
const CreateOrg = Orgs + "#create-org"

// AcceptInvitation joins the organization of the signed-in user's pending
// invitation invitationID (POST), from the organization chooser.
func AcceptInvitation(invitationID string) string {
	return Orgs + "/invitations/" + segment(invitationID) + "/accept"
}

// RequestToJoin asks (POST) to join the organization orgID, which one of its
// verified domains suggests to the signed-in user, from the organization
// chooser.
func RequestToJoin(orgID string) string {
	return Orgs + "/suggestions/" + segment(orgID) + "/request"
}

// Org is an organization's dashboard.
func Org(slug string) string { return Orgs + "/" + segment(slug) }

// Projects is an organization's project list (GET) and new projects (POST).
func Projects(slug string) string { return Org(slug) + "/projects" }

// NewProject is the create-project form.
func NewProject(slug string) string { return Projects(slug) + "/new" }

// Project is a project's page with its tasks.
func Project(slug, id string) string { return Projects(slug) + "/" + segment(id) }

// EditProject is a project's edit form (GET) and its update (POST).
func EditProject(slug, id string) string { return Project(slug, id) + "/edit" }

// DeleteProject is a project's delete confirmation (GET) and its deletion (POST).
func DeleteProject(slug, id string) string { return Project(slug, id) + "/delete" }

// Tasks lists a project's tasks (GET, the list or a page of it for htmx)
// and adds a task (POST).
func Tasks(slug, projectID string) string { return Project(slug, projectID) + "/tasks" }

// Task is a task, the base of its actions; GET answers its row (htmx).
func Task(slug, projectID, taskID string) string {
	return Tasks(slug, projectID) + "/" + segment(taskID)
}

// ToggleTask marks a task done or open again (POST).
func ToggleTask(slug, projectID, taskID string) string {
	return Task(slug, projectID, taskID) + "/toggle"
}

// AssignTask assigns a task (POST).
func AssignTask(slug, projectID, taskID string) string {
	return Task(slug, projectID, taskID) + "/assign"
}

// EditTask is a task's title form (GET) and its update (POST).
func EditTask(slug, projectID, taskID string) string {
	return Task(slug, projectID, taskID) + "/edit"
}

// DeleteTask deletes a task (POST).
func DeleteTask(slug, projectID, taskID string) string {
	return Task(slug, projectID, taskID) + "/delete"
}

// RestoreTask brings a deleted task back (POST): the Undo of DeleteTask.
func RestoreTask(slug, projectID, taskID string) string {
	return Task(slug, projectID, taskID) + "/restore"
}

// Members is an organization's members page.
func Members(slug string) string { return Org(slug) + "/members" }

// Invitations invites by email (POST).
func Invitations(slug string) string { return Members(slug) + "/invitations" }

// RevokeInvitation is a pending invitation's revoke confirmation (GET) and
// its revocation (POST).
func RevokeInvitation(slug, invitationID string) string {
	return Invitations(slug) + "/" + segment(invitationID) + "/revoke"
}

// AcceptRequest accepts (POST) a pending request to join, from the members page.
func AcceptRequest(slug, requestID string) string {
	return Members(slug) + "/requests/" + segment(requestID) + "/accept"
}

// RejectRequest rejects (POST) a pending request to join, from the members page.
func RejectRequest(slug, requestID string) string {
	return Members(slug) + "/requests/" + segment(requestID) + "/reject"
}

// MemberRole changes a member's role (POST).
func MemberRole(slug, userID string) string { return Members(slug) + "/" + segment(userID) + "/role" }

// RemoveMember is a member's removal confirmation (GET) and their removal (POST).
func RemoveMember(slug, userID string) string {
	return Members(slug) + "/" + segment(userID) + "/remove"
}

// LeaveOrg is the signed-in user's own leave confirmation (GET) and their
// leaving the organization (POST).
func LeaveOrg(slug string) string { return Members(slug) + "/leave" }

// Settings is an organization's settings page (GET) and its update (POST).
func Settings(slug string) string { return Org(slug) + "/settings" }

// Domains is an organization's verified domains (GET) and adds one (POST).
func Domains(slug string) string { return Settings(slug) + "/domains" }

// RemoveDomain asks (GET) and removes (POST) the domain domainID.
func RemoveDomain(slug, domainID string) string { return Domains(slug) + "/" + domainID + "/remove" }

// DeleteOrg deletes the organization (POST).
func DeleteOrg(slug string) string { return Settings(slug) + "/delete" }

// Audit is an organization's audit log.
func Audit(slug string) string { return Org(slug) + "/audit" }

// scaffold:paths — `make resource` adds a resource's page paths above this line.

// API is the JSON API's root; its routes act in the session token's active
// organization.
const API = "/api/v1"

// APIMe is the signed-in user and their active organization.
const APIMe = API + "/me"

// APIOpenAPI is the API's OpenAPI document (public: it describes the API,
// it holds no one's data).
const APIOpenAPI = API + "/openapi.json"

// APIMembers is the active organization's members.
const APIMembers = API + "/members"

// APIProjects lists (GET) and creates (POST) projects.
const APIProjects = API + "/projects"

// APIProject reads, changes and deletes one project.
func APIProject(id string) string { return APIProjects + "/" + segment(id) }

// APITasks lists (GET) and adds (POST) a project's tasks.
func APITasks(projectID string) string { return APIProject(projectID) + "/tasks" }

// APITask changes and deletes one task.
func APITask(projectID, taskID string) string { return APITasks(projectID) + "/" + segment(taskID) }

// scaffold:api-paths — `make resource` adds a resource's API paths above this line.

// WithQuery is path with q as its query string (path itself when q is empty).
func WithQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// segment escapes s as one path segment; a wildcard stays as it is.
func segment(s string) string {
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && !strings.ContainsAny(s[1:len(s)-1], "{}/") {
		return s
	}
	return url.PathEscape(s)
}
