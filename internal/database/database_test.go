package database_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"example.com/saas/internal/database"
	"example.com/saas/internal/testenv"
)

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := testenv.EmptyDatabase(t)
	m, err := database.NewMigrator(dbURL, testenv.TenantRole)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	if pending, err := m.HasPending(ctx); err != nil || !pending {
		t.Fatalf("HasPending on an empty database = %v, %v; want true, nil", pending, err)
	}
	res, err := m.Up(ctx)
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	if len(res) == 0 {
		t.Fatal("Up applied nothing")
	}
	assertTables(t, dbURL, true)
	if pending, _ := m.HasPending(ctx); pending {
		t.Fatal("HasPending after Up = true")
	}

	// Roll every migration back, then forward again: each Down undoes its Up.
	for range res {
		if _, err := m.Down(ctx); err != nil {
			t.Fatalf("Down: %v", err)
		}
	}
	assertTables(t, dbURL, false)
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("Up again: %v", err)
	}
	assertTables(t, dbURL, true)
}

func TestTenantRoleExistsAndIsUsable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := testenv.NewDatabase(t)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var super, bypass bool
	err = conn.QueryRow(ctx, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", testenv.TenantRole).Scan(&super, &bypass)
	if err != nil {
		t.Fatalf("tenant role %q: %v", testenv.TenantRole, err)
	}
	if super || bypass {
		t.Fatalf("tenant role superuser=%v bypassrls=%v; want both false", super, bypass)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+testenv.TenantRole); err != nil {
		t.Fatalf("SET LOCAL ROLE: %v", err)
	}
	if _, err := tx.Exec(ctx, "SELECT count(*) FROM users"); err != nil {
		t.Fatalf("tenant role cannot read users: %v", err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO users (id) VALUES ('user_x')"); err == nil {
		t.Fatal("tenant role could write the synced users table; want permission denied")
	}
}

func assertTables(t *testing.T, dbURL string, want bool) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, table := range []string{"users", "organizations", "memberships", "webhook_events", "revoked_sessions"} {
		var got bool
		if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", "public."+table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("table %s exists = %v, want %v", table, got, want)
		}
	}
}
