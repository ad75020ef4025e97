package main

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"example.com/saas/models"
)

// Preference is how a member wants to be notified in one organization; a
// member without a row has DefaultPreference. It is tenant-owned: the
// models package's scope adds its organization to every query and stamps
// it on every write, and row-level security backs that in Postgres.
type Preference struct {
	OrganizationID string    `gorm:"primaryKey" json:"-"`
	UserID         string    `gorm:"primaryKey" json:"user_id"`
	EmailDigest    string    `json:"email_digest"`
	Mentions       bool      `json:"mentions"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"` // absent for the defaults
}

// TenantOwned marks Preference for the tenant scope (models.TenantOwned).
func (Preference) TenantOwned() {}

// TableName is the table migrations/00007_notification_preferences.sql makes.
func (Preference) TableName() string { return "notification_preferences" }

// digests are the email digest choices, as the table's CHECK allows them.
var digests = map[string]bool{"daily": true, "weekly": true, "never": true}

// DefaultPreference is what a member who never chose has.
func DefaultPreference(userID string) Preference {
	return Preference{UserID: userID, EmailDigest: "weekly", Mentions: true}
}

// MemberPreference is a member of the organization with their preference.
type MemberPreference struct {
	Preference
	Name  string `json:"name"`
	Email string `json:"email"`
}

// listPreferences returns every member of the tenant's organization (the
// synced memberships and users) with their preference. Run it in
// models.InTenant.
func listPreferences(ctx context.Context, tx *gorm.DB) ([]MemberPreference, error) {
	members, err := models.MembersOf(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	var rows []Preference
	if err := tx.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list preferences: %w", err)
	}
	chosen := make(map[string]Preference, len(rows))
	for _, p := range rows {
		chosen[p.UserID] = p
	}
	out := make([]MemberPreference, 0, len(members))
	for _, m := range members {
		p, ok := chosen[m.UserID]
		if !ok {
			p = DefaultPreference(m.UserID)
		}
		out = append(out, MemberPreference{Preference: p, Name: m.DisplayName(), Email: m.Email})
	}
	return out, nil
}

// getPreference returns userID's preference in the tenant's organization.
func getPreference(ctx context.Context, tx *gorm.DB, userID string) (Preference, error) {
	var rows []Preference
	if err := tx.WithContext(ctx).Where("user_id = ?", userID).Limit(1).Find(&rows).Error; err != nil {
		return Preference{}, fmt.Errorf("load preference of %s: %w", userID, err)
	}
	if len(rows) == 0 {
		return DefaultPreference(userID), nil
	}
	return rows[0], nil
}

// savePreference writes p for its user in the tenant's organization in one
// statement (INSERT … ON CONFLICT DO UPDATE), so two saves at once leave
// one row holding one of them.
func savePreference(ctx context.Context, tx *gorm.DB, p Preference) (Preference, error) {
	p.UpdatedAt = time.Now().UTC()
	err := tx.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "organization_id"}, {Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"email_digest", "mentions", "updated_at"}),
	}).Create(&p).Error
	if err != nil {
		return Preference{}, fmt.Errorf("save preference of %s: %w", p.UserID, err)
	}
	return p, nil
}
