package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// Two organizations with one admin each.
const (
	orgA, userA = "org_tenant_a", "user_tenant_a"
	orgB, userB = "org_tenant_b", "user_tenant_b"
)

// tenantFixture returns a fresh database with the tenant guard registered,
// organizations A and B, and a context for each.
func tenantFixture(t *testing.T) (db *gorm.DB, ctxA, ctxB context.Context) {
	t.Helper()
	db, _, ctxA, ctxB = tenantFixtureURL(t)
	return db, ctxA, ctxB
}

// tenantFixtureURL is tenantFixture with the database's URL.
func tenantFixtureURL(t *testing.T) (db *gorm.DB, dbURL string, ctxA, ctxB context.Context) {
	t.Helper()
	db, dbURL = testenv.DB(t)
	if err := models.RegisterTenantGuard(db); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Now()
	for _, f := range []struct{ org, slug, user string }{{orgA, "org-a", userA}, {orgB, "org-b", userB}} {
		if err := models.EnsureUser(ctx, db, models.User{ID: f.user, Email: f.user + "@example.com"}); err != nil {
			t.Fatal(err)
		}
		if _, err := models.UpsertOrganization(ctx, db, models.Organization{ID: f.org, Name: f.slug, Slug: models.NullableText(f.slug)}, at); err != nil {
			t.Fatal(err)
		}
		m := models.Membership{ID: "mem_" + f.user, OrganizationID: f.org, UserID: f.user, Role: models.RoleAdmin}
		if _, err := models.UpsertMembership(ctx, db, m, at); err != nil {
			t.Fatal(err)
		}
	}
	ctxA = models.WithTenant(ctx, models.Tenant{OrgID: orgA, Slug: "org-a", UserID: userA, Role: models.RoleAdmin})
	ctxB = models.WithTenant(ctx, models.Tenant{OrgID: orgB, Slug: "org-b", UserID: userB, Role: models.RoleAdmin})
	return db, dbURL, ctxA, ctxB
}

func mustProject(t *testing.T, ctx context.Context, db *gorm.DB, name string) *models.Project {
	t.Helper()
	p, err := models.CreateProject(ctx, db, models.ProjectFields{Name: name})
	if err != nil {
		t.Fatalf("create project %q: %v", name, err)
	}
	return p
}

