package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"example.com/saas/internal/database"
	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// joinFixture is a fresh database with organization A (its admin userA), a
// handle on it with a pool of one connection (as DB_MAX_CONNS=1 runs), and
// A's tenant context; both handles have the tenant guard.
func joinFixture(t *testing.T) (db, one *gorm.DB, ctxA context.Context) {
	t.Helper()
	db, url := testenv.DB(t)
	one, err := database.Open(context.Background(), url, database.PoolConfig{MaxOpen: 1, MaxIdle: 1, MaxLifetime: time.Hour, MaxIdleTime: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(one) })
	for _, h := range []*gorm.DB{db, one} {
		if err := models.RegisterTenantGuard(h); err != nil {
			t.Fatal(err)
		}
	}
	ctx, at := context.Background(), time.Now()
	if err := models.EnsureUser(ctx, db, models.User{ID: userA, Email: userA + "@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := models.UpsertOrganization(ctx, db, models.Organization{ID: orgA, Name: "org-a", Slug: "org-a"}, at); err != nil {
		t.Fatal(err)
	}
	m := models.Membership{ID: "mem_" + userA, OrganizationID: orgA, UserID: userA, Role: models.RoleAdmin}
	if _, err := models.UpsertMembership(ctx, db, m, at); err != nil {
		t.Fatal(err)
	}
	return db, one, models.WithTenant(ctx, models.Tenant{OrgID: orgA, Slug: "org-a", UserID: userA, Role: models.RoleAdmin})
}

// sessionState is the transaction's current role and tenant setting.
func sessionState(t *testing.T, tx *gorm.DB) (role, org string) {
	t.Helper()
	if err := tx.Raw("SELECT current_user, coalesce(current_setting('app.current_org_id', true), '')").Row().Scan(&role, &org); err != nil {
		t.Fatal(err)
	}
	return role, org
}

// TestInTenantJoinsOuterTransaction: InTenant given an open transaction runs
// fn in it (not on a second connection): the audit row goes when the outer
// work rolls back and stays when it commits; fn runs as the tenant, and the
// outer transaction leaves InTenant as it entered, so its own writes to
// the synced tables still work.
func TestInTenantJoinsOuterTransaction(t *testing.T) {
	t.Parallel()
	db, _, ctxA := joinFixture(t)
	audit := func(action string) func(tx *gorm.DB) error {
		return func(tx *gorm.DB) error { return models.RecordAudit(ctxA, tx, action, "thing", "t1", action) }
	}

	outerFailed := errors.New("the outer work failed")
	err := db.WithContext(ctxA).Transaction(func(tx *gorm.DB) error {
		if err := models.InTenant(ctxA, tx, testenv.TenantRole, audit("test.rolled_back")); err != nil {
			return err
		}
		return outerFailed
	})
	if !errors.Is(err, outerFailed) {
		t.Fatalf("outer transaction: err = %v, want the outer failure", err)
	}
	if n := rawCount(t, db, "audit_events", orgA); n != 0 {
		t.Errorf("after the outer rollback: %d audit rows, want 0 (InTenant did not join the transaction)", n)
	}

	err = db.WithContext(ctxA).Transaction(func(tx *gorm.DB) error {
		outerRole, outerOrg := sessionState(t, tx)
		err := models.InTenant(ctxA, tx, testenv.TenantRole, func(tx *gorm.DB) error {
			if role, org := sessionState(t, tx); role != testenv.TenantRole || org != orgA {
				t.Errorf("inside the joined InTenant: %s in %q, want %s in %s", role, org, testenv.TenantRole, orgA)
			}
			return audit("test.committed")(tx)
		})
		if err != nil {
			return err
		}
		if role, org := sessionState(t, tx); role != outerRole || org != outerOrg {
			t.Errorf("after the joined InTenant: %s in %q, want %s in %q as before", role, org, outerRole, outerOrg)
		}
		// The outer work still writes the synced tables as the app's role.
		_, err = models.UpsertOrganization(ctxA, tx, models.Organization{ID: orgA, Name: "renamed", Slug: "org-a"}, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := rawCount(t, db, "audit_events", orgA); n != 1 {
		t.Errorf("after the commit: %d audit rows, want 1", n)
	}

	// fn's failure undoes fn's work only; the outer transaction goes on.
	fnFailed := errors.New("fn failed")
	err = db.WithContext(ctxA).Transaction(func(tx *gorm.DB) error {
		err := models.InTenant(ctxA, tx, testenv.TenantRole, func(tx *gorm.DB) error {
			if err := audit("test.undone")(tx); err != nil {
				return err
			}
			return fnFailed
		})
		if !errors.Is(err, fnFailed) {
			t.Errorf("InTenant: err = %v, want fn's", err)
		}
		if role, org := sessionState(t, tx); role == testenv.TenantRole || org != "" {
			t.Errorf("after a failed joined InTenant: %s in %q, want the outer role and no tenant", role, org)
		}
		return models.InTenant(ctxA, tx, testenv.TenantRole, audit("test.after_failure"))
	})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	db.Raw("SELECT action FROM audit_events WHERE organization_id = ? ORDER BY action", orgA).Scan(&actions)
	if len(actions) != 2 || actions[0] != "test.after_failure" || actions[1] != "test.committed" {
		t.Errorf("audit = %v, want test.after_failure and test.committed", actions)
	}
}

// TestInTenantJoinedOnPoolOfOne: the joined InTenant needs no second
// connection, so it works with a pool of one (DB_MAX_CONNS=1) well within a
// short deadline instead of waiting for a connection until it.
func TestInTenantJoinedOnPoolOfOne(t *testing.T) {
	t.Parallel()
	db, one, ctxA := joinFixture(t)
	ctx, cancel := context.WithTimeout(ctxA, 3*time.Second)
	defer cancel()
	start := time.Now()
	err := one.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return models.InTenant(ctx, tx, testenv.TenantRole, func(tx *gorm.DB) error {
			return models.RecordAudit(ctx, tx, "test.one_connection", "thing", "t1", "one connection")
		})
	})
	if err != nil {
		t.Fatalf("outer transaction with InTenant on a pool of one: %v (after %v)", err, time.Since(start).Round(time.Millisecond))
	}
	if n := rawCount(t, db, "audit_events", orgA); n != 1 {
		t.Errorf("%d audit rows, want 1", n)
	}
}
