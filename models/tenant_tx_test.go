package models_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// The tenant transaction's one-message BEGIN takes the organization id as a
// literal: whatever the id holds, the transaction runs as the tenant role
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
		var role, org string
		err := models.InTenant(ctx, db, testenv.TenantRole, func(tx *gorm.DB) error {
			return tx.Raw("SELECT current_setting('role'), current_setting('app.current_org_id')").Row().Scan(&role, &org)
		})
		if err != nil {
			t.Fatalf("%q: %v", orgID, err)
		}
		if role != testenv.TenantRole || org != orgID {
			t.Errorf("%q: ran as %q in %q", orgID, role, org)
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
