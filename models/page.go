package models

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// ListOptions page through a list: Cursor is the opaque NextCursor of the
// previous page, Limit the page size (see pageLimit).
type ListOptions struct {
	// Query filters by name (case-insensitive substring), in the lists that
	// have one.
	Query  string
	Limit  int
	Cursor string
}

// ErrInvalidCursor: a pagination cursor that this app did not make.
var ErrInvalidCursor = errors.New("invalid pagination cursor")

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
