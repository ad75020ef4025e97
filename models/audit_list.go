package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// AuditFilter selects and pages the audit log: ActorID and Action match
// exactly when set; Cursor is the NextCursor of the previous page.
type AuditFilter struct {
	ActorID string
	Action  string
	Limit   int
	Cursor  string
	// HiddenTargets are target types the viewer may not see (for example
	// "invitation" for members who may not manage memberships).
	HiddenTargets []string
}

// withoutTargets leaves out the entries about hidden target types.
func withoutTargets(hidden []string) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		if len(hidden) == 0 {
			return q
		}
		return q.Where("target_type NOT IN ?", hidden)
	}
}

// ListAuditEvents returns the tenant's audit events newest first, filtered
// by f and keyset-paginated on (created_at, id), with the actors' names from
// the local users table. Run it inside InTenant.
func ListAuditEvents(ctx context.Context, db *gorm.DB, f AuditFilter) (Page[AuditEntry], error) {
	q := db.WithContext(ctx).Model(&AuditEvent{}).Scopes(withoutTargets(f.HiddenTargets))
	if f.ActorID != "" {
		q = q.Where("actor_user_id = ?", f.ActorID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	events, err := listPage[AuditEvent](q, newestFirst, f.Cursor, f.Limit)
	if err != nil {
		return Page[AuditEntry]{}, fmt.Errorf("list audit events: %w", err)
	}
	names, err := actorNames(ctx, db, events.Items)
	if err != nil {
		return Page[AuditEntry]{}, err
	}
	page := Page[AuditEntry]{NextCursor: events.NextCursor}
	for _, e := range events.Items {
		page.Items = append(page.Items, AuditEntry{AuditEvent: e, ActorName: names[e.ActorUserID]})
	}
	return page, nil
}

// AuditFacets are the values the audit log can be filtered by.
type AuditFacets struct {
	Actions []string
	// Actors maps the user ids that appear in the log to their names.
	Actors map[string]string
}

// ListAuditFacets returns the distinct actions and actors of the tenant's
// audit log, less the hidden target types. Run it inside InTenant.
func ListAuditFacets(ctx context.Context, db *gorm.DB, hiddenTargets []string) (AuditFacets, error) {
	var f AuditFacets
	log := db.WithContext(ctx).Model(&AuditEvent{}).Scopes(withoutTargets(hiddenTargets)).Session(&gorm.Session{})
	if err := log.Distinct("action").Order("action").Pluck("action", &f.Actions).Error; err != nil {
		return f, fmt.Errorf("audit actions: %w", err)
	}
	var ids []string
	if err := log.Distinct("actor_user_id").Where("actor_user_id <> ''").Pluck("actor_user_id", &ids).Error; err != nil {
		return f, fmt.Errorf("audit actors: %w", err)
	}
	events := make([]AuditEvent, len(ids))
	for i, id := range ids {
		events[i].ActorUserID = id
	}
	names, err := actorNames(ctx, db, events)
	if err != nil {
		return f, err
	}
	f.Actors = make(map[string]string, len(ids))
	for _, id := range ids {
		f.Actors[id] = names[id]
		if strings.TrimSpace(names[id]) == "" {
			f.Actors[id] = id
		}
	}
	return f, nil
}

// actorNames maps the events' actor ids to display names.
func actorNames(ctx context.Context, db *gorm.DB, events []AuditEvent) (map[string]string, error) {
	ids := make([]string, 0, len(events))
	for _, e := range events {
		ids = append(ids, e.ActorUserID)
	}
	names := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return names, nil
	}
	var users []User
	if err := db.WithContext(ctx).Where("id IN ?", ids).Find(&users).Error; err != nil {
		return nil, fmt.Errorf("audit actors: %w", err)
	}
	for _, u := range users {
		names[u.ID] = u.DisplayName()
	}
	return names, nil
}
