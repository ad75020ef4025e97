package middleware

import (
	"context"
	"log/slog"
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
// remembers the organization (OrgMemory) for the landing after sign-in. It
// runs after RequireUser, on routes whose pattern has {slug}.
func RequireOrgMember(lookup TenantLookup, memory OrgMemory, renderError ErrorRenderer) func(http.Handler) http.Handler {
	slug := func(r *http.Request, _ models.Identity) string { return r.PathValue("slug") }
	return requireTenant(lookup, slug, models.ErrNotFound, &memory, renderError)
}

// OrgMemory remembers the organization a user opened last. Record stores it
// for good (the users table: it outlives the session); the app session notes
// what was recorded, so a page view writes only when the organization changed
// rather than on every request.
type OrgMemory struct {
	Sessions *SessionStore
	// Record stores orgID as userID's last organization; nil records nothing.
	Record func(ctx context.Context, userID, orgID string) error
	// Log receives a failed Record (the page is served all the same); nil
	// is slog.Default().
	Log *slog.Logger
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
// key it answers missing, and a failed lookup with its error. With memory, a
// page view remembers the organization.
func requireTenant(lookup TenantLookup, keyOf tenantKey, missing error, memory *OrgMemory, renderError ErrorRenderer) func(http.Handler) http.Handler {
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
			if r.Method == http.MethodGet && memory != nil {
				memory.remember(w, r, id.UserID, t)
			}
			next.ServeHTTP(w, r.WithContext(models.WithTenant(r.Context(), t)))
		})
	}
}

// remember records t as userID's last organization unless the app session
// says it already is. A session of no one or of another user is the one Auth
// replaces in this very response: the organization is recorded, and the next
// page view, with the new session, notes it.
func (m *OrgMemory) remember(w http.ResponseWriter, r *http.Request, userID string, t models.Tenant) {
	if m.Sessions == nil {
		return
	}
	a := m.Sessions.Load(r)
	if a.UserID == userID && a.LastOrg == t.Slug {
		return
	}
	if m.Record != nil {
		if err := m.Record(r.Context(), userID, t.OrgID); err != nil {
			m.logger().WarnContext(r.Context(), "record last organization", slog.Any("error", err))
			return // not noted: the next page view tries again
		}
	}
	if a.UserID != userID {
		return
	}
	a.LastOrg = t.Slug
	m.Sessions.Save(w, r, a)
}

func (m *OrgMemory) logger() *slog.Logger {
	if m.Log != nil {
		return m.Log
	}
	return slog.Default()
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
