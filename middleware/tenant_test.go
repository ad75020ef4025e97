package middleware

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"example.com/saas/models"
)

// fakeLookup knows one organization, acme (org_acme), with member user_m.
func fakeLookup(ctx context.Context, key, userID string) (models.Tenant, error) {
	if (key == "acme" || key == "org_acme") && userID == "user_m" {
		return models.Tenant{OrgID: "org_acme", Slug: "acme", UserID: userID, Role: models.RoleMember,
			Permissions: models.DefaultPermissions(models.RoleMember)}, nil
	}
	return models.Tenant{}, models.ErrNotFound
}

// statusOf answers like handlers.renderError: 404, 403 naming the
// permission, 403 without an active organization.
func statusOf(w http.ResponseWriter, r *http.Request, err error) {
	var pe *models.PermissionError
	switch {
	case errors.As(err, &pe):
		http.Error(w, pe.Permission, http.StatusForbidden)
	case errors.Is(err, models.ErrNoActiveOrganization):
		http.Error(w, "no_active_organization", http.StatusForbidden)
	case errors.Is(err, models.ErrNotFound):
		http.Error(w, "not found", http.StatusNotFound)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func tenantEcho(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	w.Write([]byte(t.OrgID))
}

func TestRequireOrgMember(t *testing.T) {
	store := NewSessionStore([]byte("0123456789abcdef0123456789abcdef"), false)
	mux := http.NewServeMux()
	chain := RequireOrgMember(fakeLookup, store, statusOf)(RequirePermission(models.PermProjectsManage, statusOf)(http.HandlerFunc(tenantEcho)))
	mux.Handle("GET /orgs/{slug}", chain)
	mux.Handle("GET /orgs/{slug}/settings", RequireOrgMember(fakeLookup, store, statusOf)(RequirePermission(models.PermProfileManage, statusOf)(http.HandlerFunc(tenantEcho))))

	tests := []struct {
		name, user, path string
		want             int
		body             string
	}{
		{"member", "user_m", "/orgs/acme", 200, "org_acme"},
		{"non-member", "user_x", "/orgs/acme", 404, "not found\n"},
		{"unknown org", "user_m", "/orgs/nope", 404, "not found\n"},
		{"signed out", "", "/orgs/acme", 404, "not found\n"},
		{"missing permission", "user_m", "/orgs/acme/settings", 403, models.PermProfileManage + "\n"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.path, nil)
		if tt.user != "" {
			r = r.WithContext(models.WithIdentity(r.Context(), models.Identity{UserID: tt.user}))
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		if rec.Code != tt.want || rec.Body.String() != tt.body {
			t.Errorf("%s: %d %q, want %d %q", tt.name, rec.Code, rec.Body, tt.want, tt.body)
		}
	}
}

func TestRequireOrgMemberRemembersOrg(t *testing.T) {
	store := NewSessionStore([]byte("0123456789abcdef0123456789abcdef"), false)
	setup := httptest.NewRecorder()
	store.Save(setup, httptest.NewRequest("GET", "/", nil), AppSession{UserID: "user_m", SessionID: "sess", VerifiedAt: time.Now()})

	mux := http.NewServeMux()
	mux.Handle("GET /orgs/{slug}", RequireOrgMember(fakeLookup, store, statusOf)(http.HandlerFunc(tenantEcho)))
	r := httptest.NewRequest("GET", "/orgs/acme", nil)
	for _, c := range setup.Result().Cookies() {
		r.AddCookie(c)
	}
	r = r.WithContext(models.WithIdentity(r.Context(), models.Identity{UserID: "user_m"}))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, r)

	next := httptest.NewRequest("GET", "/app", nil)
	for _, c := range rec.Result().Cookies() {
		next.AddCookie(c)
	}
	if got := store.Load(next); got.LastOrg != "acme" || got.UserID != "user_m" || got.SessionID != "sess" {
		t.Errorf("app session after /orgs/acme = %+v, want LastOrg acme and the rest kept", got)
	}
}

func TestRequireActiveOrg(t *testing.T) {
	h := RequireActiveOrg(fakeLookup, statusOf)(http.HandlerFunc(tenantEcho))
	tests := []struct {
		name string
		id   models.Identity
		want int
	}{
		{"active org member", models.Identity{UserID: "user_m", OrgID: "org_acme"}, 200},
		{"no active org", models.Identity{UserID: "user_m"}, 403},
		{"not a member locally", models.Identity{UserID: "user_x", OrgID: "org_acme"}, 404},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/api/v1/projects", nil)
		r = r.WithContext(models.WithIdentity(r.Context(), tt.id))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, rec.Code, tt.want)
		}
	}
}
