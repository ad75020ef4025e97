package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Domain mirrors a Clerk organization domain ("verified domain"), kept by
// the organizationDomain.* webhooks. Like the other synced tables it is not
// tenant-owned: the organization chooser reads every organization's
// domains to suggest them to a user.
type Domain struct {
	ID             string `gorm:"primaryKey"`
	OrganizationID string
	// Name is lower case, such as initech.test.
	Name           string
	EnrollmentMode string
	Verified       bool
	ClerkUpdatedAt *time.Time
	DeletedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TableName is the synced table of domains.
func (Domain) TableName() string { return "organization_domains" }

// EnrollSuggestion is the enrollment mode whose domain suggests its
// organization to users with an email address there.
const EnrollSuggestion = "automatic_suggestion"

// GetDomain returns the domain with Clerk id id, deleted or not.
func GetDomain(ctx context.Context, db *gorm.DB, id string) (*Domain, error) {
	return takeOne[Domain](db.WithContext(ctx).Where("id = ?", id), "get domain "+id)
}

// UpsertDomain writes d as Clerk's version at (its updated_at), last writer
// wins; a deleted domain is never brought back.
func UpsertDomain(ctx context.Context, db *gorm.DB, d Domain, at time.Time) (UpsertResult, error) {
	res, err := upsertResult(ctx, db, `
INSERT INTO organization_domains AS t (id, organization_id, name, enrollment_mode, verified, clerk_updated_at)
VALUES (?, ?, ?, ?, ?, ?::timestamptz)
ON CONFLICT (id) DO UPDATE SET
    organization_id = EXCLUDED.organization_id, name = EXCLUDED.name, enrollment_mode = EXCLUDED.enrollment_mode,
    verified = EXCLUDED.verified, clerk_updated_at = EXCLUDED.clerk_updated_at, updated_at = now()
WHERE t.deleted_at IS NULL
  AND (t.clerk_updated_at IS NULL OR t.clerk_updated_at <= EXCLUDED.clerk_updated_at)
  AND (t.organization_id, t.name, t.enrollment_mode, t.verified, t.clerk_updated_at)
      IS DISTINCT FROM (EXCLUDED.organization_id, EXCLUDED.name, EXCLUDED.enrollment_mode, EXCLUDED.verified, EXCLUDED.clerk_updated_at)
RETURNING (xmax = 0)`, d.ID, d.OrganizationID, strings.ToLower(d.Name), d.EnrollmentMode, d.Verified, at)
	if err != nil {
		return Unchanged, fmt.Errorf("upsert domain %s: %w", d.ID, err)
	}
	return res, nil
}

// DeleteDomain soft-deletes the domain at (the deletion's time): it stops
// suggesting at once and keeps its row, so a late create or update cannot
// bring it back. A domain never synced gets a tombstone; deleting twice
// changes nothing.
func DeleteDomain(ctx context.Context, db *gorm.DB, id string, at time.Time) (UpsertResult, error) {
	res, err := upsertResult(ctx, db, `
INSERT INTO organization_domains AS t (id, clerk_updated_at, deleted_at) VALUES (?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    verified = false, clerk_updated_at = GREATEST(t.clerk_updated_at, EXCLUDED.clerk_updated_at),
    deleted_at = EXCLUDED.deleted_at, updated_at = now()
WHERE t.deleted_at IS NULL
RETURNING (xmax = 0)`, id, at, at)
	if err != nil {
		return Unchanged, fmt.Errorf("delete domain %s: %w", id, err)
	}
	return res, nil
}

// DomainIDsBefore lists orgID's domains not deleted whose row was last
// written before t (for reconcile).
func DomainIDsBefore(ctx context.Context, db *gorm.DB, orgID string, t time.Time) ([]string, error) {
	var ids []string
	err := db.WithContext(ctx).Model(&Domain{}).Where("organization_id = ? AND deleted_at IS NULL AND updated_at < ?", orgID, t).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("list domains of %s: %w", orgID, err)
	}
	return ids, nil
}

// Suggestion is an organization suggested to a user by one of its verified
// domains in automatic_suggestion mode.
type Suggestion struct {
	OrgID   string
	OrgName string
	OrgSlug string
	// Domain is the domain of the user's email that the organization verified.
	Domain string
}

// SuggestionsFor lists, by name, the live organizations with a verified
// domain in automatic_suggestion mode at the domain of userID's email, of
// which the user is not a member. Whether the user already asked to join
// is the organizations' own data (membership requests are tenant-owned):
// see MembershipRequestStatus. Unscoped on purpose: the user is not in
// these organizations yet; userID must be the signed-in user.
func SuggestionsFor(ctx context.Context, db *gorm.DB, userID string) ([]Suggestion, error) {
	var out []Suggestion
	err := db.WithContext(ctx).Raw(`
SELECT DISTINCT ON (lower(o.name), o.id) o.id AS org_id, o.name AS org_name, o.slug AS org_slug, d.name AS domain
FROM users u
JOIN organization_domains d ON d.name = lower(substring(u.email FROM '@([^@]+)$'))
JOIN organizations o ON o.id = d.organization_id AND o.deleted_at IS NULL AND o.slug IS NOT NULL
WHERE u.id = ? AND u.deleted_at IS NULL
  AND d.deleted_at IS NULL AND d.verified AND d.enrollment_mode = ?
  AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.organization_id = o.id AND m.user_id = u.id)
ORDER BY lower(o.name), o.id`, userID, EnrollSuggestion).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("suggestions for %s: %w", userID, err)
	}
	return out, nil
}
