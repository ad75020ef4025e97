package models_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"example.com/saas/internal/live"
	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

const (
	benchOrg  = "org_bench"
	benchUser = "user_bench"
)

// benchTenant returns a database with the guard registered, one
// organization whose admin is benchUser, n projects written with SQL, and
// a context carrying the tenant.
func benchTenant(b *testing.B, n int) (*gorm.DB, context.Context) {
	b.Helper()
	db, _ := testenv.DB(b)
	if err := models.RegisterTenantGuard(db); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	at := time.Now()
	if err := models.EnsureUser(ctx, db, models.User{ID: benchUser, Email: "bench@example.com", FirstName: "Bench"}); err != nil {
		b.Fatal(err)
	}
	if _, err := models.UpsertOrganization(ctx, db, models.Organization{ID: benchOrg, Name: "Bench", Slug: "bench"}, at); err != nil {
		b.Fatal(err)
	}
	m := models.Membership{ID: "mem_bench", OrganizationID: benchOrg, UserID: benchUser, Role: models.RoleAdmin}
	if _, err := models.UpsertMembership(ctx, db, m, at); err != nil {
		b.Fatal(err)
	}
	// As the superuser (no row-level security): fixture rows, not app writes.
	err := db.Exec(`INSERT INTO projects (organization_id, name, description, created_at, updated_at)
SELECT ?, format('Project %s', g), format('Sample project %s: planning, tasks and notes.', g),
       now() - make_interval(mins => g), now() - make_interval(mins => g)
FROM generate_series(1, ?) g`, benchOrg, n).Error
	if err != nil {
		b.Fatal(err)
	}
	return db, models.WithTenant(ctx, models.Tenant{OrgID: benchOrg, Slug: "bench", UserID: benchUser, Role: models.RoleAdmin})
}

// BenchmarkInTenant is the tenant transaction alone: BEGIN, the role and
// app.current_org_id in one statement, COMMIT (three round trips).
func BenchmarkInTenant(b *testing.B) {
	db, ctx := benchTenant(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := models.InTenant(ctx, db, testenv.TenantRole, func(*gorm.DB) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListProjects is the project list as the list page and the API
// run it: a page of 20 in the tenant transaction ("tenant_tx"), and the
// query alone inside one open transaction ("query_only", what the GORM
// scope and the scan cost on top of Postgres).
func BenchmarkListProjects(b *testing.B) {
	db, ctx := benchTenant(b, 25)
	list := func(tx *gorm.DB) error {
		page, err := models.ListProjects(ctx, tx, models.ListOptions{})
		if err == nil && len(page.Items) != 20 {
			b.Fatalf("listed %d projects, want 20", len(page.Items))
		}
		return err
	}
	b.Run("tenant_tx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := models.InTenant(ctx, db, testenv.TenantRole, list); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("query_only", func(b *testing.B) {
		err := models.InTenant(ctx, db, testenv.TenantRole, func(tx *gorm.DB) error {
			b.ReportAllocs()
			for b.Loop() {
				if err := list(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("tenant_tx_parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := models.InTenant(ctx, db, testenv.TenantRole, list); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkRequestLookups are the other queries of an authenticated tenant
// page besides the list: revocation, membership, and the layout's user and
// organization switcher.
func BenchmarkRequestLookups(b *testing.B) {
	db, ctx := benchTenant(b, 0)
	dir := live.NewDirectory(db)
	dir.SetLive(true)
	cases := []struct {
		name string
		fn   func() error
	}{
		{"session_revoked", func() error { _, err := models.IsSessionRevoked(ctx, db, "sess_bench"); return err }},
		{"tenant_for_slug", func() error { _, err := models.TenantForSlug(ctx, db, "bench", benchUser); return err }},
		{"get_user", func() error { _, err := models.GetUser(ctx, db, benchUser); return err }},
		{"user_and_organizations", func() error { _, _, err := models.UserAndOrganizations(ctx, db, benchUser); return err }},
		// What requests use: the two lookups above from the directory's
		// memory (live, so only the first call queries).
		{"directory_tenant_for_slug", func() error { _, err := dir.TenantForSlug(ctx, "bench", benchUser); return err }},
		{"directory_user_and_organizations", func() error { _, _, err := dir.UserAndOrganizations(ctx, benchUser); return err }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