// rawCount counts rows of table per organization with the connection's own
// rights (the superuser in tests: no row-level security).
func rawCount(t *testing.T, db *gorm.DB, table, orgID string) int64 {
	t.Helper()
	var n int64
	if err := db.Raw("SELECT count(*) FROM "+table+" WHERE organization_id = ?", orgID).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTenantCan(t *testing.T) {
	t.Parallel()
	member := models.Tenant{OrgID: "o", Role: models.RoleMember, Permissions: models.DefaultPermissions(models.RoleMember)}
	admin := models.Tenant{OrgID: "o", Role: "admin"}
	tests := []struct {
		name string
		t    models.Tenant
		perm string
		want bool
	}{
		{"member reads projects", member, models.PermProjectsManage, true},
		{"member may not manage members", member, models.PermMembershipsManage, false},
		{"member may not manage settings", member, models.PermProfileManage, false},
		{"legacy admin has every permission", admin, "org:anything:at_all", true},
	}
	for _, tt := range tests {
		if got := tt.t.Can(tt.perm); got != tt.want {
			t.Errorf("%s: Can(%s) = %v, want %v", tt.name, tt.perm, got, tt.want)
		}
	}
	if _, ok := models.TenantFrom(context.Background()); ok {
		t.Error("TenantFrom(empty) ok = true")
	}
}

// Wall 1 alone: on the superuser connection, with no role switch and no
// app.current_org_id, only the GORM scope keeps the tenants apart.
func TestWallScopeFiltersAndStamps(t *testing.T) {
	t.Parallel()
	db, ctxA, ctxB := tenantFixture(t)
	a := mustProject(t, ctxA, db, "Alpha")
	b := mustProject(t, ctxB, db, "Bravo")

	// Stamped from the context: an organization_id in the input is ignored.
	forged := models.Project{ID: "7b7f3ac2-9a59-4b77-9c1e-1f0c4a2b9f10", OrganizationID: orgB, Name: "Forged", Status: "active"}
	if err := db.WithContext(ctxA).Create(&forged).Error; err != nil {
		t.Fatal(err)
	}
	if forged.OrganizationID != orgA || rawCount(t, db, "projects", orgA) != 2 || rawCount(t, db, "projects", orgB) != 1 {
		t.Fatalf("create stamped %q; rows A=%d B=%d, want A's id and 2/1", forged.OrganizationID, rawCount(t, db, "projects", orgA), rawCount(t, db, "projects", orgB))
	}

	page, err := models.ListProjects(ctxA, db, models.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range page.Items {
		if p.OrganizationID != orgA {
			t.Errorf("A's list holds %s of %s", p.Name, p.OrganizationID)
		}
	}
	if len(page.Items) != 2 {
		t.Errorf("A's list has %d projects, want 2", len(page.Items))
	}
	if _, err := models.GetProject(ctxA, db, b.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("A gets B's project: err = %v, want ErrNotFound", err)
	}
	if n, _ := models.CountProjects(ctxB, db); n != 1 {
		t.Errorf("B counts %d projects, want 1", n)
	}

	// Writes through the scope cannot reach B's rows or move a row to B.
	if _, err := models.UpdateProject(ctxA, db, b.ID, models.ProjectFields{Name: "Hijacked", Status: "active"}); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("A updates B's project: err = %v", err)
	}
	res := db.WithContext(ctxA).Model(&models.Project{}).Where("id = ?", b.ID).Update("name", "Hijacked")
	if res.Error != nil || res.RowsAffected != 0 {
		t.Errorf("scoped update of B's row: affected %d, %v; want 0", res.RowsAffected, res.Error)
	}
	res = db.WithContext(ctxA).Model(&models.Project{}).Where("id = ?", a.ID).Updates(map[string]any{"organization_id": orgB, "name": "Moved?"})
	if res.Error != nil || rawCount(t, db, "projects", orgB) != 1 {
		t.Errorf("update moving a row to B: %v; B has %d rows, want 1", res.Error, rawCount(t, db, "projects", orgB))
	}
	if err := models.DeleteProject(ctxA, db, b.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("A deletes B's project: err = %v", err)
	}
	if res := db.WithContext(ctxA).Where("1 = 1").Delete(&models.Project{}); res.Error != nil || rawCount(t, db, "projects", orgB) != 1 {
		t.Errorf("A's delete-all: %v; B has %d rows, want 1", res.Error, rawCount(t, db, "projects", orgB))
	}
}

// Wall 2 alone: a tenant-owned query with no tenant in its context fails
// before reaching the database.
func TestWallGuardRefusesWithoutTenant(t *testing.T) {
	t.Parallel()
	db, ctxA, _ := tenantFixture(t)
	a := mustProject(t, ctxA, db, "Alpha")
	bg := db.WithContext(context.Background())
	var ps []models.Project
	var p models.Project
	var n int64
	var names []string
	ops := map[string]func() error{
		"Find":    func() error { return bg.Find(&ps).Error },
		"First":   func() error { return bg.First(&p).Error },
		"Take":    func() error { return bg.Where("id = ?", a.ID).Take(&p).Error },
		"Count":   func() error { return bg.Model(&models.Task{}).Count(&n).Error },
		"Pluck":   func() error { return bg.Model(&models.Project{}).Pluck("name", &names).Error },
		"Create":  func() error { return bg.Create(&models.AuditEvent{ID: a.ID, Action: "x"}).Error },
		"Update":  func() error { return bg.Model(&models.Project{}).Where("id = ?", a.ID).Update("name", "x").Error },
		"Updates": func() error { return bg.Model(a).Updates(map[string]any{"name": "x"}).Error },
		"Save":    func() error { return bg.Save(a).Error },
		"Delete":  func() error { return bg.Delete(&models.Project{}, "id = ?", a.ID).Error },
		"Rows": func() error {
			rows, err := bg.Model(&models.Project{}).Rows()
			if rows != nil {
				rows.Close()
			}
			return err
		},
		"InTenant": func() error {
			return models.InTenant(context.Background(), db, testenv.TenantRole, func(*gorm.DB) error { return nil })
		},
		"model func": func() error {
			_, err := models.ListProjects(context.Background(), db, models.ListOptions{})
			return err
		},
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, models.ErrNoTenant) {
			t.Errorf("%s without a tenant: err = %v, want ErrNoTenant", name, err)
		}
	}
	if got := rawCount(t, db, "projects", orgA); got != 1 {
		t.Errorf("projects of A = %d after refused writes, want 1", got)
	}
	var name string
	db.Raw("SELECT name FROM projects WHERE id = ?", a.ID).Scan(&name)
	if name != "Alpha" {
		t.Errorf("name = %q after refused updates, want Alpha", name)
	}

	// Untouched: other models, and a handle without the guard is refused by InTenant.
	if _, err := models.GetUser(context.Background(), db, userA); err != nil {
		t.Errorf("synced table read without a tenant: %v", err)
	}
	plain, _ := testenv.DB(t)
	err := models.InTenant(ctxA, plain, testenv.TenantRole, func(*gorm.DB) error { return nil })
	if !errors.Is(err, models.ErrGuardMissing) {
		t.Errorf("InTenant without the guard: err = %v, want ErrGuardMissing", err)
	}
}

