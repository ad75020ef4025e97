package clerkdev

import (
	"net/http"
	"slices"
	"strings"
)

// The Backend API's organization roles, /v1/organization_roles, with the role.*
// webhooks. The error codes for the cases Clerk documents without one (a default role
// or a role in use cannot be deleted) are the emulator's.

// roleRoutes registers the organization role and permission routes of the Backend API.
func (s *Server) roleRoutes(mux *http.ServeMux) {
	s.bapi(mux, "GET /v1/organization_roles", s.listRoles)
	s.bapi(mux, "POST /v1/organization_roles", s.createRole)
	s.bapi(mux, "GET /v1/organization_roles/{id}", s.getRole)
	s.bapi(mux, "PATCH /v1/organization_roles/{id}", s.updateRole)
	s.bapi(mux, "DELETE /v1/organization_roles/{id}", s.deleteRole)
	s.bapi(mux, "POST /v1/organization_roles/{id}/permissions/{perm}", s.assignRolePermission)
	s.bapi(mux, "DELETE /v1/organization_roles/{id}/permissions/{perm}", s.removeRolePermission)
	s.bapi(mux, "GET /v1/organization_permissions", s.listPermissions)
	s.bapi(mux, "POST /v1/organization_permissions", s.createPermission)
	s.bapi(mux, "GET /v1/organization_permissions/{id}", s.getPermission)
	s.bapi(mux, "PATCH /v1/organization_permissions/{id}", s.updatePermission)
	s.bapi(mux, "DELETE /v1/organization_permissions/{id}", s.deletePermission)
}

// roleInput is the body of POST and PATCH /v1/organization_roles. Permissions are
// permission ids; include_in_initial_role_set is accepted (the emulator has one role set).
type roleInput struct {
	Name                    *string   `json:"name"`
	Key                     *string   `json:"key"`
	Description             *string   `json:"description"`
	Permissions             *[]string `json:"permissions"`
	IncludeInInitialRoleSet *bool     `json:"include_in_initial_role_set"`
}

// permissionIDsLocked checks that every id names a permission.
func (s *Server) permissionIDsLocked(ids []string) ([]string, *apiError) {
	for _, id := range ids {
		if s.permissions[id] == nil {
			return nil, errNotFound("permission " + id)
		}
	}
	return slices.Clone(ids), nil
}

// checkNewRoleKeyLocked refuses an invalid key and one another role has.
func (s *Server) checkNewRoleKeyLocked(key string) *apiError {
	return newKey(key, checkRoleKey, s.roleByKeyLocked(key) != nil)
}

func (s *Server) createRole(w http.ResponseWriter, r *http.Request) {
	var in roleInput
	if e := decodeBody(r, &in); e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := checkNameAndKey(in.Name, in.Key)
	if e == nil {
		e = s.checkNewRoleKeyLocked(*in.Key)
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	ids, e := s.permissionIDsLocked(derefSlice(in.Permissions))
	if e != nil {
		writeAPIError(w, e)
		return
	}
	now := s.stampLocked()
	ro := &role{ID: newID("role"), Key: *in.Key, Name: strings.TrimSpace(*in.Name),
		Description: derefStr(in.Description), Permissions: ids, CreatedAt: now, UpdatedAt: now}
	s.roles[ro.ID] = ro
	s.emitLocked("role.created", ro.ID, s.roleJSONLocked(ro), requestInfo(r))
	writeJSON(w, http.StatusOK, s.roleJSONLocked(ro))
}

// roleLocked finds the role of the request's {id}, or answers 404 and returns nil.
func (s *Server) roleLocked(w http.ResponseWriter, r *http.Request) *role {
	ro := s.roles[r.PathValue("id")]
	if ro == nil {
		writeAPIError(w, errNotFound("organization role"))
	}
	return ro
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ro := s.roleLocked(w, r); ro != nil {
		writeJSON(w, http.StatusOK, s.roleJSONLocked(ro))
	}
}

// renameRoleLocked moves the memberships and invitations of role key from to key to.
func (s *Server) renameRoleLocked(from, to string) {
	for _, m := range s.memberships {
		if m.Role == from {
			m.Role = to
		}
	}
	for _, i := range s.invitations {
		if i.Role == from {
			i.Role = to
		}
	}
}

// applyRoleInputLocked checks in and applies it to ro; nothing changes on an error.
func (s *Server) applyRoleInputLocked(ro *role, in roleInput) *apiError {
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		return errParamInvalid("name", "name must not be empty.")
	}
	if in.Key != nil && *in.Key != ro.Key {
		if isDefaultRole(ro.Key) {
			return errParamInvalid("key", "The key of a default role ("+RoleAdmin+", "+RoleMember+") cannot be changed in the emulator.")
		}
		if e := s.checkNewRoleKeyLocked(*in.Key); e != nil {
			return e
		}
	}
	ids := ro.Permissions
	if in.Permissions != nil {
		var e *apiError
		if ids, e = s.permissionIDsLocked(*in.Permissions); e != nil {
			return e
		}
	}
	if in.Key != nil && *in.Key != ro.Key {
		s.renameRoleLocked(ro.Key, *in.Key)
		ro.Key = *in.Key
	}
	if in.Name != nil {
		ro.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		ro.Description = *in.Description
	}
	ro.Permissions = ids
	return nil
}

