package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// User mirrors a Clerk user (the key is Clerk's user id), kept by the webhook
// handler and `sync`. Users are not
// tenant-owned. A deleted user keeps its row (so tasks can still name an
// assignee) with its personal data cleared and DeletedAt set.
type User struct {
	ID        string `gorm:"primaryKey"`
	Email     string
	FirstName string
	LastName  string
	ImageURL  string
	// SSOConnection is the display name of the enterprise connection the
	// user signs in with ("Initech Okta"), "" without SSO; nil when the
	// source does not say (clerk-sdk-go v2.4.2's User has no
	// enterprise_accounts), which keeps the stored one.
	SSOConnection *string `gorm:"default:''"`
	// ClerkUpdatedAt is Clerk's updated_at of the version held; nil for a row
	// made from a membership's public user data, so the real event still applies.
	ClerkUpdatedAt *time.Time
	// LastOrganizationID is the organization the user opened last, written
	// by the app (RecordLastOrganization), never by Clerk's sync.
	LastOrganizationID *string
	DeletedAt          *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Deleted reports whether the user was deleted in Clerk.
func (u *User) Deleted() bool { return u.DeletedAt != nil }

// DisplayName is the user's full name, else email, else id.
func (u *User) DisplayName() string {
	switch {
	case u.FirstName != "" && u.LastName != "":
		return u.FirstName + " " + u.LastName
	case u.FirstName != "" || u.LastName != "":
		return u.FirstName + u.LastName
	case u.Email != "":
		return u.Email
	case u.Deleted():
		return "Deleted user"
	default:
		return u.ID
	}
}

// EmailAddress is one of a Clerk user's addresses, as webhooks and the
// Backend API send it.
type EmailAddress struct {
	ID           string `json:"id"`
	EmailAddress string `json:"email_address"`
}

// PrimaryEmail picks the address whose id is primaryID, else the first one,
// else "" (Clerk may send a primary id with no addresses).
func PrimaryEmail(primaryID string, addrs []EmailAddress) string {
	for _, a := range addrs {
		if a.ID == primaryID && primaryID != "" {
			return a.EmailAddress
		}
	}
	if len(addrs) > 0 {
		return addrs[0].EmailAddress
	}
	return ""
}

// GetUser returns the user with Clerk id id, deleted or not; ErrNotFound if
// it was never synced.
func GetUser(ctx context.Context, db *gorm.DB, id string) (*User, error) {
	return readValue(ctx, db, func() (*User, error) {
		return takeOne[User](db.WithContext(ctx).Where("id = ?", id), "get user "+id)
	})
}

// UpsertUser writes u as Clerk's version at (its updated_at), last writer
// wins (a nil SSOConnection keeps the stored one): a row holding a newer
// version is left alone, and a deleted user is never brought back.
func UpsertUser(ctx context.Context, db *gorm.DB, u User, at time.Time) (UpsertResult, error) {
	res, err := upsertResult(ctx, db, upsertUser(userValues), userArgs(u, at)...)
	if err != nil {
		return Unchanged, fmt.Errorf("upsert user %s: %w", u.ID, err)
	}
	return res, nil
}

// UpsertUserOnce is UpsertUser for the delivery e of a webhook event:
// recording e and writing u are one statement (one round trip), and a
// duplicate delivery (fresh false) writes nothing.
func UpsertUserOnce(ctx context.Context, db *gorm.DB, e WebhookEvent, u User, at time.Time) (fresh bool, res UpsertResult, err error) {
	fresh, res, err = upsertOnce(ctx, db, e, upsertUserOnce, userArgs(u, at)...)
	if err != nil {
		return false, Unchanged, fmt.Errorf("upsert user %s: %w", u.ID, err)
	}
	return fresh, res, nil
}

// upsertUserOnce is UpsertUserOnce's statement.
var upsertUserOnce = upsertOnceSQL(upsertUser, userValues)

// userValues is the row UpsertUser writes.
const userValues = "VALUES (?, ?, ?, ?, ?, coalesce(?::text, ''), ?::timestamptz)"

// userArgs are the arguments of upsertUser: the row's, then the SSO
// connection twice more for the update (nil keeps the stored one).
func userArgs(u User, at time.Time) []any {
	return []any{u.ID, u.Email, u.FirstName, u.LastName, u.ImageURL, u.SSOConnection, at, u.SSOConnection, u.SSOConnection}
}

// upsertUser is UpsertUser's statement, its row coming from rows.
func upsertUser(rows string) string {
	return `
INSERT INTO users AS t (id, email, first_name, last_name, image_url, sso_connection, clerk_updated_at)
` + rows + `
ON CONFLICT (id) DO UPDATE SET
    email = EXCLUDED.email, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
    image_url = EXCLUDED.image_url, sso_connection = coalesce(?::text, t.sso_connection),
    clerk_updated_at = EXCLUDED.clerk_updated_at, updated_at = now()
WHERE t.deleted_at IS NULL
  AND (t.clerk_updated_at IS NULL OR t.clerk_updated_at <= EXCLUDED.clerk_updated_at)
  AND (t.clerk_updated_at IS NULL OR (t.email, t.first_name, t.last_name, t.image_url, t.sso_connection, t.clerk_updated_at)
       IS DISTINCT FROM (EXCLUDED.email, EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.image_url,
                         coalesce(?::text, t.sso_connection), EXCLUDED.clerk_updated_at))
RETURNING (xmax = 0)`
}

// EnsureUser inserts a minimal user row (from a membership's public user
// data) when none exists, without a Clerk version, so the user's own events
// still apply over it.
func EnsureUser(ctx context.Context, db *gorm.DB, u User) error {
	err := db.WithContext(ctx).Exec(`
INSERT INTO users (id, email, first_name, last_name, image_url) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`, u.ID, u.Email, u.FirstName, u.LastName, u.ImageURL).Error
	if err != nil {
		return fmt.Errorf("ensure user %s: %w", u.ID, err)
	}
	return nil
}

// DeleteUser soft-deletes the user at (the deletion's time): personal data is
// cleared, DeletedAt set, and the user's memberships removed at once. A user
// never synced gets a tombstone, so a late create cannot bring it back.
// Deleting twice changes nothing.
func DeleteUser(ctx context.Context, db *gorm.DB, id string, at time.Time) (UpsertResult, error) {
	return softDelete(ctx, db, syncedUsers, id, at)
}
