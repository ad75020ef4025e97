package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// RecordLastOrganization remembers orgID as the organization userID opened
// last, for the landing after sign-in. Two tabs in two organizations each
// write theirs; the last one wins. It writes only a changed value and leaves
// updated_at alone: that is when Clerk's version was last written, which
// reconcile reads. A user not synced yet has no row, and nothing is written.
func RecordLastOrganization(ctx context.Context, db *gorm.DB, userID, orgID string) error {
	err := db.WithContext(ctx).Exec(`
UPDATE users SET last_organization_id = ?
WHERE id = ? AND last_organization_id IS DISTINCT FROM ?`, orgID, userID, orgID).Error
	if err != nil {
		return fmt.Errorf("record last organization of %s: %w", userID, err)
	}
	return nil
}

// LastOrganizationSlug returns the slug of the organization userID opened
// last, while it exists and they are still a member; ErrNotFound otherwise.
func LastOrganizationSlug(ctx context.Context, db *gorm.DB, userID string) (string, error) {
	return readValue(ctx, db, func() (string, error) { return lastOrganizationSlug(ctx, db, userID) })
}

func lastOrganizationSlug(ctx context.Context, db *gorm.DB, userID string) (string, error) {
	var slugs []string
	err := db.WithContext(ctx).Raw(`
SELECT o.slug FROM users u
JOIN organizations o ON o.id = u.last_organization_id AND o.deleted_at IS NULL AND o.slug IS NOT NULL
JOIN memberships m ON m.organization_id = o.id AND m.user_id = u.id
WHERE u.id = ?`, userID).Scan(&slugs).Error
	if err != nil {
		return "", fmt.Errorf("last organization of %s: %w", userID, err)
	}
	if len(slugs) == 0 {
		return "", fmt.Errorf("last organization of %s: %w", userID, ErrNotFound)
	}
	return slugs[0], nil
}
