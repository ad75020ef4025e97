package models

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

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
// change orgID's admins (a role change, a removal): on every instance, the
// second waits until the first has committed or rolled back, so the
// last-admin check (CountAdmins with tx) sees the outcome of the one before
// and still holds while the caller calls Clerk and writes. tx must be
// inside a transaction; the lock waits as long as tx's context allows.
func LockAdmins(ctx context.Context, tx *gorm.DB, orgID string) error {
	if _, ok := openTx(tx); !ok {
		return fmt.Errorf("lock the admins of %s: %w", orgID, ErrNotInTransaction)
	}
	err := tx.WithContext(ctx).Exec(fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, hashtext(?))`, lockSpaceAdmins), orgID).Error
	if err != nil {
		return fmt.Errorf("lock the admins of %s: %w", orgID, err)
	}
	return nil
}

// CountAdmins counts orgID's admins (current and legacy role keys), for the
// last-admin rule: an organization must keep one. Deliberately unscoped:
// memberships are synced data; callers must have checked the caller's
// membership in orgID.
func CountAdmins(ctx context.Context, db *gorm.DB, orgID string) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Membership{}).
		Where("organization_id = ? AND role IN ?", orgID, []string{RoleAdmin, "admin"}).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count admins of %s: %w", orgID, err)
	}
	return n, nil
}

// MemberOf returns userID's membership in orgID with the user's display
// fields; ErrNotFound when the user is not a member. Deliberately unscoped:
// callers must have checked the caller's membership in orgID.
func MemberOf(ctx context.Context, db *gorm.DB, orgID, userID string) (*Member, error) {
	var out []Member
	err := db.WithContext(ctx).Raw(`
SELECT m.id AS membership_id, m.user_id, u.email, u.first_name, u.last_name, u.image_url,
       m.role, m.permissions, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.organization_id = ? AND m.user_id = ?`, orgID, userID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("member %s of %s: %w", userID, orgID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("member %s of %s: %w", userID, orgID, ErrNotFound)
	}
	return &out[0], nil
}
