package models

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ListOptions page through a list: Cursor is the opaque NextCursor of the
// previous page, Limit the page size (see pageLimit).
type ListOptions struct {
	// Query filters by name (case-insensitive substring), in the lists that
	// have one.
	Query  string
	Limit  int
	Cursor string
	// Until is the cursor of the last row to list, in the lists that take
	// one (tasks): later rows are left out.
	Until string
}

// Page is one page of a keyset-paginated list: Items in the list's order,
// and NextCursor to ask for the page after it ("" on the last page).
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// ErrInvalidCursor: a pagination cursor that this app did not make.
var ErrInvalidCursor = errors.New("invalid pagination cursor")

// keyed is a row that a keyset list can be paged on: every tenant row's
// sort key is (created_at, id).
type keyed interface {
	pageKey() (createdAt time.Time, id string)
}

// order is the direction of a keyset list on (created_at, id).
type order int

const (
	newestFirst order = iota // created_at DESC, id DESC
	oldestFirst              // created_at, id
)

// clauses returns the condition that keeps the rows after a cursor's
// (created_at, id), and the ORDER BY, of o. Both compare the row value
// (created_at, id), so the index (organization_id, created_at, id) serves
// either direction.
func (o order) clauses() (after, orderBy string) {
	if o == oldestFirst {
		return "(created_at, id) > (?, CAST(? AS uuid))", "created_at, id"
	}
	return "(created_at, id) < (?, CAST(? AS uuid))", "created_at DESC, id DESC"
}

// listPage runs q, which states only a list's filters, as one page of that
// list in order o: the rows after cursor (from the start when it is ""), at
// most pageLimit(limit) of them, with the NextCursor of the last one when
// more follow. It fetches one row more than the page to know. A cursor this
// app did not make is ErrInvalidCursor, before any query.
func listPage[T keyed](q *gorm.DB, o order, cursor string, limit int) (Page[T], error) {
	n := pageLimit(limit)
	after, orderBy := o.clauses()
	if cursor != "" {
		at, id, err := decodeCursor(cursor)
		if err != nil {
			return Page[T]{}, err
		}
		q = q.Where(after, at, id)
	}
	var rows []T
	if err := q.Order(orderBy).Limit(n + 1).Find(&rows).Error; err != nil {
		return Page[T]{}, err
	}
	page := Page[T]{Items: rows}
	if len(rows) > n {
		page.Items = rows[:n]
		page.NextCursor = encodeCursor(rows[n-1].pageKey())
	}
	return page, nil
}

// pageLimit bounds a requested page size: default 20, at most 100.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return 20
	case n > 100:
		return 100
	default:
		return n
	}
}

// encodeCursor makes an opaque keyset cursor from a row's sort key.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "," + id))
}

// decodeCursor returns the sort key that encodeCursor made c from;
// ErrInvalidCursor for anything else, so only a time and a UUID reach SQL.
func decodeCursor(c string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", ErrInvalidCursor
	}
	ts, id, ok := strings.Cut(string(raw), ",")
	at, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil || !ValidID(id) {
		return time.Time{}, "", ErrInvalidCursor
	}
	return at, id, nil
}
