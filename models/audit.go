package models

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// AuditEvent records who did what in an organization. Tenant-owned and
// append-only: the tenant role may insert and read, never change.
type AuditEvent struct {
	OrganizationID string    `json:"organization_id"`
	ID             string    `gorm:"primaryKey" json:"id"`
	ActorUserID    string    `json:"actor_user_id"`
	Action         string    `json:"action"`
	TargetType     string    `json:"target_type"`
	TargetID       string    `json:"target_id"`
	Summary        string    `json:"summary"`
	CreatedAt      time.Time `json:"created_at"`
}

// TenantOwned puts AuditEvent behind the tenant scope and guard.
func (AuditEvent) TenantOwned() {}

// pageKey is the event's keyset sort key.
func (e AuditEvent) pageKey() (time.Time, string) { return e.CreatedAt, e.ID }

// RecordAudit appends an event by the tenant's user. Call it with the
// transaction of the write it records, so both commit or neither.
func RecordAudit(ctx context.Context, db *gorm.DB, action, targetType, targetID, summary string) error {
	t, ok := TenantFrom(ctx)
	if !ok {
		return ErrNoTenant
	}
	e := AuditEvent{ID: uuid.NewString(), ActorUserID: t.UserID, Action: action, TargetType: targetType, TargetID: targetID, Summary: summary}
	if err := db.WithContext(ctx).Create(&e).Error; err != nil {
		return fmt.Errorf("record %s of %s: %w", action, targetID, err)
	}
	return nil
}

// AuditEntry is an audit event with its actor's display name.
type AuditEntry struct {
	AuditEvent
	ActorName string
}

// RecentAuditEvents returns the tenant's latest events, newest first, with
// the actors' names from the local users table.
func RecentAuditEvents(ctx context.Context, db *gorm.DB, limit int) ([]AuditEntry, error) {
	var events []AuditEvent
	err := db.WithContext(ctx).Order("created_at DESC, id DESC").Limit(pageLimit(limit)).Find(&events).Error
	if err != nil {
		return nil, fmt.Errorf("recent audit events: %w", err)
	}
	ids := make([]string, 0, len(events))
	for _, e := range events {
		ids = append(ids, e.ActorUserID)
	}
	var users []User
	if len(ids) > 0 {
		if err := db.WithContext(ctx).Where("id IN ?", ids).Find(&users).Error; err != nil {
			return nil, fmt.Errorf("audit actors: %w", err)
		}
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.DisplayName()
	}
	out := make([]AuditEntry, len(events))
	for i, e := range events {
		out[i] = AuditEntry{AuditEvent: e, ActorName: names[e.ActorUserID]}
	}
	return out, nil
}
