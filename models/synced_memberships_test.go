package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

func TestMembershipSync(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	ctx := context.Background()
	t1 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	mustOK(t, models.EnsureUser(ctx, db, models.User{ID: "user_1", FirstName: "Ann", Email: "ann@example.com"}))
	mustOK(t, models.EnsureOrganization(ctx, db, models.Organization{ID: "org_1", Name: "Acme", Slug: "acme"}))

	m := models.Membership{ID: "orgmem_1", OrganizationID: "org_1", UserID: "user_1", Role: models.RoleAdmin,
		Permissions: models.StringArray{`org:a:"quoted"`, `back\slash`, "org:sys_memberships:manage"}}
	if res, err := models.UpsertMembership(ctx, db, m, t1); err != nil || res != models.Created {
		t.Fatalf("create = %v, %v", res, err)
	}
	got, err := models.MembershipFor(ctx, db, "org_1", "user_1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Permissions, m.Permissions) || !got.Has("org:sys_memberships:manage") {
		t.Errorf("permissions = %q, want %q", got.Permissions, m.Permissions)
	}
	stale := m
	stale.Role = models.RoleMember
	if res, err := models.UpsertMembership(ctx, db, stale, t1.Add(-time.Second)); err != nil || res != models.Unchanged {
		t.Fatalf("stale update = %v, %v", res, err)
	}

	_, orgs, err := models.UserAndOrganizations(ctx, db, "user_1")
	if err != nil || len(orgs) != 1 || orgs[0].Slug != "acme" || orgs[0].Role != models.RoleAdmin {
		t.Fatalf("UserAndOrganizations = %+v, %v", orgs, err)
	}
	members, err := models.MembersOf(models.WithTenant(ctx, models.Tenant{OrgID: "org_1"}), db)
	if err != nil || len(members) != 1 || members[0].FirstName != "Ann" || members[0].Role != models.RoleAdmin {
		t.Fatalf("MembersOf = %+v, %v", members, err)
	}

	// Re-added in Clerk under a new id: the older row is replaced.
	readded := models.Membership{ID: "orgmem_2", OrganizationID: "org_1", UserID: "user_1", Role: models.RoleMember}
	if res, err := models.UpsertMembership(ctx, db, readded, t1.Add(time.Hour)); err != nil || res != models.Created {
		t.Fatalf("re-add = %v, %v", res, err)
	}
	// A late update of the old membership changes nothing.
	if res, err := models.UpsertMembership(ctx, db, m, t1.Add(time.Minute)); err != nil || res != models.Unchanged {
		t.Fatalf("late old update = %v, %v", res, err)
	}

	if ok, err := models.DeleteMembership(ctx, db, "orgmem_2", "org_1", "user_1"); err != nil || !ok {
		t.Fatalf("delete = %v, %v", ok, err)
	}
	// A create retried after the delete does not restore access.
	if res, err := models.UpsertMembership(ctx, db, readded, t1.Add(time.Hour)); err != nil || res != models.Unchanged {
		t.Fatalf("create after delete = %v, %v", res, err)
	}
	if _, err := models.MembershipFor(ctx, db, "org_1", "user_1"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("membership after delete: err = %v, want ErrNotFound", err)
	}
}

