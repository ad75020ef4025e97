package clerkdev

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	sdksession "github.com/clerk/clerk-sdk-go/v2/session"
)

// wantBAPIError asserts a raw Backend API answer is status with the error code.
func (e *testEnv) wantBAPIError(method, path string, body any, status int, code string) {
	e.t.Helper()
	got, b := e.bapi(method, path, body)
	if got != status || !strings.Contains(string(b), `"code":"`+code+`"`) {
		e.t.Errorf("%s %s = %d %s, want %d %s", method, path, got, b, status, code)
	}
}

func TestRolesAndPermissionsLists(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	var roles listJSON[roleJSON]
	e.bapiOK(http.MethodGet, "/v1/organization_roles", nil, &roles)
	var keys []string
	for _, r := range roles.Data {
		keys = append(keys, r.Key)
	}
	if roles.TotalCount != 3 || !slices.Equal(keys, []string{"org:viewer", RoleMember, RoleAdmin}) {
		t.Errorf("roles = %v (%d), want the seed's viewer, then member and admin (newest first)", keys, roles.TotalCount)
	}
	if admin := roles.Data[2]; !admin.IsCreatorEligible || len(admin.Permissions) != 8 || roles.Data[1].IsCreatorEligible {
		t.Errorf("admin = %+v, want creator-eligible with 8 permissions; member not eligible", admin)
	}
	var perms listJSON[permissionJSON]
	e.bapiOK(http.MethodGet, "/v1/organization_permissions?order_by=key", nil, &perms)
	if perms.TotalCount != 8 || perms.Data[0].Key != "org:projects:manage" || perms.Data[0].Type != "custom" || perms.Data[2].Type != "system" {
		t.Errorf("permissions = %+v, want 8 ordered by key, custom and system", perms)
	}
	e.bapiOK(http.MethodGet, "/v1/organization_permissions?query=memberships", nil, &perms)
	if perms.TotalCount != 2 {
		t.Errorf("permissions matching memberships = %+v, want 2", perms)
	}
}

// TestCustomRoleGrantsCustomPermissions creates a custom permission and role through the
// Backend API, gives the role to a member, and follows the permissions into the
// membership object (all of them) and the session token (the custom ones).
func TestCustomRoleGrantsCustomPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	var reports permissionJSON
	e.bapiOK(http.MethodPost, "/v1/organization_permissions", map[string]string{"name": "Read reports", "key": "org:reports:read"}, &reports)
	readMembers := seedID("perm", "sys_memberships:read")
	var analyst roleJSON
	e.bapiOK(http.MethodPost, "/v1/organization_roles", map[string]any{"name": "Analyst", "key": "org:analyst",
		"permissions": []string{readMembers, reports.ID}}, &analyst)
	if len(analyst.Permissions) != 2 || analyst.Permissions[0].Type != "system" || analyst.IsCreatorEligible || analyst.Description != nil {
		t.Errorf("role = %+v, want two permissions, not creator-eligible, no description", analyst)
	}

	mc := organizationmembership.NewClient(e.sdk())
	carol := seedID("user", "carol")
	m, err := mc.Create(ctx, &organizationmembership.CreateParams{OrganizationID: "acme", UserID: clerk.String(carol), Role: clerk.String("org:analyst")})
	if err != nil || m.Role != "org:analyst" || m.RoleName != "Analyst" || !slices.Equal(m.Permissions, []string{"org:sys_memberships:read", "org:reports:read"}) {
		t.Fatalf("membership = %+v, %v; want org:analyst with both permissions", m, err)
	}
	token := func() string {
		tok, err := sdksession.NewClient(e.sdk()).CreateToken(ctx, &sdksession.CreateTokenParams{ID: e.createSession(carol, "acme")})
		if err != nil {
			t.Fatal(err)
		}
		return tok.JWT
	}
	claims, err := e.verify(token())
	if err != nil || !claims.HasPermission("org:reports:read") || claims.HasPermission("org:sys_memberships:read") || claims.ActiveOrganizationRole != "org:analyst" {
		t.Fatalf("claims = %+v, %v; want org:reports:read only", claims, err)
	}

	manage := seedID("perm", "projects:manage")
	e.bapiOK(http.MethodPost, "/v1/organization_roles/"+analyst.ID+"/permissions/"+manage, nil, nil)
	e.wantBAPIError(http.MethodPost, "/v1/organization_roles/"+analyst.ID+"/permissions/"+manage, nil, http.StatusConflict, "duplicate_record")
	o := tokenPayload(t, token())["o"].(map[string]any)
	if o["per"] != "manage,read" || o["fpm"] != "1,2" {
		t.Errorf("o = %v, want per manage,read and fpm 1,2 (projects: manage; reports: read)", o)
	}

	e.bapiOK(http.MethodDelete, "/v1/organization_permissions/"+reports.ID, nil, nil)
	list, err := mc.List(ctx, &organizationmembership.ListParams{OrganizationID: "acme", UserIDs: []string{carol}})
	if err != nil || len(list.OrganizationMemberships) != 1 || slices.Contains(list.OrganizationMemberships[0].Permissions, "org:reports:read") {
		t.Errorf("memberships after deleting the permission = %+v, %v", list, err)
	}
}

func TestRoleAndPermissionRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	e.wantBAPIError(http.MethodPost, "/v1/organization_permissions", map[string]string{"name": "X", "key": "org:sys_x:read"},
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	e.wantBAPIError(http.MethodPost, "/v1/organization_permissions", map[string]string{"name": "X", "key": "org:projects:read"},
		http.StatusUnprocessableEntity, "form_identifier_exists")
	e.wantBAPIError(http.MethodPost, "/v1/organization_permissions", map[string]string{"key": "org:a:b"},
		http.StatusUnprocessableEntity, "form_param_missing")
	system := "/v1/organization_permissions/" + seedID("perm", "sys_profile:manage")
	e.wantBAPIError(http.MethodPatch, system, map[string]string{"name": "Mine"}, http.StatusForbidden, "system_permission_immutable")
	e.wantBAPIError(http.MethodDelete, system, nil, http.StatusForbidden, "system_permission_immutable")

	e.wantBAPIError(http.MethodPost, "/v1/organization_roles", map[string]any{"name": "Bad", "key": "Bad Key"},
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	e.wantBAPIError(http.MethodPost, "/v1/organization_roles", map[string]any{"name": "Ghost", "key": "org:ghost", "permissions": []string{"perm_nope"}},
		http.StatusNotFound, "resource_not_found")
	admin := "/v1/organization_roles/" + seedID("role", "admin")
	e.wantBAPIError(http.MethodDelete, admin, nil, http.StatusUnprocessableEntity, "organization_role_in_use")
	e.wantBAPIError(http.MethodPatch, admin, map[string]string{"key": "org:owner"}, http.StatusUnprocessableEntity, "form_param_format_invalid")

	// A role in use can be renamed (its members follow) but not deleted.
	viewer := "/v1/organization_roles/" + seedID("role", "viewer")
	e.bapiOK(http.MethodPost, "/v1/organizations/acme/memberships", map[string]string{"user_id": seedID("user", "carol"), "role": "org:viewer"}, nil)
	e.wantBAPIError(http.MethodDelete, viewer, nil, http.StatusUnprocessableEntity, "organization_role_in_use")
	var renamed roleJSON
	e.bapiOK(http.MethodPatch, viewer, map[string]string{"key": "org:reader", "name": "Reader"}, &renamed)
	var members listJSON[membershipJSON]
	e.bapiOK(http.MethodGet, "/v1/organizations/acme/memberships?role=org:reader", nil, &members)
	if renamed.Key != "org:reader" || members.TotalCount != 1 || members.Data[0].RoleName != "Reader" {
		t.Errorf("after renaming: role %+v, members %+v", renamed, members)
	}
	e.wantBAPIError(http.MethodPost, "/v1/organizations/acme/memberships", map[string]string{"user_id": seedID("user", "carol"), "role": "org:viewer"},
		http.StatusNotFound, "resource_not_found")
}
