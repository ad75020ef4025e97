package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"example.com/saas/gatewayauth"
	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

var secret = []byte("notifications-test-secret")

// fixture is the service on a fresh database with two organizations:
// org_a (user_1 admin, user_2 member, user_4 a viewer who may not see the
// member list) and org_b (user_3 admin).
func fixture(t *testing.T) (*gorm.DB, http.Handler) {
	t.Helper()
	db, _ := testenv.DB(t)
	if err := models.RegisterTenantGuard(db); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, m := range []models.Membership{
		{ID: "orgmem_a1", OrganizationID: "org_a", UserID: "user_1", Role: models.RoleAdmin},
		{ID: "orgmem_a2", OrganizationID: "org_a", UserID: "user_2", Role: models.RoleMember},
		{ID: "orgmem_a4", OrganizationID: "org_a", UserID: "user_4", Role: "org:viewer", Permissions: models.StringArray{"org:projects:read"}},
		{ID: "orgmem_b3", OrganizationID: "org_b", UserID: "user_3", Role: models.RoleAdmin},
	} {
		if m.Permissions == nil {
			m.Permissions = models.DefaultPermissions(m.Role)
		}
		if _, err := models.ApplyMembership(context.Background(), db, m, models.Organization{Name: m.OrganizationID}, models.User{FirstName: m.UserID, Email: m.UserID + "@example.com"}, at); err != nil {
			t.Fatal(err)
		}
	}
	svc := &Service{DB: db, TenantRole: "app_tenant", Gateway: &gatewayauth.Verifier{Secret: secret}, Log: slog.New(slog.DiscardHandler)}
	return db, svc.Handler()
}

