package database_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"example.com/saas/internal/database"
	"example.com/saas/internal/testenv"
)

// TestPoolConnectionsCarryTimeouts: every connection of the pool has the
// configured statement_timeout and idle_in_transaction_session_timeout and
// the application name, so a stuck query is cancelled by Postgres and the
// app's backends can be told apart in pg_stat_activity.
func TestPoolConnectionsCarryTimeouts(t *testing.T) {
	t.Parallel()
	pool := database.Pool(2)
	pool.StatementTimeout, pool.IdleInTxTimeout, pool.AppName = 300*time.Millisecond, 7*time.Second, "app_test"
	db, err := database.Open(context.Background(), testenv.NewDatabase(t), pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })

	var st, idle, name string
	if err := db.Raw("SELECT current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout'), current_setting('application_name')").
		Row().Scan(&st, &idle, &name); err != nil {
		t.Fatal(err)
	}
	if st != "300ms" || idle != "7s" || name != "app_test" {
		t.Errorf("settings = %s, %s, %s; want 300ms, 7s, app_test", st, idle, name)
	}

	start := time.Now()
	err = db.Exec("SELECT pg_sleep(5)").Error
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("a 5 s query under a 300 ms statement_timeout: %v, want SQLSTATE 57014", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the stuck query held its connection for %s", d)
	}
}

// TestConnectTimeoutFromPool: the pool's connect timeout bounds dialling
// unless the URL asks for less; an application_name in the URL wins.
func TestConnectTimeoutFromPool(t *testing.T) {
	t.Parallel()
	cfg, err := database.ConnConfig("postgres://u@127.0.0.1:5432/db?connect_timeout=30", database.PoolConfig{ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnectTimeout != time.Second {
		t.Errorf("ConnectTimeout = %s, want the pool's 1s (shorter than the URL's 30s)", cfg.ConnectTimeout)
	}
	cfg, _ = database.ConnConfig("postgres://u@127.0.0.1:5432/db?connect_timeout=1&application_name=mine", database.PoolConfig{ConnectTimeout: 5 * time.Second, AppName: "app"})
	if cfg.ConnectTimeout != time.Second || cfg.RuntimeParams["application_name"] != "mine" {
		t.Errorf("ConnectTimeout = %s, application_name = %q; want the URL's 1s and mine", cfg.ConnectTimeout, cfg.RuntimeParams["application_name"])
	}
}
