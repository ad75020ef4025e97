package clerkdev

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Roles and permissions of the emulated instance.
//
// Like every Clerk instance it has the system permissions (org:sys_*, see
// systemPermissions) and the default roles org:admin and org:member. It also has the
// custom permissions the app checks, org:projects:read and org:projects:manage, which
// both default roles grant. A seed adds custom permissions and roles (SeedPermission,
// SeedRole), and the Backend API routes in role_routes.go and permission_routes.go
// change them.
//
// Membership objects and webhooks list all of a role's permissions; session tokens
// carry only the custom ones (see encodePermissions), as Clerk's do.

// The default roles. RoleAdmin is the creator role, RoleMember the default role for new
// members; neither can be deleted nor renamed.
const (
	RoleAdmin  = "org:admin"
	RoleMember = "org:member"
)

// Permission types, as in Clerk's permission object.
const (
	permissionSystem = "system"
	permissionCustom = "custom"
)

// permission is one organization permission.
type permission struct {
	ID          string
	Key         string
	Name        string
	Description string
	Type        string // permissionSystem or permissionCustom
	CreatedAt   int64
	UpdatedAt   int64
}

// role is one organization role. Permissions holds permission ids, in order.
type role struct {
	ID          string
	Key         string
	Name        string
	Description string
	Permissions []string
	CreatedAt   int64
	UpdatedAt   int64
}

// systemPermissions are Clerk's system permissions that the emulated instance has (no
// billing, no enterprise connections), in the order membership objects list them.
func systemPermissions() []SeedPermission {
	return []SeedPermission{
		{Key: "org:sys_profile:manage", Name: "Manage organization", Description: "Permission to manage an organization."},
		{Key: "org:sys_profile:delete", Name: "Delete organization", Description: "Permission to delete an organization."},
		{Key: "org:sys_memberships:read", Name: "Read members", Description: "Permission to read the members of an organization."},
		{Key: "org:sys_memberships:manage", Name: "Manage members", Description: "Permission to manage the members of an organization."},
		{Key: "org:sys_domains:read", Name: "Read domains", Description: "Permission to read the domains of an organization."},
		{Key: "org:sys_domains:manage", Name: "Manage domains", Description: "Permission to manage the domains of an organization."},
	}
}

// builtinPermissions are the instance's own custom permissions, checked by the app.
func builtinPermissions() []SeedPermission {
	return []SeedPermission{
		{Key: "org:projects:read", Name: "Read projects", Description: "View the organization's projects."},
		{Key: "org:projects:manage", Name: "Manage projects", Description: "Create, edit and delete the organization's projects."},
	}
}

// defaultRoles are the instance's default roles and what they grant.
func defaultRoles() []SeedRole {
	all := []string{}
	for _, p := range append(systemPermissions(), builtinPermissions()...) {
		all = append(all, p.Key)
	}
	return []SeedRole{
		{Key: RoleAdmin, Name: "Admin", Description: "Full access to the organization and its members.", Permissions: all},
		{Key: RoleMember, Name: "Member", Description: "Reads members and works on projects.",
			Permissions: []string{"org:sys_memberships:read", "org:projects:read", "org:projects:manage"}},
	}
}

var (
	validRoleKey       = regexp.MustCompile(`^org:[a-z0-9_]+$`)
	validPermissionKey = regexp.MustCompile(`^org:[a-z0-9_]+:[a-z0-9_]+$`)
)

// checkPermissionKey refuses a key that is not org:<feature>:<action> or that uses the
// org:sys_ prefix, which Clerk reserves for system permissions.
func checkPermissionKey(key string) *apiError {
	if !validPermissionKey.MatchString(key) || strings.HasPrefix(key, "org:sys_") {
		return errParamInvalid("key", `key must have the format "org:feature:action" (lowercase letters, digits and underscores) and must not begin with "org:sys_".`)
	}
	return nil
}

// checkRoleKey refuses a key that is not org: followed by lowercase letters, digits and
// underscores.
func checkRoleKey(key string) *apiError {
	if !validRoleKey.MatchString(key) {
		return errParamInvalid("key", `key must start with "org:" followed by lowercase letters, digits and underscores.`)
	}
	return nil
}

// isDefaultRole reports whether key is one of the default roles.
func isDefaultRole(key string) bool { return key == RoleAdmin || key == RoleMember }

// The functions below must be called with s.mu held.

// initRolesLocked creates the system and built-in permissions and the default roles.
func (s *Server) initRolesLocked() error {
	for _, p := range systemPermissions() {
		s.addPermissionLocked(p, permissionSystem)
	}
	for _, p := range builtinPermissions() {
		s.addPermissionLocked(p, permissionCustom)
	}
	for _, r := range defaultRoles() {
		if err := s.defineRoleLocked(r); err != nil {
			return err
		}
	}
	return nil
}

// stableID derives a readable id from a key (see seedID), or returns a random one when
// the derived id is taken (keys that differ only in underscores, or long ones).
func stableID[T any](prefix, key string, taken map[string]*T) string {
	if id := seedID(prefix, strings.TrimPrefix(key, "org:")); taken[id] == nil {
		return id
	}
	return newID(prefix)
}

// addPermissionLocked creates a permission with a stable id derived from its key.
func (s *Server) addPermissionLocked(sp SeedPermission, typ string) *permission {
	now := s.stampLocked()
	p := &permission{ID: stableID("perm", sp.Key, s.permissions), Key: sp.Key, Name: sp.Name,
		Description: sp.Description, Type: typ, CreatedAt: now, UpdatedAt: now}
	s.permissions[p.ID] = p
	return p
}

