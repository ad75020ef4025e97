package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

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
