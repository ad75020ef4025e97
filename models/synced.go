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

// syncedTable is a synced table whose rows Clerk deletes: users or
// organizations.
type syncedTable struct {
	name, noun string
	// clear is the SET list that empties a deleted row (personal data, a slug).
	clear string
	// memberOf is the memberships column that names its rows.
	memberOf string
}

var (
	syncedUsers         = syncedTable{"users", "user", "email = '', first_name = '', last_name = '', image_url = '', last_organization_id = NULL", "user_id"}
	syncedOrganizations = syncedTable{"organizations", "organization", "slug = NULL", "organization_id"}
)

// softDelete deletes row id of t at at (the deletion's time): what the row
// held is cleared, deleted_at set, and its memberships removed at once. A
// row never synced gets a tombstone, so a late create cannot bring it back.
// Deleting twice changes nothing.
func softDelete(ctx context.Context, db *gorm.DB, t syncedTable, id string, at time.Time) (UpsertResult, error) {
	res, err := upsertResult(ctx, db, `
INSERT INTO `+t.name+` AS t (id, clerk_updated_at, deleted_at) VALUES (?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    `+t.clear+`, clerk_updated_at = GREATEST(t.clerk_updated_at, EXCLUDED.clerk_updated_at),
    deleted_at = EXCLUDED.deleted_at, updated_at = now()
WHERE t.deleted_at IS NULL
RETURNING (xmax = 0)`, id, at, at)
	if err != nil {
		return Unchanged, fmt.Errorf("delete %s %s: %w", t.noun, id, err)
	}
	if err := db.WithContext(ctx).Exec(`DELETE FROM memberships WHERE `+t.memberOf+` = ?`, id).Error; err != nil {
		return Unchanged, fmt.Errorf("delete memberships of %s %s: %w", t.noun, id, err)
	}
	return res, nil
}

// ActiveUserIDsBefore lists users not deleted whose row was last written
// before t (reconcile uses it to find users Clerk no longer has without
// touching rows a webhook wrote meanwhile).
func ActiveUserIDsBefore(ctx context.Context, db *gorm.DB, t time.Time) ([]string, error) {
	return activeIDsBefore(ctx, db, syncedUsers, t)
}

// ActiveOrganizationIDsBefore lists organizations not deleted whose row was
// last written before t (for reconcile).
func ActiveOrganizationIDsBefore(ctx context.Context, db *gorm.DB, t time.Time) ([]string, error) {
	return activeIDsBefore(ctx, db, syncedOrganizations, t)
}

// activeIDsBefore lists the rows of t not deleted and last written before
// at: reconcile looks among them for rows Clerk no longer has, without
// touching rows a webhook wrote meanwhile.
func activeIDsBefore(ctx context.Context, db *gorm.DB, t syncedTable, at time.Time) ([]string, error) {
	var ids []string
	err := db.WithContext(ctx).Table(t.name).Where("deleted_at IS NULL AND updated_at < ?", at).Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", t.name, err)
	}
	return ids, nil
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
