package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// Only a write that changes a row the directory must stop answering at
// once notifies its channel (migration 00010): a webhook delivered twice,
// an older event losing to a newer one, an upsert of what is already
// stored, and a user's new name must not make every instance drop its copy
// (nor take Postgres's notify lock). A new or deleted user, and each change
// of an organization or a membership, still notify.
func TestDirectoryNotifiesOnlyChangedRows(t *testing.T) {
	t.Parallel()
	db, conn := directoryListener(t)
	ctx := context.Background()

	fixtureAt := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	older, newer := fixtureAt.Add(-time.Hour), fixtureAt.Add(time.Hour)
	user := models.User{ID: "user_1", Email: "one@example.com", FirstName: "One"}
	org := models.Organization{ID: "org_a", Name: "a", Slug: models.NullableText("a")}
	delivery := models.WebhookEvent{SvixID: "msg_notify_1", Type: "user.updated"}
	renamed := user
	renamed.FirstName = "Renamed"
	for _, tt := range []struct {
		name  string
		write func() error
	}{
		{"a renamed user", func() error { return ignoreFresh(models.UpsertUserOnce(ctx, db, delivery, renamed, newer)) }},
		{"the same delivery again", func() error { return ignoreFresh(models.UpsertUserOnce(ctx, db, delivery, renamed, newer)) }},
		{"an older user event", func() error { return ignoreResult(models.UpsertUser(ctx, db, user, older)) }},
		{"the stored user again", func() error { return ignoreResult(models.UpsertUser(ctx, db, renamed, newer)) }},
		{"the stored organization again", func() error { return ignoreResult(models.UpsertOrganization(ctx, db, org, fixtureAt)) }},
		{"an older organization event", func() error {
			return ignoreResult(models.UpsertOrganization(ctx, db, models.Organization{ID: "org_a", Name: "old"}, older))
		}},
	} {
		mustOK(t, tt.write())
		expectNoNotification(t, conn, tt.name)
	}

	if n := rowsWhere(t, db, "users", "id = 'user_1' AND first_name = 'Renamed'"); n != 1 {
		t.Fatalf("the renamed user was not stored (%d rows)", n)
	}

	mustOK(t, ignoreResult(models.UpsertUser(ctx, db, models.User{ID: "user_new", Email: "new@example.com"}, newer)))
	expectNotification(t, conn, "users")
	mustOK(t, ignoreResult(models.DeleteUser(ctx, db, "user_new", newer.Add(time.Second))))
	expectNotification(t, conn, "users")
	org.Name = "A renamed"
	mustOK(t, ignoreResult(models.UpsertOrganization(ctx, db, org, newer)))
	expectNotification(t, conn, "organizations")
	m := models.Membership{ID: "orgmem_a", OrganizationID: "org_a", UserID: "user_1", Role: models.RoleAdmin}
	mustOK(t, ignoreResult(models.ApplyMembership(ctx, db, m, models.Organization{}, models.User{}, newer)))
	expectNotification(t, conn, "memberships")
}

// directoryListener is a fresh database with lastOrgFixture's rows and a
// connection listening on the directory channel.
func directoryListener(t *testing.T) (*gorm.DB, *pgx.Conn) {
	t.Helper()
	db, url := testenv.DB(t)
	lastOrgFixture(t, db)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	mustOK(t, err)
	t.Cleanup(func() { conn.Close(ctx) })
	_, err = conn.Exec(ctx, "LISTEN "+models.DirectoryChannel)
	mustOK(t, err)
	return db, conn
}

func rowsWhere(t *testing.T, db *gorm.DB, table, where string) (n int64) {
	t.Helper()
	mustOK(t, db.Table(table).Where(where).Count(&n).Error)
	return n
}

func ignoreFresh(_ bool, _ models.UpsertResult, err error) error { return err }

func expectNotification(t *testing.T, conn *pgx.Conn, payload string) {
	t.Helper()
	wait, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := conn.WaitForNotification(wait); err != nil || n.Payload != payload {
		t.Fatalf("notification %+v, %v; want %s", n, err, payload)
	}
}

func expectNoNotification(t *testing.T, conn *pgx.Conn, what string) {
	t.Helper()
	wait, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if n, err := conn.WaitForNotification(wait); err == nil {
		t.Errorf("%s notified %s (%s)", what, n.Channel, n.Payload)
	}
}
