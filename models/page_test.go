package models

import (
	"encoding/base64"
	"errors"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
)

// pageRow is a row of the test's own table page_rows: listPage needs only a
// (created_at, id) key, so the helper is tested apart from tenancy.
type pageRow struct {
	ID        string
	CreatedAt time.Time
	Label     string
}

func (pageRow) TableName() string { return "page_rows" }

func (r pageRow) pageKey() (time.Time, string) { return r.CreatedAt, r.ID }

// pageRowsFixture creates page_rows with five "walk" rows, two of them at
// the same instant (the id breaks the tie), and 120 "bulk" rows. It returns
// the walk rows' ids oldest first.
func pageRowsFixture(t *testing.T) (*gorm.DB, []string) {
	t.Helper()
	db, _ := testenv.DB(t)
	base := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	walk := []pageRow{
		{ID: "00000000-0000-4000-8000-000000000001", CreatedAt: base},
		{ID: "00000000-0000-4000-8000-000000000002", CreatedAt: base.Add(time.Second)},
		{ID: "00000000-0000-4000-8000-000000000003", CreatedAt: base.Add(time.Second)},
		{ID: "00000000-0000-4000-8000-000000000004", CreatedAt: base.Add(2 * time.Second)},
		{ID: "00000000-0000-4000-8000-000000000005", CreatedAt: base.Add(3 * time.Second)},
	}
	setup := []string{
		`CREATE TABLE page_rows (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), created_at timestamptz NOT NULL, label text NOT NULL)`,
		`INSERT INTO page_rows (created_at, label) SELECT now() - make_interval(secs => g), 'bulk' FROM generate_series(1, 120) g`,
	}
	for _, sql := range setup {
		if err := db.Exec(sql).Error; err != nil {
			t.Fatal(err)
		}
	}
	ids := make([]string, len(walk))
	// Inserted out of order, so that the order comes from ORDER BY.
	for _, i := range []int{3, 0, 4, 2, 1} {
		walk[i].Label = "walk"
		if err := db.Create(&walk[i]).Error; err != nil {
			t.Fatal(err)
		}
		ids[i] = walk[i].ID
	}
	return db, ids
}

// walkPages lists the walk rows in order o, limit rows a page, following
// NextCursor to the end, and returns each page's ids.
func walkPages(t *testing.T, db *gorm.DB, o order, limit int) [][]string {
	t.Helper()
	var pages [][]string
	cursor := ""
	for range 10 {
		page, err := listPage[pageRow](db.Where("label = ?", "walk"), o, cursor, limit)
		if err != nil {
			t.Fatalf("page %d: %v", len(pages)+1, err)
		}
		var ids []string
		for _, r := range page.Items {
			ids = append(ids, r.ID)
		}
		pages = append(pages, ids)
		if page.NextCursor == "" {
			return pages
		}
		last := page.Items[len(page.Items)-1]
		if at, id, err := decodeCursor(page.NextCursor); err != nil || !at.Equal(last.CreatedAt) || id != last.ID {
			t.Fatalf("NextCursor %q decodes to %v %q %v, want the last row's key %v %q", page.NextCursor, at, id, err, last.CreatedAt, last.ID)
		}
		cursor = page.NextCursor
	}
	t.Fatalf("no last page after 10 pages: %v", pages)
	return nil
}

func TestListPage(t *testing.T) {
	t.Parallel()
	db, ids := pageRowsFixture(t)
	reversed := slices.Clone(ids)
	slices.Reverse(reversed)

	tests := []struct {
		name  string
		o     order
		limit int
		want  [][]string
	}{
		{"oldest first, a page edge between two rows of one instant", oldestFirst, 2, [][]string{ids[0:2], ids[2:4], ids[4:5]}},
		{"newest first", newestFirst, 2, [][]string{reversed[0:2], reversed[2:4], reversed[4:5]}},
		{"oldest first, three a page", oldestFirst, 3, [][]string{ids[0:3], ids[3:5]}},
		{"exact limit: no cursor", newestFirst, 5, [][]string{reversed}},
		{"one short of all", oldestFirst, 4, [][]string{ids[0:4], ids[4:5]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := walkPages(t, db, tt.o, tt.limit); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("pages = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("default and maximum size", func(t *testing.T) {
		for limit, want := range map[int]int{0: 20, -1: 20, 100: 100, 101: 100, 1000: 100} {
			page, err := listPage[pageRow](db.Where("label = ?", "bulk"), newestFirst, "", limit)
			if err != nil || len(page.Items) != want || page.NextCursor == "" {
				t.Errorf("limit %d: %d rows, cursor %q, %v; want %d and a cursor", limit, len(page.Items), page.NextCursor, err, want)
			}
		}
	})

	t.Run("invalid cursor", func(t *testing.T) {
		forged := []string{
			"not a cursor",
			base64.RawURLEncoding.EncodeToString([]byte("2026-01-01T00:00:00Z,' OR 1=1 --")),
			base64.RawURLEncoding.EncodeToString([]byte("yesterday," + ids[0])),
		}
		for _, c := range forged {
			// A table that does not exist: the cursor is refused before any query.
			_, err := listPage[pageRow](db.Table("no_such_table"), oldestFirst, c, 2)
			if !errors.Is(err, ErrInvalidCursor) {
				t.Errorf("cursor %q: err = %v, want ErrInvalidCursor", c, err)
			}
		}
	})
}

// The cursor format is public in links and API answers: base64url (no
// padding) of "RFC 3339 time in UTC,uuid". Cursors handed out before must
// keep decoding.
func TestCursorFormat(t *testing.T) {
	t.Parallel()
	id := "0b8d1e4c-5f7a-4a57-9d6b-2f1c0e9a8b7c"
	at := time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.FixedZone("CET", 3600))
	want := base64.RawURLEncoding.EncodeToString([]byte("2026-01-02T02:04:05.6Z," + id))
	if got := encodeCursor(at, id); got != want {
		t.Errorf("encodeCursor = %q, want %q", got, want)
	}
	gotAt, gotID, err := decodeCursor(want)
	if err != nil || !gotAt.Equal(at) || gotID != id {
		t.Errorf("decodeCursor(%q) = %v %q %v, want %v %q", want, gotAt, gotID, err, at, id)
	}
	if _, _, err := decodeCursor(want + "="); !errors.Is(err, ErrInvalidCursor) {
		t.Errorf("padded cursor: err = %v, want ErrInvalidCursor", err)
	}
}
