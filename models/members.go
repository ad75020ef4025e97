package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The tenant's members: reads of the synced memberships and users for the
// organization in the context (its pages, its API, its admin actions), so
// like the tenant scope they fail with ErrNoTenant without one.

// Member is a membership with its user's display fields.
type Member struct {
	MembershipID string
	UserID       string
	Email        string
	FirstName    string
	LastName     string
	ImageURL     string
	// SSOConnection is the enterprise connection the member signs in with,
	// "" without SSO (User.SSOConnection).
	SSOConnection string
	Role          string
	Permissions   StringArray
	CreatedAt     time.Time
}

// SignInMethod says how the member signs in: "SSO (<connection>)" or "Password".
func (m Member) SignInMethod() string {
	if m.SSOConnection != "" {
		return "SSO (" + m.SSOConnection + ")"
	}
	return "Password"
}

// DisplayName is the member's name as User.DisplayName gives it.
func (m Member) DisplayName() string {
	u := User{ID: m.UserID, Email: m.Email, FirstName: m.FirstName, LastName: m.LastName}
	return u.DisplayName()
}

// memberColumns are a Member's columns, from memberships m joined with users u.
const memberColumns = `m.id AS membership_id, m.user_id, u.email, u.first_name, u.last_name, u.image_url,
       u.sso_connection, m.role, m.permissions, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id`

// MembersOf lists the tenant's members by name.
func MembersOf(ctx context.Context, db *gorm.DB) ([]Member, error) {
	return readValue(ctx, db, func() ([]Member, error) { return membersOf(ctx, db) })
}

func membersOf(ctx context.Context, db *gorm.DB) ([]Member, error) {
	t, ok := TenantFrom(ctx)
	if !ok {
		return nil, ErrNoTenant
	}
	var out []Member
	err := db.WithContext(ctx).Raw(`SELECT `+memberColumns+`
WHERE m.organization_id = ? AND u.deleted_at IS NULL
ORDER BY lower(u.first_name || ' ' || u.last_name), lower(u.email), m.user_id`, t.OrgID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("members of %s: %w", t.OrgID, err)
	}
	return out, nil
}

// MemberOf returns userID's membership in the tenant with the user's
// display fields; ErrNotFound when the user is not a member.
func MemberOf(ctx context.Context, db *gorm.DB, userID string) (*Member, error) {
	return readValue(ctx, db, func() (*Member, error) { return memberOf(ctx, db, userID) })
}

func memberOf(ctx context.Context, db *gorm.DB, userID string) (*Member, error) {
	t, ok := TenantFrom(ctx)
	if !ok {
		return nil, ErrNoTenant
	}
	var out []Member
	err := db.WithContext(ctx).Raw(`SELECT `+memberColumns+`
WHERE m.organization_id = ? AND m.user_id = ?`, t.OrgID, userID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("member %s of %s: %w", userID, t.OrgID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("member %s of %s: %w", userID, t.OrgID, ErrNotFound)
	}
	return &out[0], nil
}

// CountAdmins counts the tenant's admins (current and legacy role keys),
// for the last-admin rule: an organization must keep one.
func CountAdmins(ctx context.Context, db *gorm.DB) (int64, error) {
	t, ok := TenantFrom(ctx)
	if !ok {
		return 0, ErrNoTenant
	}
	var n int64
	err := db.WithContext(ctx).Model(&Membership{}).
		Where("organization_id = ? AND role IN ?", t.OrgID, []string{RoleAdmin, "admin"}).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count admins of %s: %w", t.OrgID, err)
	}
	return n, nil
}

// Advisory lock keys. Postgres keeps the keys of pg_advisory_*lock taken as
// one bigint and those taken as two int4 in separate spaces that never
// conflict with each other:
//
//   - one bigint: a membership's writers, hashtextextended(orgID || '/' ||
//     userID, 0) (lockMembership); testenv's template lock (724301, in
//     the server's own database) and goose's session locker, were it
//     turned on, take bigint keys too;
//   - two int4: (lockSpaceAdmins, hashtext(orgID)), the admin-changing
//     actions of one organization (LockAdmins).
//
// A key of the two-int4 space starts with a lockSpace constant of its own,
// so the spaces of this app's locks cannot meet. Two organizations whose
// ids share a hashtext serialize each other's admin changes: slower, never
// wrong.
const lockSpaceAdmins int32 = 0x61646d6e // "admn"

// ErrNotInTransaction: a transaction-scoped lock was asked for outside a
// transaction, where it would be released at once.
var ErrNotInTransaction = errors.New("a transaction-scoped lock needs an open transaction")

// LockAdmins serializes, until tx's transaction ends, the actions that can
// change the tenant's admins (a role change, a removal): on every instance,
// the second waits until the first has committed or rolled back, so the
// last-admin check (CountAdmins with tx) sees the outcome of the one before
// and still holds while the caller calls Clerk and writes. tx must be
// inside a transaction; the lock waits as long as tx's context allows.
func LockAdmins(ctx context.Context, tx *gorm.DB) error {
	t, ok := TenantFrom(ctx)
	if !ok {
		return ErrNoTenant
	}
	if _, ok := openTx(tx); !ok {
		return fmt.Errorf("lock the admins of %s: %w", t.OrgID, ErrNotInTransaction)
	}
	err := tx.WithContext(ctx).Exec(fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, hashtext(?))`, lockSpaceAdmins), t.OrgID).Error
	if err != nil {
		return fmt.Errorf("lock the admins of %s: %w", t.OrgID, err)
	}
	return nil
}
