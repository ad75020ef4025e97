package database_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"example.com/saas/internal/database"
	"example.com/saas/internal/testenv"
)

// openPipelining opens a pool of database.OpenLazy on a fresh database.
func openPipelining(t *testing.T) (*sql.DB, string) {
	t.Helper()
	url := testenv.NewDatabase(t)
	db, err := database.OpenLazy(url, database.Pool(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	return sqlDB, url
}

// setOrg is a prelude setting app.org for its statement.
func setOrg(org string) *database.Prelude {
	return &database.Prelude{SQL: "SELECT set_config('app.org', $1, true)", Args: []any{org}}
}

// TestPreludeValuesMatchPgxDriver: a statement sent with a prelude gives
// database/sql the same values as pgx's own driver, type by type (a batch
// gets some types in binary that the driver asks for as text).
func TestPreludeValuesMatchPgxDriver(t *testing.T) {
	t.Parallel()
	db, _ := openPipelining(t)
	const query = `SELECT 1::int2, 2::int4, 3::int8, 1.5::float4, 2.25::float8, true, 'x y'::text, 'v'::varchar,
'n'::name, '\x0102'::bytea, '{"a": [1]}'::jsonb, '{"a": [1]}'::json, '2026-12-07'::date,
'2026-12-07 10:00:01.5'::timestamp, '2026-12-07 10:00:01.5+02'::timestamptz,
'7f1c2a9e-0b4d-4c1e-9a51-3d2b8e6f0a11'::uuid, ARRAY['a', 'b c', NULL]::text[], ARRAY[1, 2]::int4[],
1.50::numeric, '10.0.0.1/8'::inet, interval '1 day 2 hours', 42::oid, NULL::text, NULL::int8,
'{"k"}'::text[] AS one`
	scan := func(args ...any) []any {
		rows, err := db.QueryContext(context.Background(), query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if !rows.Next() {
			t.Fatalf("no row: %v", rows.Err())
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if rows.Next() {
			t.Fatal("a second row")
		}
		return vals
	}
	plain, piped := scan(), scan(setOrg("org_a"))
	for i := range plain {
		if !reflect.DeepEqual(plain[i], piped[i]) {
			t.Errorf("column %d: pgx's driver gives %#v, the pipeline %#v", i+1, plain[i], piped[i])
		}
	}
}

// TestPreludeHoldsForItsStatementOnly: the prelude's settings hold for its
// statement (many rows of it) and are gone for the next statement on the
// same connection; a read-only prelude makes Postgres refuse a write.
func TestPreludeHoldsForItsStatementOnly(t *testing.T) {
	t.Parallel()
	db, _ := openPipelining(t)
	ctx := context.Background()
	conn := notesConn(t, db)

	rows, err := conn.QueryContext(ctx, "SELECT g, current_setting('app.org') FROM generate_series(1, 500) g", setOrg("org_a"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var g int
		var org string
		if err := rows.Scan(&g, &org); err != nil {
			t.Fatal(err)
		}
		if n++; g != n || org != "org_a" {
			t.Fatalf("row %d: %d, %q", n, g, org)
		}
	}
	if err := rows.Close(); err != nil || n != 500 {
		t.Fatalf("%d rows, %v", n, err)
	}
	var after sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT nullif(current_setting('app.org', true), '')").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after.Valid {
		t.Errorf("app.org after the statement = %q, want it unset", after.String)
	}

	readOnly := &database.Prelude{SQL: "SELECT set_config('transaction_read_only', 'on', true)"}
	_, err = conn.ExecContext(ctx, "INSERT INTO notes VALUES ('x')", readOnly)
	if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Errorf("a write after a read-only prelude: %v, want SQLSTATE 25006", err)
	}
	res, err := conn.ExecContext(ctx, "INSERT INTO notes VALUES ($1), ($2)", setOrg("org_a"), "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 2 {
		t.Errorf("rows affected = %d, want 2", n)
	}
	assertNotes(t, conn, 2)
}

// TestFailedPreludeSkipsItsStatement: when the prelude fails, its
// statement does not run.
func TestFailedPreludeSkipsItsStatement(t *testing.T) {
	t.Parallel()
	db, _ := openPipelining(t)
	ctx := context.Background()
	conn := notesConn(t, db)
	bad := &database.Prelude{SQL: "SELECT set_config('role', 'no_such_role', true)"}
	if _, err := conn.ExecContext(ctx, "INSERT INTO notes VALUES ('x')", bad); err == nil {
		t.Error("exec after a failed prelude succeeded")
	}
	if _, err := conn.QueryContext(ctx, "INSERT INTO notes VALUES ('x') RETURNING body", bad); err == nil {
		t.Error("query after a failed prelude succeeded")
	}
	assertNotes(t, conn, 0)
}

// TestPreludeRefusedWithoutPipelining: a pool pgx's driver opened directly
// refuses a statement with a prelude rather than running it without.
func TestPreludeRefusedWithoutPipelining(t *testing.T) {
	t.Parallel()
	_, url := openPipelining(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	ctx := context.Background()
	conn := notesConn(t, db)
	if _, err := conn.ExecContext(ctx, "INSERT INTO notes VALUES ('x')", setOrg("org_a")); err == nil {
		t.Error("exec with a prelude ran on a plain pool")
	}
	if _, err := conn.QueryContext(ctx, "INSERT INTO notes VALUES ('x') RETURNING body", setOrg("org_a")); err == nil {
		t.Error("query with a prelude ran on a plain pool")
	}
	assertNotes(t, conn, 0)
}

// notesConn takes one connection of db with an empty notes table.
func notesConn(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(context.Background(), "CREATE TABLE notes (body text)"); err != nil {
		t.Fatal(err)
	}
	return conn
}

func assertNotes(t *testing.T, conn *sql.Conn, want int) {
	t.Helper()
	var n int
	if err := conn.QueryRowContext(context.Background(), "SELECT count(*) FROM notes").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("notes = %d, want %d", n, want)
	}
}
