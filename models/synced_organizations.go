package models

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Organization mirrors a Clerk organization (the tenant; the key is Clerk's
// org id), kept by the webhook handler and `sync`. The
// organization row itself is not tenant-owned data.
type Organization struct {
	ID       string `gorm:"primaryKey"`
	Name     string
	Slug     NullableText
	ImageURL string
	// ClerkUpdatedAt is Clerk's updated_at of the version held; nil for a row
	// made from a membership event, so the real event still applies.
	ClerkUpdatedAt *time.Time
	DeletedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Deleted reports whether the organization was deleted in Clerk.
func (o *Organization) Deleted() bool { return o.DeletedAt != nil }

// GetOrganization returns the organization with Clerk id id, deleted or not.
func GetOrganization(ctx context.Context, db *gorm.DB, id string) (*Organization, error) {
	return takeOne[Organization](db.WithContext(ctx).Where("id = ?", id), "get organization "+id)
}

// OrganizationBySlug returns the live organization with slug; ErrNotFound if
// none (deleted organizations have no slug). It does not check membership:
// callers must (see MembershipFor).
func OrganizationBySlug(ctx context.Context, db *gorm.DB, slug string) (*Organization, error) {
	return takeOne[Organization](db.WithContext(ctx).Where("slug = ? AND deleted_at IS NULL", slug), fmt.Sprintf("organization %q", slug))
}

// UserOrganization is an organization seen by one of its members.
type UserOrganization struct {
	Organization `gorm:"embedded"`
	Role         string
	Permissions  StringArray
}

// UpsertOrganization writes o as Clerk's version at (its updated_at), last
// writer wins; a deleted organization is never brought back.
func UpsertOrganization(ctx context.Context, db *gorm.DB, o Organization, at time.Time) (UpsertResult, error) {
	res, err := upsertResult(ctx, db, upsertOrganization(organizationValues), o.ID, o.Name, o.Slug, o.ImageURL, at)
	if err != nil {
		return Unchanged, fmt.Errorf("upsert organization %s: %w", o.ID, err)
	}
	return res, nil
}

// UpsertOrganizationOnce is UpsertOrganization for the delivery e of a
// webhook event, in one statement with recording e (see UpsertUserOnce).
func UpsertOrganizationOnce(ctx context.Context, db *gorm.DB, e WebhookEvent, o Organization, at time.Time) (fresh bool, res UpsertResult, err error) {
	fresh, res, err = upsertOnce(ctx, db, e, upsertOrganizationOnce, o.ID, o.Name, o.Slug, o.ImageURL, at)
	if err != nil {
		return false, Unchanged, fmt.Errorf("upsert organization %s: %w", o.ID, err)
	}
	return fresh, res, nil
}

// upsertOrganizationOnce is UpsertOrganizationOnce's statement.
var upsertOrganizationOnce = upsertOnceSQL(upsertOrganization, organizationValues)

// organizationValues is the row UpsertOrganization writes.
const organizationValues = "VALUES (?, ?, ?, ?, ?::timestamptz)"

// upsertOrganization is UpsertOrganization's statement, its row coming
// from rows.
func upsertOrganization(rows string) string {
	return `
INSERT INTO organizations AS t (id, name, slug, image_url, clerk_updated_at)
` + rows + `
ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name, slug = EXCLUDED.slug, image_url = EXCLUDED.image_url,
    clerk_updated_at = EXCLUDED.clerk_updated_at, updated_at = now()
WHERE t.deleted_at IS NULL
  AND (t.clerk_updated_at IS NULL OR t.clerk_updated_at <= EXCLUDED.clerk_updated_at)
  AND (t.clerk_updated_at IS NULL OR (t.name, t.slug, t.image_url, t.clerk_updated_at)
       IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.slug, EXCLUDED.image_url, EXCLUDED.clerk_updated_at))
RETURNING (xmax = 0)`
}

// DeleteOrganization soft-deletes the organization at (the deletion's time):
// DeletedAt set, slug freed, memberships removed at once. An organization
// never synced gets a tombstone, so a late create cannot bring it back.
func DeleteOrganization(ctx context.Context, db *gorm.DB, id string, at time.Time) (UpsertResult, error) {
	return softDelete(ctx, db, syncedOrganizations, id, at)
}

// EnsureOrganization inserts a minimal organization row (from a membership
// event) when none exists, without a Clerk version, so the organization's
// own events still apply over it. A slug another live organization holds is
// left empty rather than failing.
func EnsureOrganization(ctx context.Context, db *gorm.DB, o Organization) error {
	err := db.WithContext(ctx).Exec(`
INSERT INTO organizations (id, name, slug, image_url)
SELECT ?, ?, CASE WHEN EXISTS (SELECT 1 FROM organizations WHERE slug = ? AND deleted_at IS NULL) THEN NULL ELSE ? END, ?
ON CONFLICT (id) DO NOTHING`, o.ID, o.Name, o.Slug, o.Slug, o.ImageURL).Error
	if err != nil {
		return fmt.Errorf("ensure organization %s: %w", o.ID, err)
	}
	return nil
}

// UserAndOrganizations returns the user (nil if never synced) and the live
// organizations they belong to, by name, in one query: what every page's
// top bar and organization switcher show.
func UserAndOrganizations(ctx context.Context, db *gorm.DB, userID string) (*User, []UserOrganization, error) {
	var orgs []UserOrganization
	u, err := readValue(ctx, db, func() (*User, error) {
		u, o, err := userAndOrganizations(ctx, db, userID)
		orgs = o
		return u, err
	})
	return u, orgs, err
}

func userAndOrganizations(ctx context.Context, db *gorm.DB, userID string) (*User, []UserOrganization, error) {
	rows, err := db.WithContext(ctx).Raw(`
SELECT u.id, u.email, u.first_name, u.last_name, u.image_url, o.id, o.name, o.slug, m.role
FROM users u
LEFT JOIN memberships m ON m.user_id = u.id
LEFT JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL
WHERE u.id = ?
ORDER BY lower(o.name), o.id`, userID).Rows()
	if err != nil {
		return nil, nil, fmt.Errorf("user and organizations of %s: %w", userID, err)
	}
	defer rows.Close()
	var u *User
	var orgs []UserOrganization
	for rows.Next() {
		var cur User
		var orgID, name, slug, role sql.NullString
		if err := rows.Scan(&cur.ID, &cur.Email, &cur.FirstName, &cur.LastName, &cur.ImageURL, &orgID, &name, &slug, &role); err != nil {
			return nil, nil, fmt.Errorf("user and organizations of %s: %w", userID, err)
		}
		if u == nil {
			u = &cur
		}
		if orgID.Valid {
			uo := UserOrganization{Role: role.String}
			uo.ID, uo.Name, uo.Slug = orgID.String, name.String, NullableText(slug.String)
			orgs = append(orgs, uo)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("user and organizations of %s: %w", userID, err)
	}
	return u, orgs, nil
}
