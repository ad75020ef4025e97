package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// The tenant's member queries read only the organization in the context,
// and without one they fail closed, as the tenant scope does.
func TestMembersOfTheTenantOnly(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	ctx := context.Background()
	at := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, m := range []models.Membership{
		{ID: "orgmem_a1", OrganizationID: "org_a", UserID: "user_1", Role: models.RoleAdmin},
		{ID: "orgmem_a2", OrganizationID: "org_a", UserID: "user_2", Role: models.RoleMember},
		{ID: "orgmem_b3", OrganizationID: "org_b", UserID: "user_3", Role: models.RoleAdmin},
	} {
		if _, err := models.ApplyMembership(ctx, db, m, models.Organization{Name: m.OrganizationID}, models.User{FirstName: m.UserID}, at); err != nil {
			t.Fatal(err)
		}
	}
	inA := models.WithTenant(ctx, models.Tenant{OrgID: "org_a", UserID: "user_1"})

	members, err := models.MembersOf(inA, db)
	if err != nil || len(members) != 2 || members[0].UserID != "user_1" || members[1].DisplayName() != "user_2" {
		t.Fatalf("MembersOf(org_a) = %+v, %v", members, err)
	}
	if m, err := models.MemberOf(inA, db, "user_2"); err != nil || m.Role != models.RoleMember {
		t.Fatalf("MemberOf(user_2) = %+v, %v", m, err)
	}
	if _, err := models.MemberOf(inA, db, "user_3"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("MemberOf(another organization's member): err = %v, want ErrNotFound", err)
	}
	if n, err := models.CountAdmins(inA, db); err != nil || n != 1 {
		t.Fatalf("CountAdmins(org_a) = %d, %v", n, err)
	}
	if err := models.LockAdmins(inA, db); !errors.Is(err, models.ErrNotInTransaction) {
		t.Fatalf("LockAdmins outside a transaction: err = %v", err)
	}
	if err := db.Transaction(func(tx *gorm.DB) error { return models.LockAdmins(inA, tx) }); err != nil {
		t.Fatalf("LockAdmins in a transaction: %v", err)
	}

	calls := map[string]func() error{
		"MembersOf":   func() error { _, err := models.MembersOf(ctx, db); return err },
		"MemberOf":    func() error { _, err := models.MemberOf(ctx, db, "user_1"); return err },
		"CountAdmins": func() error { _, err := models.CountAdmins(ctx, db); return err },
		"LockAdmins":  func() error { return db.Transaction(func(tx *gorm.DB) error { return models.LockAdmins(ctx, tx) }) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, models.ErrNoTenant) {
			t.Errorf("%s without a tenant: err = %v, want ErrNoTenant", name, err)
		}
	}
}
