package models_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// The tenant transaction's one-message BEGIN (and a read-only one's
// prelude) takes the organization id as a literal: whatever the id holds, the transaction runs as the tenant role
// with exactly that id set, and nothing else runs. A NUL byte, which no
// Postgres text can hold, fails the transaction instead.
func TestInTenantTakesHostileOrgIDsLiterally(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	if err := models.RegisterTenantGuard(db); err != nil {
		t.Fatal(err)
	}
	for _, orgID := range []string{
		"org_plain",
		"org_'quoted'",
		`org_\back\slash`,
		"org_x', true); DROP TABLE projects; --",
		"org_$1_$2",
		"org_日本",
	} {
		ctx := models.WithTenant(context.Background(), models.Tenant{OrgID: orgID, UserID: "user_x"})
		for _, ctx := range []context.Context{ctx, models.ReadOnly(ctx)} {
			var role, org string
			err := models.InTenant(ctx, db, testenv.TenantRole, func(tx *gorm.DB) error {
				return tx.Raw("SELECT current_setting('role'), current_setting('app.current_org_id')").Row().Scan(&role, &org)
			})
			if err != nil {
				t.Fatalf("%q (read only: %v): %v", orgID, models.IsReadOnly(ctx), err)
			}
			if role != testenv.TenantRole || org != orgID {
				t.Errorf("%q (read only: %v): ran as %q in %q", orgID, models.IsReadOnly(ctx), role, org)
			}
		}
	}
	var projects bool
	if err := db.Raw("SELECT to_regclass('projects') IS NOT NULL").Row().Scan(&projects); err != nil || !projects {
		t.Fatalf("projects table after hostile ids: exists=%v, %v", projects, err)
	}
	ctx := models.WithTenant(context.Background(), models.Tenant{OrgID: "org_\x00nul", UserID: "user_x"})
	if err := models.InTenant(ctx, db, testenv.TenantRole, func(*gorm.DB) error { return nil }); err == nil {
		t.Error("an organization id with a NUL byte: no error")
	}
}

// A read-only tenant transaction holds no transaction open: every
// statement goes with the tenant's settings in one round trip of its own,
// so between statements its backend is idle, not idle in transaction, and
// a read-write one's is. Each statement still runs as the tenant, a nested
// InTenant's as the inner tenant, and the outer one's after it as before.
func TestReadOnlyTenantTransactionHoldsNothingOpen(t *testing.T) {
	t.Parallel()
	db, ctxA, ctxB := tenantFixture(t)
	mustProject(t, ctxA, db, "A's")
	mustProject(t, ctxB, db, "B's")
	orgOf := func(ctx context.Context) string { tn, _ := models.TenantFrom(ctx); return tn.OrgID }
	openTransactions := func() (n int64) {
		t.Helper()
		if err := db.Raw(`SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Row().Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	names := func(ctx context.Context, tx *gorm.DB) []string {
		t.Helper()
		page, err := models.ListProjects(ctx, tx, models.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range page.Items {
			out = append(out, p.Name)
		}
		return out
	}
	for _, tt := range []struct {
		ctx      context.Context
		wantOpen int64
	}{{models.ReadOnly(ctxA), 0}, {ctxA, 1}} {
		err := models.InTenant(tt.ctx, db, testenv.TenantRole, func(tx *gorm.DB) error {
			if got := names(ctxA, tx); len(got) != 1 || got[0] != "A's" {
				t.Errorf("A sees %v", got)
			}
			if n := openTransactions(); n != tt.wantOpen {
				t.Errorf("read only %v: %d transactions open between statements, want %d", models.IsReadOnly(tt.ctx), n, tt.wantOpen)
			}
			if !models.IsReadOnly(tt.ctx) {
				return nil
			}
			err := models.InTenant(models.ReadOnly(ctxB), tx, testenv.TenantRole, func(tx *gorm.DB) error {
				var org string
				if err := tx.Raw("SELECT current_setting('app.current_org_id')").Row().Scan(&org); err != nil || org != orgOf(ctxB) {
					t.Errorf("nested: org %q, %v", org, err)
				}
				if got := names(ctxB, tx); len(got) != 1 || got[0] != "B's" {
					t.Errorf("nested B sees %v", got)
				}
				return nil
			})
			if got := names(ctxA, tx); len(got) != 1 || got[0] != "A's" {
				t.Errorf("A after the nested InTenant sees %v", got)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Inside a read-only tenant transaction, GORM's Begin fails rather than
// open a transaction whose statements would carry none of the tenant's
// settings, and a nested Transaction's statements still carry them.
func TestReadOnlyTenantTransactionRefusesNestedTransactions(t *testing.T) {
	t.Parallel()
	db, ctxA, _ := tenantFixture(t)
	err := models.InTenant(models.ReadOnly(ctxA), db, testenv.TenantRole, func(tx *gorm.DB) error {
		if inner := tx.Begin(); inner.Error == nil {
			var role string
			inner.Raw("SELECT current_user").Row().Scan(&role)
			inner.Rollback()
			t.Errorf("Begin opened a transaction, running as %q", role)
		}
		return tx.Transaction(func(inner *gorm.DB) error {
			var role, org string
			if err := inner.Raw("SELECT current_user, current_setting('app.current_org_id')").Row().Scan(&role, &org); err != nil {
				return err
			}
			if tn, _ := models.TenantFrom(ctxA); role != testenv.TenantRole || org != tn.OrgID {
				t.Errorf("a nested Transaction ran as %q in %q", role, org)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
