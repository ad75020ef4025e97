package models_test

import (
	"slices"
	"testing"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// StringArray goes through Postgres and back unchanged, whatever its
// elements hold; '{}' is an empty array, NULL is nil, and a NULL element
// (never written by the app) is dropped rather than failing the row.
func TestStringArrayRoundTrip(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	for _, tt := range []struct {
		name string
		in   models.StringArray
	}{
		{"empty", models.StringArray{}},
		{"plain", models.StringArray{"org:projects:read", "org:sys_memberships:manage"}},
		{"quoting", models.StringArray{`a"b`, `back\slash`, "comma,here", "{braces}", " spaced ", "NULL", ""}},
		{"unicode", models.StringArray{"org:projets:gérer", "日本"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got models.StringArray
			if err := db.Raw("SELECT CAST(? AS text[])", tt.in).Row().Scan(&got); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.in) || got == nil {
				t.Errorf("round trip = %q, want %q", got, tt.in)
			}
		})
	}
	for _, tt := range []struct {
		sql  string
		want models.StringArray
	}{
		{"SELECT CAST(NULL AS text[])", nil},
		{"SELECT ARRAY['a', NULL, 'b']", models.StringArray{"a", "b"}},
	} {
		got := models.StringArray{"stale"}
		if err := db.Raw(tt.sql).Row().Scan(&got); err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		if !slices.Equal(got, tt.want) || (tt.want == nil) != (got == nil) {
			t.Errorf("%s = %#v, want %#v", tt.sql, got, tt.want)
		}
	}
}
