package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Membership mirrors a Clerk organization membership: a user's role and
// permissions in an organization. It is read to
// authorize a tenant, so it cannot itself be behind the tenant scope.
type Membership struct {
	ID             string `gorm:"primaryKey"`
	OrganizationID string
	UserID         string
	Role           string
	Permissions    StringArray
	ClerkUpdatedAt *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Has reports whether the membership grants permission.
func (m *Membership) Has(permission string) bool {
	return slices.Contains(m.Permissions, permission)
}

// Clerk's default roles.
const (
	RoleAdmin  = "org:admin"
	RoleMember = "org:member"
)

// NormalizeRole maps Clerk's legacy role keys (admin, basic_member) to the
// current ones; other roles are kept.
func NormalizeRole(role string) string {
	switch role {
	case "admin":
		return RoleAdmin
	case "basic_member":
		return RoleMember
	default:
		return role
	}
}

// RoleLabel is a role as users read it, the one spelling of every page and
// message: "org:admin" → "Admin", "org:member" → "Member", a custom
// "org:billing_manager" → "Billing manager".
func RoleLabel(role string) string {
	key := strings.ReplaceAll(strings.TrimPrefix(NormalizeRole(role), "org:"), "_", " ")
	if key == "" {
		return ""
	}
	return strings.ToUpper(key[:1]) + key[1:]
}

// DefaultPermissions are the permissions of Clerk's default roles plus the
// app's own, used when an event or API response carries none.
func DefaultPermissions(role string) []string {
	switch NormalizeRole(role) {
	case RoleAdmin:
		return []string{
			"org:sys_profile:manage", "org:sys_profile:delete",
			"org:sys_memberships:read", "org:sys_memberships:manage",
			"org:sys_domains:read", "org:sys_domains:manage",
			"org:projects:read", "org:projects:manage",
		}
	case RoleMember:
		return []string{"org:sys_memberships:read", "org:projects:read", "org:projects:manage"}
	default:
		return []string{}
	}
}

// MembershipFor returns userID's membership in orgID; ErrNotFound when the
// user is not a member.
func MembershipFor(ctx context.Context, db *gorm.DB, orgID, userID string) (*Membership, error) {
	q := db.WithContext(ctx).Where("organization_id = ? AND user_id = ?", orgID, userID)
	return takeOne[Membership](q, fmt.Sprintf("membership of %s in %s", userID, orgID))
}

// UpsertMembership writes m as Clerk's version at (its updated_at), last
// writer wins. It writes nothing when the user or organization is deleted or
// the membership was deleted (a late create never restores access). An older
// membership of the same user in the same organization (removed and added
// again in Clerk) is replaced. The user and organization rows must exist (see
// EnsureUser, EnsureOrganization).
func UpsertMembership(ctx context.Context, db *gorm.DB, m Membership, at time.Time) (UpsertResult, error) {
	db = db.WithContext(ctx)
	if err := lockMembership(db, m.OrganizationID, m.UserID); err != nil {
		return Unchanged, err
	}
	err := db.Exec(`
WITH gone AS (
    DELETE FROM memberships
    WHERE organization_id = ? AND user_id = ? AND id <> ?
      AND (clerk_updated_at IS NULL OR clerk_updated_at <= ?)
    RETURNING id, organization_id, user_id)
INSERT INTO deleted_memberships (id, organization_id, user_id)
SELECT id, organization_id, user_id FROM gone
ON CONFLICT (id) DO NOTHING`, m.OrganizationID, m.UserID, m.ID, at).Error
	if err != nil {
		return Unchanged, fmt.Errorf("replace older membership %s: %w", m.ID, err)
	}
	perms := m.Permissions
	if perms == nil {
		perms = StringArray{}
	}
	res, err := upsertResult(ctx, db, `
INSERT INTO memberships AS t (id, organization_id, user_id, role, permissions, clerk_updated_at)
SELECT CAST(@id AS text), CAST(@org AS text), CAST(@user AS text), CAST(@role AS text), CAST(CAST(@perms AS text) AS text[]), CAST(@at AS timestamptz)
WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = @user AND deleted_at IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM organizations WHERE id = @org AND deleted_at IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM deleted_memberships WHERE id = @id)
  AND NOT EXISTS (SELECT 1 FROM memberships WHERE organization_id = @org AND user_id = @user AND id <> @id)
ON CONFLICT (id) DO UPDATE SET
    role = EXCLUDED.role, permissions = EXCLUDED.permissions,
    clerk_updated_at = EXCLUDED.clerk_updated_at, updated_at = now()
WHERE (t.clerk_updated_at IS NULL OR t.clerk_updated_at <= EXCLUDED.clerk_updated_at)
  AND (t.clerk_updated_at IS NULL OR (t.role, t.permissions, t.clerk_updated_at)
       IS DISTINCT FROM (EXCLUDED.role, EXCLUDED.permissions, EXCLUDED.clerk_updated_at))
RETURNING (xmax = 0)`, map[string]any{
		"id": m.ID, "org": m.OrganizationID, "user": m.UserID, "role": m.Role, "perms": perms, "at": at,
	})
	if err != nil {
		return Unchanged, fmt.Errorf("upsert membership %s: %w", m.ID, err)
	}
	return res, nil
}

// HasMembership reports whether userID is a member of orgID.
func HasMembership(ctx context.Context, db *gorm.DB, orgID, userID string) (bool, error) {
	var exists bool
	err := db.WithContext(ctx).Raw("SELECT EXISTS (SELECT 1 FROM memberships WHERE organization_id = ? AND user_id = ?)", orgID, userID).Scan(&exists).Error
	if err != nil {
		return false, fmt.Errorf("membership of %s in %s: %w", userID, orgID, err)
	}
	return exists, nil
}

// lockMembership serializes, until the transaction ends, the writers of
// userID's membership in orgID. Without it an upsert whose snapshot predates
// a concurrent removal's commit passes the tombstone check, waits on the
// row, and inserts it again once the removal has deleted it.
func lockMembership(db *gorm.DB, orgID, userID string) error {
	if err := db.Exec(`SELECT pg_advisory_xact_lock(hashtextextended(? || '/' || ?, 0))`, orgID, userID).Error; err != nil {
		return fmt.Errorf("lock membership of %s in %s: %w", userID, orgID, err)
	}
	return nil
}

// DeleteMembership removes the membership with id (or, when id is empty, the
// one of userID in orgID) and remembers its id, so a late create or update
// cannot restore access.
func DeleteMembership(ctx context.Context, db *gorm.DB, id, orgID, userID string) (deleted bool, err error) {
	db = db.WithContext(ctx)
	if err := lockMembership(db, orgID, userID); err != nil {
		return false, err
	}
	if id == "" {
		if err := db.Raw(`SELECT id FROM memberships WHERE organization_id = ? AND user_id = ?`, orgID, userID).Scan(&id).Error; err != nil {
			return false, fmt.Errorf("find membership of %s in %s: %w", userID, orgID, err)
		}
		if id == "" {
			return false, nil
		}
	}
	if err := db.Exec(`
INSERT INTO deleted_memberships (id, organization_id, user_id) VALUES (?, ?, ?)
ON CONFLICT (id) DO NOTHING`, id, orgID, userID).Error; err != nil {
		return false, fmt.Errorf("remember deleted membership %s: %w", id, err)
	}
	res := db.Exec(`DELETE FROM memberships WHERE id = ?`, id)
	if res.Error != nil {
		return false, fmt.Errorf("delete membership %s: %w", id, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// MembershipsBefore lists orgID's memberships last written before t (for
// reconcile).
func MembershipsBefore(ctx context.Context, db *gorm.DB, orgID string, t time.Time) ([]Membership, error) {
	var out []Membership
	err := db.WithContext(ctx).Where("organization_id = ? AND updated_at < ?", orgID, t).Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list memberships of %s: %w", orgID, err)
	}
	return out, nil
}

// ApplyMembership syncs one membership as Clerk sent it (event or API):
// the role is normalized (legacy admin/basic_member), missing permissions
// (nil) become the role's defaults, and minimal user and organization rows
// are made from the membership's own data when they do not exist yet. Run
// it in a transaction.
func ApplyMembership(ctx context.Context, tx *gorm.DB, m Membership, org Organization, user User, at time.Time) (UpsertResult, error) {
	m.Role = NormalizeRole(m.Role)
	if m.Permissions == nil {
		m.Permissions = DefaultPermissions(m.Role)
	}
	org.ID, user.ID = m.OrganizationID, m.UserID
	if err := EnsureOrganization(ctx, tx, org); err != nil {
		return Unchanged, err
	}
	if err := EnsureUser(ctx, tx, user); err != nil {
		return Unchanged, err
	}
	return UpsertMembership(ctx, tx, m, at)
}

// TenantForSlug returns userID's tenant for the live organization with slug;
// ErrNotFound when there is no such organization or the user is not a
// member, so a non-member cannot tell the two apart.
func TenantForSlug(ctx context.Context, db *gorm.DB, slug, userID string) (Tenant, error) {
	return tenantWhere(ctx, db, "o.slug = ?", slug, userID)
}

// TenantForOrg is TenantForSlug by organization id (the API's active
// organization).
func TenantForOrg(ctx context.Context, db *gorm.DB, orgID, userID string) (Tenant, error) {
	return tenantWhere(ctx, db, "o.id = ?", orgID, userID)
}

func tenantWhere(ctx context.Context, db *gorm.DB, cond, value, userID string) (Tenant, error) {
	return readValue(ctx, db, func() (Tenant, error) { return readTenantWhere(ctx, db, cond, value, userID) })
}

func readTenantWhere(ctx context.Context, db *gorm.DB, cond, value, userID string) (Tenant, error) {
	var rows []struct {
		ID, Name, Role string
		Slug           NullableText
		Permissions    StringArray
	}
	err := db.WithContext(ctx).Raw(`
SELECT o.id, o.slug, o.name, m.role, m.permissions
FROM organizations o JOIN memberships m ON m.organization_id = o.id AND m.user_id = ?
WHERE o.deleted_at IS NULL AND `+cond, userID, value).Scan(&rows).Error
	if err != nil {
		return Tenant{}, fmt.Errorf("tenant %q for %s: %w", value, userID, err)
	}
	if len(rows) == 0 {
		return Tenant{}, fmt.Errorf("tenant %q for %s: %w", value, userID, ErrNotFound)
	}
	r := rows[0]
	return Tenant{OrgID: r.ID, Slug: string(r.Slug), Name: r.Name, UserID: userID, Role: NormalizeRole(r.Role), Permissions: r.Permissions}, nil
}