// Wall 3 alone: raw SQL, which neither the scope nor the guard can see, in
// the tenant role's transaction, on a superuser connection.
func TestWallRowLevelSecurity(t *testing.T) {
	t.Parallel()
	db, ctxA, ctxB := tenantFixture(t)
	mustProject(t, ctxA, db, "Alpha")
	b := mustProject(t, ctxB, db, "Bravo")
	var super bool
	db.Raw("SELECT rolsuper FROM pg_roles WHERE rolname = session_user").Scan(&super)
	if !super {
		t.Log("the test database user is not a superuser; RLS is still checked, the superuser case is not")
	}

	// The role switched, no organization set: no tenant rows at all.
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT set_config('role', ?, true)", testenv.TenantRole).Error; err != nil {
			return err
		}
		var n int64
		tx.Raw("SELECT count(*) FROM projects").Scan(&n)
		var user string
		tx.Raw("SELECT current_user").Scan(&user)
		if n != 0 || user != testenv.TenantRole {
			t.Errorf("no org set, as %s: %d projects visible, want 0 as %s", user, n, testenv.TenantRole)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	err = models.InTenant(ctxA, db, testenv.TenantRole, func(tx *gorm.DB) error {
		var orgs []string
		if err := tx.Raw("SELECT organization_id FROM projects UNION ALL SELECT organization_id FROM audit_events").Scan(&orgs).Error; err != nil {
			return err
		}
		for _, o := range orgs {
			if o != orgA {
				t.Errorf("org A's transaction sees a row of %s", o)
			}
		}
		if len(orgs) != 2 {
			t.Errorf("org A sees %d rows, want its project and audit event", len(orgs))
		}
		res := tx.Exec("UPDATE projects SET name = 'Hijacked' WHERE id = ?", b.ID)
		if res.Error != nil || res.RowsAffected != 0 {
			t.Errorf("raw UPDATE of B's row: affected %d, %v; want 0", res.RowsAffected, res.Error)
		}
		if res := tx.Exec("DELETE FROM projects WHERE organization_id = ?", orgB); res.Error != nil || res.RowsAffected != 0 {
			t.Errorf("raw DELETE of B's rows: affected %d, %v; want 0", res.RowsAffected, res.Error)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	err = models.InTenant(ctxA, db, testenv.TenantRole, func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO projects (organization_id, name) VALUES (?, 'Planted')", orgB).Error
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("raw INSERT into B from A: err = %v, want a row-level security violation (42501)", err)
	}
	err = models.InTenant(ctxA, db, testenv.TenantRole, func(tx *gorm.DB) error {
		return tx.Exec("UPDATE projects SET organization_id = ? WHERE organization_id = ?", orgB, orgA).Error
	})
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("raw UPDATE moving A's rows to B: err = %v, want 42501", err)
	}
	if got := rawCount(t, db, "projects", orgB); got != 1 {
		t.Errorf("B has %d projects, want 1", got)
	}
	var name string
	db.Raw("SELECT name FROM projects WHERE id = ?", b.ID).Scan(&name)
	if name != "Bravo" {
		t.Errorf("B's project renamed to %q", name)
	}

	// The audit log is append-only for tenants.
	err = models.InTenant(ctxA, db, testenv.TenantRole, func(tx *gorm.DB) error {
		return tx.Exec("DELETE FROM audit_events").Error
	})
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("tenant deletes audit events: err = %v, want permission denied", err)
	}
}
