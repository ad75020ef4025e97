package live_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm"

	"example.com/saas/internal/live"
	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// seedDirectory writes one user, member of one organization.
func seedDirectory(t *testing.T, db *gorm.DB) {
	t.Helper()
	err := db.Exec(`
INSERT INTO users (id, email, first_name) VALUES ('user_d', 'd@example.com', 'Dana');
INSERT INTO organizations (id, name, slug) VALUES ('org_d', 'Dunder', 'dunder');
INSERT INTO memberships (id, organization_id, user_id, role, permissions)
VALUES ('orgmem_d', 'org_d', 'user_d', 'org:member', '{org:projects:read}');`).Error
	if err != nil {
		t.Fatal(err)
	}
}

// silently runs sql with the tables' triggers off, so no notification is
// sent: what the Directory answers afterwards shows where it answers from.
func silently(t *testing.T, db *gorm.DB, sql string) {
	t.Helper()
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL session_replication_role = replica").Error; err != nil {
			return err
		}
		return tx.Exec(sql).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func startListener(t *testing.T, db *gorm.DB, dbURL string, followers ...live.Follower) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	l := live.NewListener(db, connectTo(dbURL), slog.New(slog.DiscardHandler), followers...)
	l.Heartbeat = 50 * time.Millisecond
	go l.Run(ctx)
}

// While listening, lookups come from memory; any committed change to
// users, organizations or memberships, by any writer, drops the copy once
// its notification arrives, so a removed member is refused.
func TestDirectoryFollowsChanges(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DB(t)
	ctx := context.Background()
	seedDirectory(t, db)
	d := live.NewDirectory(db)
	startListener(t, db, dbURL, d)
	waitFor(t, d.Live)

	tn, err := d.TenantForSlug(ctx, "dunder", "user_d")
	if err != nil || tn.OrgID != "org_d" || !tn.Can(models.PermProjectsRead) {
		t.Fatalf("TenantForSlug = %+v, %v", tn, err)
	}
	if tn, err := d.TenantForOrg(ctx, "org_d", "user_d"); err != nil || tn.Slug != "dunder" {
		t.Fatalf("TenantForOrg = %+v, %v", tn, err)
	}
	u, orgs, err := d.UserAndOrganizations(ctx, "user_d")
	if err != nil || u == nil || u.FirstName != "Dana" || len(orgs) != 1 {
		t.Fatalf("UserAndOrganizations = %+v, %+v, %v", u, orgs, err)
	}

	// From memory: a change that notifies no one is not seen.
	silently(t, db, `UPDATE memberships SET role = 'org:admin'; UPDATE users SET first_name = 'Silent'`)
	if tn, _ := d.TenantForSlug(ctx, "dunder", "user_d"); tn.IsAdmin() {
		t.Fatal("TenantForSlug queried the database while live")
	}
	if u, _, _ := d.UserAndOrganizations(ctx, "user_d"); u.FirstName != "Dana" {
		t.Fatal("UserAndOrganizations queried the database while live")
	}
	// Callers cannot change what others are handed.
	tn, _ = d.TenantForSlug(ctx, "dunder", "user_d")
	tn.Permissions[0] = "org:sys_profile:delete"
	if again, _ := d.TenantForSlug(ctx, "dunder", "user_d"); again.Permissions[0] != models.PermProjectsRead {
		t.Fatal("a caller's change reached the copy")
	}

	// A committed removal, by any writer, is refused once notified.
	if err := db.Exec(`DELETE FROM memberships WHERE id = 'orgmem_d'`).Error; err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, err := d.TenantForOrg(ctx, "org_d", "user_d")
		return errors.Is(err, models.ErrNotFound)
	})
	if _, err := d.TenantForSlug(ctx, "dunder", "user_d"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("after removal: TenantForSlug err = %v; want ErrNotFound", err)
	}
	if u, orgs, _ := d.UserAndOrganizations(ctx, "user_d"); len(orgs) != 0 || u.FirstName != "Silent" {
		t.Fatalf("after removal: top bar = %+v, %+v; want the database's", u, orgs)
	}
}

// Before the listener is live (start-up, a lost connection, a proxy that
// loses notifications) every lookup is a query; Changed makes this
// instance's own commit visible at once, before its notification arrives.
func TestDirectoryWithoutListenerAndChanged(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DB(t)
	ctx := context.Background()
	seedDirectory(t, db)
	d := live.NewDirectory(db)
	if _, err := d.TenantForSlug(ctx, "dunder", "user_d"); err != nil {
		t.Fatal(err)
	}
	silently(t, db, `DELETE FROM memberships`)
	if _, err := d.TenantForSlug(ctx, "dunder", "user_d"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("not live: err = %v; want the database's ErrNotFound", err)
	}

	silently(t, db, `INSERT INTO memberships (id, organization_id, user_id, role) VALUES ('orgmem_d2', 'org_d', 'user_d', 'org:member')`)
	startListener(t, db, dbURL, d)
	waitFor(t, d.Live)
	if _, err := d.TenantForSlug(ctx, "dunder", "user_d"); err != nil {
		t.Fatal(err)
	}
	silently(t, db, `DELETE FROM memberships`)
	d.Changed()
	if _, err := d.TenantForSlug(ctx, "dunder", "user_d"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("after Changed: err = %v; want ErrNotFound", err)
	}
}

// A user's profile changes without a notification (migration 00010): a top
// bar read from memory is read again once older than NavMaxAge, while the
// tenant lookups stay in memory until a notification.
func TestDirectoryTopBarMaxAge(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DB(t)
	ctx := context.Background()
	seedDirectory(t, db)
	d := live.NewDirectory(db)
	d.NavMaxAge = 2 * time.Second
	startListener(t, db, dbURL, d)
	waitFor(t, d.Live)
	if u, _, err := d.UserAndOrganizations(ctx, "user_d"); err != nil || u.FirstName != "Dana" {
		t.Fatalf("UserAndOrganizations = %+v, %v", u, err)
	}
	if _, err := d.TenantForSlug(ctx, "dunder", "user_d"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`UPDATE users SET first_name = 'Renamed' WHERE id = 'user_d'`).Error; err != nil {
		t.Fatal(err)
	}
	silently(t, db, `UPDATE memberships SET role = 'org:admin'`)
	if u, _, _ := d.UserAndOrganizations(ctx, "user_d"); u.FirstName != "Dana" {
		t.Fatal("a fresh top bar was read again")
	}
	waitFor(t, func() bool {
		u, _, _ := d.UserAndOrganizations(ctx, "user_d")
		return u.FirstName == "Renamed"
	})
	if tn, _ := d.TenantForSlug(ctx, "dunder", "user_d"); tn.IsAdmin() {
		t.Fatal("the profile change dropped the tenant lookups")
	}
}
