package models

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"gorm.io/gorm"
)

// WebhookEvent is a Svix message id already applied. Deliberately unscoped:
// webhook sync, not tenant data.
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

// UpsertResult says what a sync write did to its row.
type UpsertResult int

const (
	// Unchanged: the row already held this version or a newer one (a stale
	// or repeated event), or the row is deleted.
	Unchanged UpsertResult = iota
	// Created: the row did not exist.
	Created
	// Updated: the row existed and now holds the new version.
	Updated
)

func (r UpsertResult) String() string {
	switch r {
	case Created:
		return "created"
	case Updated:
		return "updated"
	default:
		return "unchanged"
	}
}

// ClerkTime converts a Clerk epoch timestamp to a time. Clerk sends
// milliseconds, but some documented payloads use seconds: values above 1e12
// are taken as milliseconds. Zero gives the zero time.
func ClerkTime(v int64) time.Time {
	switch {
	case v == 0:
		return time.Time{}
	case v > 1e12 || v < -1e12:
		return time.UnixMilli(v).UTC()
	default:
		return time.Unix(v, 0).UTC()
	}
}

// upsertResult runs an INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING
// (xmax = 0) and tells a created row from an updated one; no row back means
// the WHERE refused the update.
func upsertResult(ctx context.Context, db *gorm.DB, query string, args ...any) (UpsertResult, error) {
	rows, err := db.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return Unchanged, err
	}
	defer rows.Close()
	result := Unchanged
	if rows.Next() {
		var inserted bool
		if err := rows.Scan(&inserted); err != nil {
			return Unchanged, err
		}
		result = Updated
		if inserted {
			result = Created
		}
	}
	return result, rows.Err()
}

// StringArray is a Postgres text[] column, encoded and decoded by pgx's
// own text[] codec (pgtype).
type StringArray []string

// GormDataType tells GORM the column type.
func (StringArray) GormDataType() string { return "text[]" }

// Value encodes a as a text[] literal such as {a,"b c"}.
func (a StringArray) Value() (driver.Value, error) {
	buf, err := pgtype.NewMap().Encode(pgtype.TextArrayOID, pgtype.TextFormatCode, []string(a), nil)
	if err != nil {
		return nil, fmt.Errorf("encode text[]: %w", err)
	}
	return string(buf), nil
}

// Scan decodes a text[] in Postgres' text format; NULL is nil.
func (a *StringArray) Scan(src any) error {
	var text []byte
	switch v := src.(type) {
	case nil:
		*a = nil
		return nil
	case string:
		text = []byte(v)
	case []byte:
		text = v
	default:
		return fmt.Errorf("scan text[]: unsupported type %T", src)
	}
	var elems []pgtype.Text
	if err := pgtype.NewMap().Scan(pgtype.TextArrayOID, pgtype.TextFormatCode, text, &elems); err != nil {
		return fmt.Errorf("scan text[]: %w", err)
	}
	out := make(StringArray, 0, len(elems))
	for _, e := range elems {
		if e.Valid { // a NULL element is no permission
			out = append(out, e.String)
		}
	}
	*a = out
	return nil
}