// defineRoleLocked creates the role sr describes, or redefines the existing role with its
// key (a seed may redefine the default roles). Its permissions are keys here.
func (s *Server) defineRoleLocked(sr SeedRole) error {
	ids := make([]string, 0, len(sr.Permissions))
	for _, key := range sr.Permissions {
		p := s.permissionByKeyLocked(key)
		if p == nil {
			return fmt.Errorf("clerkdev: role %s: unknown permission %q", sr.Key, key)
		}
		ids = append(ids, p.ID)
	}
	if r := s.roleByKeyLocked(sr.Key); r != nil {
		r.Name, r.Description, r.Permissions = sr.Name, sr.Description, ids
		r.UpdatedAt = s.stampLocked()
		return nil
	}
	id, now := stableID("role", sr.Key, s.roles), s.stampLocked()
	s.roles[id] = &role{ID: id, Key: sr.Key, Name: sr.Name, Description: sr.Description,
		Permissions: ids, CreatedAt: now, UpdatedAt: now}
	return nil
}

func (s *Server) roleByKeyLocked(key string) *role {
	for _, r := range s.roles {
		if r.Key == key {
			return r
		}
	}
	return nil
}

func (s *Server) permissionByKeyLocked(key string) *permission {
	for _, p := range s.permissions {
		if p.Key == key {
			return p
		}
	}
	return nil
}

// rolePermissionsLocked returns the permission keys of the role with key, in the
// role's order; nil for an unknown role.
func (s *Server) rolePermissionsLocked(key string) []string {
	r := s.roleByKeyLocked(key)
	if r == nil {
		return nil
	}
	out := make([]string, 0, len(r.Permissions))
	for _, id := range r.Permissions {
		if p := s.permissions[id]; p != nil {
			out = append(out, p.Key)
		}
	}
	return out
}

// roleNameLocked is the display name of the role with key (the key when unknown).
func (s *Server) roleNameLocked(key string) string {
	if r := s.roleByKeyLocked(key); r != nil {
		return r.Name
	}
	return key
}

// normalizeRoleLocked accepts a role key with or without its "org:" prefix ("admin",
// "org:admin"); "" when no such role exists.
func (s *Server) normalizeRoleLocked(key string) string {
	if !strings.HasPrefix(key, "org:") {
		key = "org:" + key
	}
	if s.roleByKeyLocked(key) == nil {
		return ""
	}
	return key
}

// errUnknownRoleLocked is the error for a role parameter that names no role.
func (s *Server) errUnknownRoleLocked() *apiError {
	var keys []string
	for _, r := range sortedByCreation(s.roles, func(r *role) int64 { return r.CreatedAt }) {
		keys = append(keys, r.Key)
	}
	return errParamInvalid("role", "role must be one of "+strings.Join(keys, ", ")+".")
}

// roleInUseLocked reports whether a membership or an invitation has the role with key.
func (s *Server) roleInUseLocked(key string) bool {
	for _, m := range s.memberships {
		if m.Role == key {
			return true
		}
	}
	for _, i := range s.invitations {
		if i.Role == key {
			return true
		}
	}
	return false
}

// sortedByCreation returns the values of m, oldest first.
func sortedByCreation[T any](m map[string]*T, createdAt func(*T) int64) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *T) int { return cmp.Compare(createdAt(a), createdAt(b)) })
	return out
}

// permissionJSON is Clerk's permission object (keys of the permission.* webhooks).
type permissionJSON struct {
	Object      string `json:"object"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Key         string `json:"key"`
	Description string `json:"description"`
	Type        string `json:"type"`
	CreatedAt   int64  `json:"created_at"`
	UpdatedAt   int64  `json:"updated_at"`
}

// roleJSON is Clerk's role object (keys of the role.* webhooks), with its permissions.
type roleJSON struct {
	Object            string           `json:"object"`
	ID                string           `json:"id"`
	Name              string           `json:"name"`
	Key               string           `json:"key"`
	Description       *string          `json:"description"`
	IsCreatorEligible bool             `json:"is_creator_eligible"`
	Permissions       []permissionJSON `json:"permissions"`
	CreatedAt         int64            `json:"created_at"`
	UpdatedAt         int64            `json:"updated_at"`
}

// deletedRoleJSON is the data of role.deleted, which carries a null slug.
type deletedRoleJSON struct {
	Object  string  `json:"object"`
	ID      string  `json:"id"`
	Slug    *string `json:"slug"`
	Deleted bool    `json:"deleted"`
}

func permissionJSONOf(p *permission) permissionJSON {
	return permissionJSON{Object: "permission", ID: p.ID, Name: p.Name, Key: p.Key,
		Description: p.Description, Type: p.Type, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// creatorPermissions are the permissions Clerk requires of a creator role.
func creatorPermissions() []string {
	return []string{"org:sys_memberships:manage", "org:sys_memberships:read", "org:sys_profile:delete"}
}

func (s *Server) roleJSONLocked(r *role) roleJSON {
	perms := make([]permissionJSON, 0, len(r.Permissions))
	for _, id := range r.Permissions {
		if p := s.permissions[id]; p != nil {
			perms = append(perms, permissionJSONOf(p))
		}
	}
	granted := s.rolePermissionsLocked(r.Key)
	eligible := true
	for _, p := range creatorPermissions() {
		eligible = eligible && slices.Contains(granted, p)
	}
	return roleJSON{Object: "role", ID: r.ID, Name: r.Name, Key: r.Key, Description: strPtr(r.Description),
		IsCreatorEligible: eligible, Permissions: perms, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}