func (s *Server) updateRole(w http.ResponseWriter, r *http.Request) {
	var in roleInput
	if e := decodeBody(r, &in); e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ro := s.roleLocked(w, r)
	if ro == nil {
		return
	}
	if e := s.applyRoleInputLocked(ro, in); e != nil {
		writeAPIError(w, e)
		return
	}
	s.roleChangedLocked(w, r, ro)
}

// roleChangedLocked stamps ro, emits role.updated and answers with the role.
func (s *Server) roleChangedLocked(w http.ResponseWriter, r *http.Request, ro *role) {
	ro.UpdatedAt = s.stampLocked()
	s.emitLocked("role.updated", ro.ID, s.roleJSONLocked(ro), requestInfo(r))
	writeJSON(w, http.StatusOK, s.roleJSONLocked(ro))
}

// deleteRole refuses the creator and default roles and a role that a membership or an
// invitation has, as Clerk does.
func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ro := s.roleLocked(w, r)
	if ro == nil {
		return
	}
	if isDefaultRole(ro.Key) || s.roleInUseLocked(ro.Key) {
		writeAPIError(w, errUnprocessable("organization_role_in_use",
			"The role is the creator or default role, or members or invitations have it, so it cannot be deleted."))
		return
	}
	delete(s.roles, ro.ID)
	s.emitLocked("role.deleted", ro.ID, deletedRoleJSON{Object: "role", ID: ro.ID, Deleted: true}, requestInfo(r))
	writeJSON(w, http.StatusOK, deletedJSON{Object: "role", ID: ro.ID, Deleted: true})
}

// rolePermissionLocked finds the role {id} and the permission {perm} of the request, or
// answers 404 and returns nils.
func (s *Server) rolePermissionLocked(w http.ResponseWriter, r *http.Request) (*role, *permission) {
	ro := s.roleLocked(w, r)
	if ro == nil {
		return nil, nil
	}
	p := s.permissions[r.PathValue("perm")]
	if p == nil {
		writeAPIError(w, errNotFound("permission"))
		return nil, nil
	}
	return ro, p
}

// assignRolePermission answers POST /v1/organization_roles/{id}/permissions/{perm}.
func (s *Server) assignRolePermission(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ro, p := s.rolePermissionLocked(w, r)
	if ro == nil {
		return
	}
	if slices.Contains(ro.Permissions, p.ID) {
		writeAPIError(w, &apiError{Status: http.StatusConflict, Code: "duplicate_record",
			Message: "duplicate record", LongMessage: "The role already has the permission " + p.Key + "."})
		return
	}
	ro.Permissions = append(ro.Permissions, p.ID)
	s.roleChangedLocked(w, r, ro)
}

// removeRolePermission answers DELETE /v1/organization_roles/{id}/permissions/{perm}.
func (s *Server) removeRolePermission(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ro, p := s.rolePermissionLocked(w, r)
	if ro == nil {
		return
	}
	if !slices.Contains(ro.Permissions, p.ID) {
		writeAPIError(w, errNotFound("permission "+p.Key+" on the role"))
		return
	}
	ro.Permissions = slices.DeleteFunc(slices.Clone(ro.Permissions), func(id string) bool { return id == p.ID })
	s.roleChangedLocked(w, r, ro)
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) {
	limit, offset, e := page(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := catalogList(r, sortedByCreation(s.roles, func(ro *role) int64 { return ro.CreatedAt }),
		func(ro *role) catalogEntry { return catalogEntry{ro.ID, ro.Name, ro.Key} })
	writeJSON(w, http.StatusOK, listJSON[roleJSON]{Data: pageOf(all, limit, offset, s.roleJSONLocked), TotalCount: int64(len(all))})
}

// catalogEntry is what the role and permission lists filter and order by.
type catalogEntry struct{ id, name, key string }

// catalogList filters items (oldest first) by the query parameter "query" (the exact id,
// or part of the name or key) and orders them by "order_by": created_at, name or key,
// "-" for descending, default -created_at.
func catalogList[T any](r *http.Request, items []*T, entry func(*T) catalogEntry) []*T {
	q := r.URL.Query()
	query := strings.ToLower(q.Get("query"))
	var out []*T
	for _, it := range items {
		e := entry(it)
		if query == "" || e.id == q.Get("query") || strings.Contains(strings.ToLower(e.name+" "+e.key), query) {
			out = append(out, it)
		}
	}
	order := q.Get("order_by")
	if order == "" {
		order = "-created_at"
	}
	field := strings.TrimLeft(order, "+-")
	if field == "name" || field == "key" {
		slices.SortStableFunc(out, func(a, b *T) int {
			ea, eb := entry(a), entry(b)
			if field == "name" {
				return strings.Compare(strings.ToLower(ea.name), strings.ToLower(eb.name))
			}
			return strings.Compare(ea.key, eb.key)
		})
	}
	if strings.HasPrefix(order, "-") {
		slices.Reverse(out)
	}
	return out
}

// derefSlice is the slice p points to, nil for nil.
func derefSlice(p *[]string) []string {
	if p == nil {
		return nil
	}
	return *p
}
