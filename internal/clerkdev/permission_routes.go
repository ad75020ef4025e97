package clerkdev

import (
	"net/http"
	"slices"
	"strings"
)

// The Backend API's organization permissions, /v1/organization_permissions, with the
// permission.* webhooks. System permissions are listed but cannot be changed (403, an
// error code of the emulator's: Clerk documents none).

// permissionInput is the body of POST and PATCH /v1/organization_permissions.
type permissionInput struct {
	Name        *string `json:"name"`
	Key         *string `json:"key"`
	Description *string `json:"description"`
}

// checkNewPermissionKeyLocked refuses an invalid or system key and one another
// permission has.
func (s *Server) checkNewPermissionKeyLocked(key string) *apiError {
	return newKey(key, checkPermissionKey, s.permissionByKeyLocked(key) != nil)
}

// newKey refuses a new role's or permission's key that valid refuses, or that
// another one has (taken).
func newKey(key string, valid func(string) *apiError, taken bool) *apiError {
	if e := valid(key); e != nil {
		return e
	}
	if taken {
		return errIdentifierExists("key", "That key is taken. Please try another.")
	}
	return nil
}

// checkNameAndKey refuses a new role or permission without a name or a key.
func checkNameAndKey(name, key *string) *apiError {
	if name == nil || strings.TrimSpace(*name) == "" {
		return errParamMissing("name")
	}
	if key == nil || *key == "" {
		return errParamMissing("key")
	}
	return nil
}

func (s *Server) createPermission(w http.ResponseWriter, r *http.Request) {
	var in permissionInput
	if e := decodeBody(r, &in); e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := checkNameAndKey(in.Name, in.Key)
	if e == nil {
		e = s.checkNewPermissionKeyLocked(*in.Key)
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	now := s.stampLocked()
	p := &permission{ID: newID("perm"), Key: *in.Key, Name: strings.TrimSpace(*in.Name),
		Description: derefStr(in.Description), Type: permissionCustom, CreatedAt: now, UpdatedAt: now}
	s.permissions[p.ID] = p
	s.emitLocked("permission.created", p.ID, permissionJSONOf(p), requestInfo(r))
	writeJSON(w, http.StatusOK, permissionJSONOf(p))
}

// permissionLocked finds the permission of the request's {id}, or answers 404 and
// returns nil. With custom set it also refuses a system permission (403).
func (s *Server) permissionLocked(w http.ResponseWriter, r *http.Request, custom bool) *permission {
	p := s.permissions[r.PathValue("id")]
	if p == nil {
		writeAPIError(w, errNotFound("permission"))
		return nil
	}
	if custom && p.Type == permissionSystem {
		writeAPIError(w, &apiError{Status: http.StatusForbidden, Code: "system_permission_immutable",
			Message: "system permission", LongMessage: "System permissions cannot be updated or deleted."})
		return nil
	}
	return p
}

func (s *Server) getPermission(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.permissionLocked(w, r, false); p != nil {
		writeJSON(w, http.StatusOK, permissionJSONOf(p))
	}
}

func (s *Server) updatePermission(w http.ResponseWriter, r *http.Request) {
	var in permissionInput
	if e := decodeBody(r, &in); e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.permissionLocked(w, r, true)
	if p == nil {
		return
	}
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		writeAPIError(w, errParamInvalid("name", "name must not be empty."))
		return
	}
	if in.Key != nil && *in.Key != p.Key {
		if e := s.checkNewPermissionKeyLocked(*in.Key); e != nil {
			writeAPIError(w, e)
			return
		}
		p.Key = *in.Key
	}
	if in.Name != nil {
		p.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	p.UpdatedAt = s.stampLocked()
	s.emitLocked("permission.updated", p.ID, permissionJSONOf(p), requestInfo(r))
	writeJSON(w, http.StatusOK, permissionJSONOf(p))
}

// deletePermission removes a custom permission, also from every role that has it.
func (s *Server) deletePermission(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.permissionLocked(w, r, true)
	if p == nil {
		return
	}
	for _, ro := range s.roles {
		ro.Permissions = slices.DeleteFunc(slices.Clone(ro.Permissions), func(id string) bool { return id == p.ID })
	}
	delete(s.permissions, p.ID)
	d := deletedJSON{Object: "permission", ID: p.ID, Deleted: true}
	s.emitLocked("permission.deleted", p.ID, d, requestInfo(r))
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) listPermissions(w http.ResponseWriter, r *http.Request) {
	limit, offset, e := page(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := catalogList(r, sortedByCreation(s.permissions, func(p *permission) int64 { return p.CreatedAt }),
		func(p *permission) catalogEntry { return catalogEntry{p.ID, p.Name, p.Key} })
	writeJSON(w, http.StatusOK, listJSON[permissionJSON]{Data: pageOf(all, limit, offset, permissionJSONOf), TotalCount: int64(len(all))})
}
