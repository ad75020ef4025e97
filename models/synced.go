package models

// The synced tables — users, organizations, memberships, revoked sessions —
// are Clerk's data, mirrored here: the webhook handler, `go run . sync` and
// the pages that change something in Clerk write them (internal/clerksync),
// always as Clerk last said it (last writer wins by Clerk's updated_at;
// deletions are final). webhook_events and deleted_memberships are that
// sync's own state. Their functions live in the synced_*.go files.
//
// They are not tenant-owned, so none of them goes through the tenant scope
// or takes the organization from the context, and that is on purpose: they
// are what decides the tenant in the first place (TenantForSlug), they are
// written by Clerk's events for every organization at once, and a user's
// name is shown in every organization they belong to. The tenant role may
// read them, never write them (migration 00001). So the rule for callers
// is: a synced-table function trusts the ids it is given; reach it only
// with ids the request was already allowed (the tenant's own organization,
// a verified session's user), or from sync. Reads of one tenant's members
// for its pages take the organization from the context instead (members.go).

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"gorm.io/gorm"
)

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

// NullableText is a text column that may be NULL, read as "" (a deleted
// organization's slug is NULL so the slug can be reused).
type NullableText string

// Value stores "" as NULL.
func (s NullableText) Value() (driver.Value, error) {
	if s == "" {
		return nil, nil
	}
	return string(s), nil
}

// Scan reads NULL as "".
func (s *NullableText) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s = ""
	case string:
		*s = NullableText(v)
	case []byte:
		*s = NullableText(v)
	default:
		return fmt.Errorf("scan text: unsupported type %T", src)
	}
	return nil
}

// Channels notified on commit, which internal/live follows.
const (
	// DirectoryChannel: every statement that changes users, organizations
	// or memberships (the triggers of migration 00004).
	DirectoryChannel = "app_directory_changed"
	// RevokedChannel: RevokeSession, with the session id.
	RevokedChannel = "app_session_revoked"
)
