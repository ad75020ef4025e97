package middleware

import (
	"context"
	"net/http"

	"example.com/saas/models"
)

// TenantLookup resolves an organization (by slug for pages, by id for the
// API) and the user's membership there from the local tables; it returns
// models.ErrNotFound when either is missing.
type TenantLookup func(ctx context.Context, key, userID string) (models.Tenant, error)

// ErrorRenderer answers a request with an error (handlers.RenderError).
type ErrorRenderer func(http.ResponseWriter, *http.Request, error)

// RequireOrgMember puts the organization of the URL's {slug} in the context
// as the request's tenant, for members only: anyone else gets the 404 page,
// so a non-member cannot learn that the organization exists. A page view
// remembers the slug in the app session for /app. It runs after
// RequireUser, on routes whose pattern has {slug}.
func RequireOrgMember(lookup TenantLookup, sessions *SessionStore, renderError ErrorRenderer) func(http.Handler) http.Handler {
	slug := func(r *http.Request, _ models.Identity) string { return r.PathValue("slug") }
	return requireTenant(lookup, slug, models.ErrNotFound, sessions, renderError)
}

// RequireActiveOrg is RequireOrgMember for the JSON API: the tenant is the
// session token's active organization, and the membership is checked in the
// local tables all the same. No active organization is a 403
// (models.ErrNoActiveOrganization); not a member, a 404. It runs after
// RequireUser.
func RequireActiveOrg(lookup TenantLookup, renderError ErrorRenderer) func(http.Handler) http.Handler {
	activeOrg := func(_ *http.Request, id models.Identity) string { return id.OrgID }
	return requireTenant(lookup, activeOrg, models.ErrNoActiveOrganization, nil, renderError)
}

// tenantKey returns the key a request's tenant is looked up by for the
// signed-in identity, "" when there is none.
type tenantKey func(r *http.Request, id models.Identity) string

// requireTenant is RequireOrgMember and RequireActiveOrg: it looks up the
// tenant keyOf names for the signed-in user, notes its organization for the
// logs and serves next with the tenant in the context. Without a user or a
// key it answers missing, and a failed lookup with its error. With sessions,
// a page view remembers the organization.
func requireTenant(lookup TenantLookup, keyOf tenantKey, missing error, sessions *SessionStore, renderError ErrorRenderer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, ok := models.IdentityFrom(r.Context())
			key := keyOf(r, id)
			if !ok || key == "" {
				renderError(w, r, missing)
				return
			}
			t, err := lookup(r.Context(), key, id.UserID)
			if err != nil {
				renderError(w, r, err)
				return
			}
			NoteOrg(r.Context(), t.OrgID)
			if r.Method == http.MethodGet && sessions != nil {
				rememberOrg(w, r, sessions, id.UserID, t.Slug)
			}
			next.ServeHTTP(w, r.WithContext(models.WithTenant(r.Context(), t)))
		})
	}
}

// rememberOrg stores slug as the last used organization, only in the app
// session of this same user, and only when it changed.
func rememberOrg(w http.ResponseWriter, r *http.Request, sessions *SessionStore, userID, slug string) {
	a := sessions.Load(r)
	if a.UserID != userID || a.LastOrg == slug {
		return
	}
	a.LastOrg = slug
	sessions.Save(w, r, a)
}

// RequirePermission lets through only users whose membership grants
// permission; others get a 403 naming it (models.PermissionError). It runs
// after RequireOrgMember or RequireActiveOrg; without a tenant it answers 404.
func RequirePermission(permission string, renderError ErrorRenderer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, ok := models.TenantFrom(r.Context())
			if !ok {
				renderError(w, r, models.ErrNotFound)
				return
			}
			if !t.Can(permission) {
				renderError(w, r, &models.PermissionError{Permission: permission})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
