package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

func TestUserLastWriterWins(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	ctx := context.Background()
	t1 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Minute)

	res, err := models.UpsertUser(ctx, db, models.User{ID: "user_1", Email: "new@example.com", FirstName: "New"}, t2)
	if err != nil || res != models.Created {
		t.Fatalf("first upsert = %v, %v; want created", res, err)
	}
	res, err = models.UpsertUser(ctx, db, models.User{ID: "user_1", Email: "old@example.com", FirstName: "Old"}, t1)
	if err != nil || res != models.Unchanged {
		t.Fatalf("stale upsert = %v, %v; want unchanged", res, err)
	}
	res, err = models.UpsertUser(ctx, db, models.User{ID: "user_1", Email: "new@example.com", FirstName: "New"}, t2)
	if err != nil || res != models.Unchanged {
		t.Fatalf("same version = %v, %v; want unchanged", res, err)
	}
	u, err := models.GetUser(ctx, db, "user_1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "new@example.com" || u.DisplayName() != "New" {
		t.Errorf("user = %+v, want the newer version", u)
	}

	if _, err := models.DeleteUser(ctx, db, "user_1", t2.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	res, err = models.UpsertUser(ctx, db, models.User{ID: "user_1", Email: "later@example.com"}, t2.Add(time.Hour))
	if err != nil || res != models.Unchanged {
		t.Fatalf("upsert after delete = %v, %v; want unchanged", res, err)
	}
	u, _ = models.GetUser(ctx, db, "user_1")
	if !u.Deleted() || u.Email != "" || u.FirstName != "" {
		t.Errorf("deleted user = %+v, want cleared and deleted", u)
	}
	if _, err := models.GetUser(ctx, db, "user_missing"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("missing user: err = %v, want ErrNotFound", err)
	}
}

func TestEnsureUserKeepsEventsApplicable(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	ctx := context.Background()
	if err := models.EnsureUser(ctx, db, models.User{ID: "user_1", Email: "stub@example.com", FirstName: "Stub"}); err != nil {
		t.Fatal(err)
	}
	res, err := models.UpsertUser(ctx, db, models.User{ID: "user_1", Email: "real@example.com"}, time.Unix(1, 0))
	if err != nil || res != models.Updated {
		t.Fatalf("upsert over stub = %v, %v; want updated", res, err)
	}
	if err := models.EnsureUser(ctx, db, models.User{ID: "user_1", Email: "stub@example.com"}); err != nil {
		t.Fatal(err)
	}
	u, _ := models.GetUser(ctx, db, "user_1")
	if u.Email != "real@example.com" {
		t.Errorf("email = %q, want the real event's", u.Email)
	}
}

func TestPrimaryEmail(t *testing.T) {
	t.Parallel()
	addrs := []models.EmailAddress{{ID: "a", EmailAddress: "a@x"}, {ID: "b", EmailAddress: "b@x"}}
	tests := []struct {
		name    string
		primary string
		addrs   []models.EmailAddress
		want    string
	}{
		{"primary", "b", addrs, "b@x"},
		{"primary missing", "zz", addrs, "a@x"},
		{"none", "a", nil, ""},
	}
	for _, tt := range tests {
		if got := models.PrimaryEmail(tt.primary, tt.addrs); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestClerkTime(t *testing.T) {
	t.Parallel()
	if got, want := models.ClerkTime(1716883200), time.Unix(1716883200, 0).UTC(); !got.Equal(want) {
		t.Errorf("seconds: got %v, want %v", got, want)
	}
	if got, want := models.ClerkTime(1654012591835), time.UnixMilli(1654012591835).UTC(); !got.Equal(want) {
		t.Errorf("milliseconds: got %v, want %v", got, want)
	}
	if !models.ClerkTime(0).IsZero() {
		t.Error("zero should be the zero time")
	}
}
