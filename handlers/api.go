package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"gorm.io/gorm"

	"example.com/saas/models"
)

// The JSON API works in the session token's active organization
// (middleware.RequireActiveOrg). Lists are {"data": [...], "next_cursor"};
// single resources are the object itself; errors are the usual envelope,
// with "fields" on 422. Unknown JSON fields, organization_id among them, are
// ignored: the organization always comes from the token. Each resource's
// API is in its area's file (projects_api.go); these are the user's own.

// apiHandlers answer the API's routes about the caller: who they are and
// who else is in their organization.
type apiHandlers struct {
	tenantPages
	db      *gorm.DB
	tenants tenantLookup
}

// apiMe returns the signed-in user from the local table and the token's
// active organization with the role and permissions of the synced
// membership. Never the token's: Clerk leaves system permissions
// (org:sys_*) out of session claims, and the app grants only what the
// membership says.
func (h *apiHandlers) apiMe(w http.ResponseWriter, r *http.Request) {
	id, _ := models.IdentityFrom(r.Context())
	user := map[string]any{"id": id.UserID}
	u, err := models.GetUser(r.Context(), h.db, id.UserID)
	switch {
	case err == nil:
		user = map[string]any{"id": u.ID, "email": u.Email, "first_name": u.FirstName, "last_name": u.LastName, "image_url": u.ImageURL}
	case !errors.Is(err, models.ErrNotFound):
		h.renderError(w, r, err)
		return
	}
	resp := map[string]any{"user": user, "session_id": id.SessionID, "organization": nil}
	if id.OrgID != "" {
		org := map[string]any{"id": id.OrgID, "slug": id.OrgSlug, "role": "", "permissions": []string{}}
		t, err := h.tenants.byOrg(r.Context(), id.OrgID, id.UserID)
		switch {
		case err == nil:
			org["slug"], org["role"], org["permissions"] = t.Slug, t.Role, orEmpty(t.Permissions)
		case !errors.Is(err, models.ErrNotFound):
			h.renderError(w, r, err)
			return
		}
		resp["organization"] = org
	}
	h.writeRead(w, r, resp, nil)
}

// apiListMembers answers the organization's members from the local tables.
func (h *apiHandlers) apiListMembers(w http.ResponseWriter, r *http.Request) {
	members, err := inTenantValue(h, r, func(tx *gorm.DB) ([]models.Member, error) {
		return models.MembersOf(r.Context(), tx)
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(members))
	for _, m := range members {
		out = append(out, map[string]any{
			"user_id": m.UserID, "email": m.Email, "first_name": m.FirstName, "last_name": m.LastName,
			"image_url": m.ImageURL, "role": m.Role, "permissions": orEmpty(m.Permissions),
		})
	}
	h.writeRead(w, r, map[string]any{"data": out}, nil)
}

// apiList answers a page of list in the tenant, read with the request's
// ?q=, ?cursor= and ?limit=.
func apiList[T any](h tenantArea, w http.ResponseWriter, r *http.Request, list func(tx *gorm.DB, opts models.ListOptions) (models.Page[T], error)) {
	opts, ok := listOptions(w, r)
	if !ok {
		return
	}
	page, err := inTenantValue(h, r, func(tx *gorm.DB) (models.Page[T], error) { return list(tx, opts) })
	h.writeRead(w, r, map[string]any{"data": orEmpty(page.Items), "next_cursor": nullable(page.NextCursor)}, err)
}

// apiDelete runs del in the tenant and answers 204 No Content.
func apiDelete(h tenantArea, w http.ResponseWriter, r *http.Request, del func(tx *gorm.DB) error) {
	if err := h.inTenant(r, del); err != nil {
		h.renderError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listOptions reads ?q=, ?cursor= and ?limit= (1-100, default 20).
func listOptions(w http.ResponseWriter, r *http.Request) (models.ListOptions, bool) {
	q := r.URL.Query()
	opts := models.ListOptions{Query: q.Get("q"), Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			writeValidation(w, map[string]string{"limit": "Must be a whole number from 1 to 100."})
			return opts, false
		}
		opts.Limit = n
	}
	return opts, true
}
