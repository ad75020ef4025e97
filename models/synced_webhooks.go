package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// WebhookEvent is a Svix message id already applied.
type WebhookEvent struct {
	SvixID     string `gorm:"primaryKey"`
	Type       string
	ReceivedAt time.Time
}

// RecordWebhookEvent stores svixID in the transaction tx that applies the
// event's effect. fresh is false when the id was already recorded: the
// delivery is a duplicate and the caller must write nothing else.
func RecordWebhookEvent(ctx context.Context, tx *gorm.DB, svixID, eventType string) (fresh bool, err error) {
	res := tx.WithContext(ctx).Exec(
		`INSERT INTO webhook_events (svix_id, type) VALUES (?, ?) ON CONFLICT (svix_id) DO NOTHING`,
		svixID, eventType)
	if res.Error != nil {
		return false, fmt.Errorf("record webhook event %s: %w", svixID, res.Error)
	}
	return res.RowsAffected == 1, nil
}
