package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// lastOrgFixture makes user_1 a member of org_a (slug a) and org_b (slug b).
func lastOrgFixture(t *testing.T, db *gorm.DB) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	mustOK(t, ignoreResult(models.UpsertUser(ctx, db, models.User{ID: "user_1", Email: "one@example.com", FirstName: "One"}, at)))
	for _, id := range []string{"a", "b"} {
		mustOK(t, ignoreResult(models.UpsertOrganization(ctx, db, models.Organization{ID: "org_" + id, Name: id, Slug: models.NullableText(id)}, at)))
		m := models.Membership{ID: "orgmem_" + id, OrganizationID: "org_" + id, UserID: "user_1", Role: models.RoleMember}
		mustOK(t, ignoreResult(models.ApplyMembership(ctx, db, m, models.Organization{}, models.User{}, at)))
	}
}

func ignoreResult(_ models.UpsertResult, err error) error { return err }

// rowVersion is the row's xmin: it changes with every write of the row.
func rowVersion(t *testing.T, db *gorm.DB, userID string) string {
	t.Helper()
	var v string
	mustOK(t, db.Raw("SELECT xmin::text FROM users WHERE id = ?", userID).Scan(&v).Error)
	return v
}

// The last organization is recorded, a repeat writes nothing, Clerk's sync
// of the user leaves it alone, and it is found only while the user is a member.
func TestLastOrganizationRecordedAndKept(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	ctx := context.Background()
	lastOrgFixture(t, db)

	if _, err := models.LastOrganizationSlug(ctx, db, "user_1"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("before any visit: err = %v, want ErrNotFound", err)
	}
	mustOK(t, models.RecordLastOrganization(ctx, db, "user_1", "org_b"))
	if slug, err := models.LastOrganizationSlug(ctx, db, "user_1"); err != nil || slug != "b" {
		t.Fatalf("after org_b = %q, %v; want b", slug, err)
	}
	before := rowVersion(t, db, "user_1")
	mustOK(t, models.RecordLastOrganization(ctx, db, "user_1", "org_b"))
	if after := rowVersion(t, db, "user_1"); after != before {
		t.Errorf("recording the same organization rewrote the row (xmin %s → %s)", before, after)
	}

	// user.updated from Clerk: a newer version of the user's own fields.
	res, err := models.UpsertUser(ctx, db, models.User{ID: "user_1", Email: "one@example.com", FirstName: "Renamed"}, time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || res != models.Updated {
		t.Fatalf("user.updated = %v, %v; want updated", res, err)
	}
	if u, err := models.GetUser(ctx, db, "user_1"); err != nil || u.LastOrganizationID == nil || *u.LastOrganizationID != "org_b" || u.FirstName != "Renamed" {
		t.Fatalf("after the sync: %+v, %v; want the new name and org_b kept", u, err)
	}

	mustOK(t, db.Exec("DELETE FROM memberships WHERE id = 'orgmem_b'").Error)
	if _, err := models.LastOrganizationSlug(ctx, db, "user_1"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("after leaving org_b: err = %v, want ErrNotFound", err)
	}
	// A user not synced yet: nothing to write, and no error.
	mustOK(t, models.RecordLastOrganization(ctx, db, "user_missing", "org_a"))
}

// Two requests of the same user in two organizations at once (two tabs):
// neither fails, and the column holds one of them.
func TestLastOrganizationConcurrentTabs(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	ctx := context.Background()
	lastOrgFixture(t, db)
	for range 20 {
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, org := range []string{"org_a", "org_b"} {
			wg.Go(func() { errs <- models.RecordLastOrganization(ctx, db, "user_1", org) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			mustOK(t, err)
		}
		u, err := models.GetUser(ctx, db, "user_1")
		mustOK(t, err)
		if u.LastOrganizationID == nil || (*u.LastOrganizationID != "org_a" && *u.LastOrganizationID != "org_b") {
			t.Fatalf("last organization = %v, want org_a or org_b", u.LastOrganizationID)
		}
	}
}

// Recording the last organization does not notify the directory channel:
// every instance's copy would start over on each organization switch. A
// user's deletion still does.
func TestLastOrganizationIsNotADirectoryChange(t *testing.T) {
	t.Parallel()
	db, conn := directoryListener(t)
	ctx := context.Background()

	mustOK(t, models.RecordLastOrganization(ctx, db, "user_1", "org_a"))
	wait, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	n, err := conn.WaitForNotification(wait)
	cancel()
	if err == nil {
		t.Fatalf("recording the last organization notified %s (%s)", n.Channel, n.Payload)
	}

	_, err = models.DeleteUser(ctx, db, "user_1", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	mustOK(t, err)
	wait, cancel = context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if n, err := conn.WaitForNotification(wait); err != nil || n.Payload != "users" {
		t.Fatalf("a deleted user: notification %+v, %v; want users", n, err)
	}
}