// call sends a request as the gateway would for id (signed), or as a
// client that skipped it (id.UserID == "": unsigned).
func call(t *testing.T, h http.Handler, method, path string, id gatewayauth.Identity, body any) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		json.NewEncoder(&buf).Encode(body)
	}
	r := httptest.NewRequest(method, path, &buf)
	if id.UserID != "" {
		gatewayauth.Sign(r, id, secret, time.Now())
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

func userIDs(out map[string]any) []string {
	var ids []string
	list, _ := out["data"].([]any)
	for _, item := range list {
		ids = append(ids, item.(map[string]any)["user_id"].(string))
	}
	return ids
}

var (
	alice = gatewayauth.Identity{UserID: "user_1", SessionID: "sess_1", OrgID: "org_a", OrgRole: "org:admin", OrgSlug: "a"}
	bob   = gatewayauth.Identity{UserID: "user_2", SessionID: "sess_2", OrgID: "org_a", OrgRole: "org:member", OrgSlug: "a"}
	vic   = gatewayauth.Identity{UserID: "user_4", SessionID: "sess_4", OrgID: "org_a", OrgRole: "org:viewer", OrgSlug: "a"}
	carol = gatewayauth.Identity{UserID: "user_3", SessionID: "sess_3", OrgID: "org_b", OrgRole: "org:admin", OrgSlug: "b"}
)

// Each organization's members and preferences stay its own: a list, a
// save and a read see only the caller's organization.
func TestPreferencesStayInTheirOrganization(t *testing.T) {
	t.Parallel()
	db, h := fixture(t)
	if code, _ := call(t, h, "PUT", "/notifications/preferences/me", carol, map[string]any{"email_digest": "never", "mentions": false}); code != 200 {
		t.Fatalf("carol saves in org_b: %d", code)
	}
	code, out := call(t, h, "PUT", "/notifications/preferences/me", bob, map[string]any{"email_digest": "daily", "mentions": false})
	if code != 200 || out["email_digest"] != "daily" || out["mentions"] != false {
		t.Fatalf("bob saves: %d %v", code, out)
	}

	code, out = call(t, h, "GET", "/notifications/preferences", alice, nil)
	if got := userIDs(out); code != 200 || len(got) != 3 || got[0] != "user_1" {
		t.Fatalf("org_a's list = %d %v, want its three members", code, got)
	}
	for _, item := range out["data"].([]any) {
		p := item.(map[string]any)
		want := map[string]string{"user_1": "weekly", "user_2": "daily", "user_4": "weekly"}[p["user_id"].(string)]
		if p["email_digest"] != want || p["email"] != p["user_id"].(string)+"@example.com" {
			t.Errorf("org_a list row %v, want digest %s", p, want)
		}
	}
	code, out = call(t, h, "GET", "/notifications/preferences", carol, nil)
	if got := userIDs(out); code != 200 || len(got) != 1 || got[0] != "user_3" {
		t.Errorf("org_b's list = %d %v, want carol alone", code, got)
	}
	var rows []struct{ OrganizationID, UserID, EmailDigest string }
	db.Raw("SELECT organization_id, user_id, email_digest FROM notification_preferences ORDER BY user_id").Scan(&rows)
	if len(rows) != 2 || rows[0].OrganizationID != "org_a" || rows[1].OrganizationID != "org_b" {
		t.Errorf("stored rows = %+v, want bob's in org_a and carol's in org_b", rows)
	}
}

// What did not come through the gateway, or claims an organization the
// user is not in, is refused before any handler runs.
func TestPreferencesRefusals(t *testing.T) {
	t.Parallel()
	db, h := fixture(t)
	tests := []struct {
		name   string
		method string
		path   string
		id     gatewayauth.Identity
		body   any
		status int
		code   string
	}{
		{"skipped the gateway", "GET", "/notifications/preferences", gatewayauth.Identity{}, nil, 401, "gateway_signature"},
		{"no active organization", "GET", "/notifications/preferences/me", gatewayauth.Identity{UserID: "user_1", SessionID: "sess_1"}, nil, 403, "no_active_organization"},
		{"another organization's id", "GET", "/notifications/preferences", gatewayauth.Identity{UserID: "user_3", SessionID: "sess_3", OrgID: "org_a"}, nil, 403, "forbidden"},
		{"no member list permission", "GET", "/notifications/preferences", vic, nil, 403, "missing_permission"},
		{"unknown digest", "PUT", "/notifications/preferences/me", bob, map[string]any{"email_digest": "hourly", "mentions": true}, 422, "validation_failed"},
		{"missing mentions", "PUT", "/notifications/preferences/me", bob, map[string]any{"email_digest": "daily"}, 422, "validation_failed"},
		{"unknown field", "PUT", "/notifications/preferences/me", bob, map[string]any{"email_digest": "daily", "mentions": true, "user_id": "user_1"}, 400, "invalid_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := call(t, h, tt.method, tt.path, tt.id, tt.body)
			e, _ := out["error"].(map[string]any)
			if code != tt.status || e["code"] != tt.code {
				t.Errorf("= %d %v, want %d %s", code, out, tt.status, tt.code)
			}
		})
	}
	var n int64
	db.Raw("SELECT count(*) FROM notification_preferences").Scan(&n)
	if n != 0 {
		t.Errorf("%d preferences written by refused requests", n)
	}
	// An organization deleted since the token was issued serves no one.
	if err := db.Exec("UPDATE organizations SET deleted_at = now() WHERE id = 'org_b'").Error; err != nil {
		t.Fatal(err)
	}
	if code, _ := call(t, h, "GET", "/notifications/preferences/me", carol, nil); code != http.StatusForbidden {
		t.Errorf("a deleted organization's admin = %d, want 403", code)
	}
	// A viewer may still read and set their own.
	if code, out := call(t, h, "GET", "/notifications/preferences/me", vic, nil); code != 200 || out["email_digest"] != "weekly" {
		t.Errorf("viewer's own preference = %d %v, want the default", code, out)
	}
}

// Saves of one member's preference at the same moment leave one row
// holding one of them.
func TestPreferencesConcurrentSaves(t *testing.T) {
	t.Parallel()
	db, h := fixture(t)
	digestsSent := []string{"daily", "weekly", "never", "daily", "never", "weekly"}
	codes := make([]int, len(digestsSent))
	var wg sync.WaitGroup
	for i, d := range digestsSent {
		wg.Go(func() {
			codes[i], _ = call(t, h, "PUT", "/notifications/preferences/me", bob, map[string]any{"email_digest": d, "mentions": i%2 == 0})
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("save %d = %d", i, c)
		}
	}
	var rows []Preference
	db.Raw("SELECT organization_id, user_id, email_digest, mentions, updated_at FROM notification_preferences").Scan(&rows)
	if len(rows) != 1 || !digests[rows[0].EmailDigest] {
		t.Fatalf("rows after concurrent saves = %+v, want one", rows)
	}
	_, out := call(t, h, "GET", "/notifications/preferences/me", bob, nil)
	if out["email_digest"] != rows[0].EmailDigest {
		t.Errorf("read back %v, stored %+v", out, rows[0])
	}
}