func TestOrganizationDeleteFreesSlug(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	ctx := context.Background()
	t1 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	if _, err := models.UpsertOrganization(ctx, db, models.Organization{ID: "org_1", Name: "Acme", Slug: "acme"}, t1); err != nil {
		t.Fatal(err)
	}
	mustOK(t, models.EnsureUser(ctx, db, models.User{ID: "user_1"}))
	if _, err := models.UpsertMembership(ctx, db, models.Membership{ID: "orgmem_1", OrganizationID: "org_1", UserID: "user_1", Role: "org:member"}, t1); err != nil {
		t.Fatal(err)
	}
	if _, err := models.DeleteOrganization(ctx, db, "org_1", t1.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := models.OrganizationBySlug(ctx, db, "acme"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("deleted org by slug: err = %v, want ErrNotFound", err)
	}
	if res, err := models.UpsertOrganization(ctx, db, models.Organization{ID: "org_2", Name: "Acme 2", Slug: "acme"}, t1); err != nil || res != models.Created {
		t.Fatalf("reuse slug = %v, %v", res, err)
	}
	if res, err := models.UpsertOrganization(ctx, db, models.Organization{ID: "org_1", Name: "Back", Slug: "back"}, t1.Add(time.Hour)); err != nil || res != models.Unchanged {
		t.Fatalf("update after delete = %v, %v", res, err)
	}
	if _, err := models.MembershipFor(ctx, db, "org_1", "user_1"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("membership of deleted org: err = %v", err)
	}
	o, err := models.OrganizationBySlug(ctx, db, "acme")
	if err != nil || o.ID != "org_2" {
		t.Fatalf("by slug = %+v, %v", o, err)
	}
}

func TestSessionRevocation(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	ctx := context.Background()
	mustOK(t, models.RevokeSession(ctx, db, "sess_1", "user_1", "revoked"))
	mustOK(t, models.RevokeSession(ctx, db, "sess_1", "user_1", "ended"))
	for id, want := range map[string]bool{"sess_1": true, "sess_2": false} {
		got, err := models.IsSessionRevoked(ctx, db, id)
		if err != nil || got != want {
			t.Errorf("IsSessionRevoked(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
}

func TestDefaultPermissions(t *testing.T) {
	t.Parallel()
	if got := models.DefaultPermissions("admin"); !slices.Contains(got, "org:sys_memberships:manage") || len(got) != 8 {
		t.Errorf("admin = %q", got)
	}
	if got := models.DefaultPermissions("basic_member"); !slices.Equal(got, []string{"org:sys_memberships:read", "org:projects:read", "org:projects:manage"}) {
		t.Errorf("member = %q", got)
	}
	if models.NormalizeRole("basic_member") != models.RoleMember || models.NormalizeRole("org:custom") != "org:custom" {
		t.Error("NormalizeRole")
	}
}

// TestRoleLabel: every page and message spells a role one way, legacy
// keys included.
func TestRoleLabel(t *testing.T) {
	t.Parallel()
	for role, want := range map[string]string{
		"org:admin": "Admin", "admin": "Admin", "org:member": "Member", "basic_member": "Member",
		"org:billing_manager": "Billing manager", "": "",
	} {
		if got := models.RoleLabel(role); got != want {
			t.Errorf("RoleLabel(%q) = %q, want %q", role, got, want)
		}
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMembershipGORMCreate(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	ctx := context.Background()
	mustOK(t, db.WithContext(ctx).Create(&models.User{ID: "user_1"}).Error)
	mustOK(t, db.WithContext(ctx).Create(&models.Organization{ID: "org_1", Slug: "acme"}).Error)
	mustOK(t, db.WithContext(ctx).Create(&models.Membership{ID: "orgmem_1", OrganizationID: "org_1", UserID: "user_1",
		Role: models.RoleMember, Permissions: models.StringArray{"org:projects:read"}}).Error)
	m, err := models.MembershipFor(ctx, db, "org_1", "user_1")
	if err != nil || !m.Has("org:projects:read") {
		t.Fatalf("MembershipFor = %+v, %v", m, err)
	}
}

// A membership update whose transaction began before a removal committed
// must not bring the membership back (a webhook racing a removal).
func TestMembershipUpdateRacingRemoval(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	ctx := context.Background()
	org, user := models.Organization{ID: "org_race", Name: "Race"}, models.User{ID: "user_race"}
	m := models.Membership{ID: "orgmem_race", OrganizationID: org.ID, UserID: user.ID, Role: models.RoleMember}
	if _, err := models.ApplyMembership(ctx, db, m, org, user, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}

	removal := db.Begin()
	defer removal.Rollback()
	if _, err := models.DeleteMembership(ctx, removal, m.ID, org.ID, user.ID); err != nil {
		t.Fatal(err)
	}
	update := make(chan error, 1)
	go func() {
		update <- db.Transaction(func(tx *gorm.DB) error {
			m.Role = models.RoleAdmin
			_, err := models.ApplyMembership(ctx, tx, m, org, user, time.Now())
			return err
		})
	}()
	// Commit the removal only once the update is blocked behind it.
	testenv.Eventually(t, "the update to wait for the removal", func() bool {
		var waiting int
		db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		return waiting > 0
	})
	if err := removal.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-update; err != nil {
		t.Fatal(err)
	}
	if got, err := models.MembershipFor(ctx, db, org.ID, user.ID); err == nil {
		t.Fatalf("the removed membership is back: %+v", got)
	}
}
