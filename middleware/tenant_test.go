package middleware

import (
	"context"
	"errors"
	"fmt"
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
	chain := RequireOrgMember(fakeLookup, OrgMemory{Sessions: store}, statusOf)(RequirePermission(models.PermProjectsManage, statusOf)(http.HandlerFunc(tenantEcho)))
	mux.Handle("GET /orgs/{slug}", chain)
	mux.Handle("GET /orgs/{slug}/settings", RequireOrgMember(fakeLookup, OrgMemory{Sessions: store}, statusOf)(RequirePermission(models.PermProfileManage, statusOf)(http.HandlerFunc(tenantEcho))))

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

// A page view records the organization once and notes it in the app
// session: the next view of the same organization records nothing, another
// organization's does, and a failed record is tried again.
func TestRequireOrgMemberRemembersOrg(t *testing.T) {
	store := NewSessionStore([]byte("0123456789abcdef0123456789abcdef"), false)
	setup := httptest.NewRecorder()
	store.Save(setup, httptest.NewRequest("GET", "/", nil), AppSession{UserID: "user_m", SessionID: "sess", VerifiedAt: time.Now()})
	cookies := setup.Result().Cookies()

	var recorded []string
	var fail error
	record := func(_ context.Context, userID, orgID string) error {
		recorded = append(recorded, userID+"@"+orgID)
		return fail
	}
	lookup := func(ctx context.Context, key, userID string) (models.Tenant, error) {
		if key == "beta" {
			return models.Tenant{OrgID: "org_beta", Slug: "beta", UserID: userID}, nil
		}
		return fakeLookup(ctx, key, userID)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /orgs/{slug}", RequireOrgMember(lookup, OrgMemory{Sessions: store, Record: record}, statusOf)(http.HandlerFunc(tenantEcho)))
	visit := func(path string) {
		r := httptest.NewRequest("GET", path, nil)
		for _, c := range cookies {
			r.AddCookie(c)
		}
		r = r.WithContext(models.WithIdentity(r.Context(), models.Identity{UserID: "user_m"}))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		if c := rec.Result().Cookies(); len(c) > 0 {
			cookies = c
		}
	}

	visit("/orgs/acme")
	next := httptest.NewRequest("GET", "/app", nil)
	for _, c := range cookies {
		next.AddCookie(c)
	}
	if got := store.Load(next); got.LastOrg != "acme" || got.UserID != "user_m" || got.SessionID != "sess" {
		t.Errorf("app session after /orgs/acme = %+v, want LastOrg acme and the rest kept", got)
	}
	visit("/orgs/acme")
	fail = errors.New("database down")
	visit("/orgs/beta")
	fail = nil
	visit("/orgs/beta")
	visit("/orgs/beta")
	want := []string{"user_m@org_acme", "user_m@org_beta", "user_m@org_beta"}
	if fmt.Sprint(recorded) != fmt.Sprint(want) {
		t.Errorf("recorded %q, want %q (once per change, again after a failure)", recorded, want)
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
