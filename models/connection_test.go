package models_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

func TestIsConnectionLost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"connection exception class", fmt.Errorf("get: %w", &pgconn.PgError{Code: "08006"}), true},
		{"idle in transaction timeout", &pgconn.PgError{Code: "25P03"}, true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, false},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{"unexpected EOF", fmt.Errorf("receive: %w", io.ErrUnexpectedEOF), true},
		{"closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{"connect timeout", &pgconn.ConnectError{Config: &pgconn.Config{}}, true},
		{"not found", models.ErrNotFound, false},
		{"an HTTP call's reset", fmt.Errorf("clerk: %w", &url.Error{Op: "Post", URL: "https://api.clerk.com", Err: syscall.ECONNRESET}), false},
		{"other", errors.New("boom"), false},
	}
	for _, tt := range tests {
		if got := models.IsConnectionLost(tt.err); got != tt.want {
			t.Errorf("%s: IsConnectionLost(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// killer terminates the backends of the test database in state (such as
// "idle in transaction": the transaction under test, between two of its
// statements), from a connection of its own.
func killer(t *testing.T, dbURL string) func(state string) {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return func(state string) {
		t.Helper()
		tag, err := c.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = $1`, state)
		if err != nil || tag.RowsAffected() == 0 {
			t.Fatalf("terminate the backends %s: %v (%d)", state, err, tag.RowsAffected())
		}
	}
}

const inTx, idle = "idle in transaction", "idle"

// A tenant transaction whose connection dies before it wrote anything runs
// again on another connection: read-only ones whatever they ran, others
// until their first write. One that may have written is never run again:
// its error says the connection was lost, and nothing of it is committed.
func TestInTenantRunsAgainAfterALostConnection(t *testing.T) {
	t.Parallel()
	db, dbURL, ctxA, _ := tenantFixtureURL(t)
	kill := killer(t, dbURL)
	mustProject(t, ctxA, db, "Existing")

	tests := []struct {
		name      string
		ctx       context.Context
		held      string // the state of the transaction's backend when it is killed
		wantRuns  int
		wantLost  bool
		wantSaved int64
		work      func(tx *gorm.DB) error
	}{
		{"read-only", models.ReadOnly(ctxA), idle, 2, false, 0, func(tx *gorm.DB) error {
			_, err := models.ListProjects(ctxA, tx, models.ListOptions{})
			return err
		}},
		{"read-write, before any write", ctxA, inTx, 2, false, 1, func(tx *gorm.DB) error {
			if _, err := models.ListProjects(ctxA, tx, models.ListOptions{}); err != nil {
				return err
			}
			_, err := models.CreateProject(ctxA, tx, models.ProjectFields{Name: "Made once"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := 0
			err := models.InTenant(tt.ctx, db, testenv.TenantRole, func(tx *gorm.DB) error {
				runs++
				if runs == 1 {
					kill(tt.held)
				}
				return tt.work(tx)
			})
			if err != nil || runs != tt.wantRuns {
				t.Fatalf("InTenant = %v after %d runs, want nil after %d", err, runs, tt.wantRuns)
			}
		})
	}
	if n := countProjects(t, db, "Made once"); n != 1 {
		t.Errorf("%d projects made by the work that ran twice, want 1", n)
	}

	t.Run("after a write", func(t *testing.T) {
		runs := 0
		err := models.InTenant(ctxA, db, testenv.TenantRole, func(tx *gorm.DB) error {
			runs++
			if _, err := models.CreateProject(ctxA, tx, models.ProjectFields{Name: "Never saved"}); err != nil {
				return err
			}
			kill(inTx)
			_, err := models.ListProjects(ctxA, tx, models.ListOptions{})
			return err
		})
		if runs != 1 || !models.IsConnectionLost(err) {
			t.Fatalf("InTenant = %v after %d runs, want a lost connection after 1", err, runs)
		}
		if n := countProjects(t, db, "Never saved"); n != 0 {
			t.Errorf("the dead transaction's project was saved %d times", n)
		}
	})

	t.Run("after raw SQL", func(t *testing.T) {
		runs := 0
		err := models.InTenant(ctxA, db, testenv.TenantRole, func(tx *gorm.DB) error {
			runs++
			if err := tx.Exec("SELECT 1").Error; err != nil { // raw: may have written, as far as GORM can tell
				return err
			}
			kill(inTx)
			_, err := models.ListProjects(ctxA, tx, models.ListOptions{})
			return err
		})
		if runs != 1 || !models.IsConnectionLost(err) {
			t.Fatalf("InTenant = %v after %d runs, want a lost connection after 1", err, runs)
		}
	})

	t.Run("only once", func(t *testing.T) {
		runs := 0
		err := models.InTenant(models.ReadOnly(ctxA), db, testenv.TenantRole, func(tx *gorm.DB) error {
			runs++
			kill(idle) // a read-only transaction holds nothing open between its statements
			_, err := models.ListProjects(ctxA, tx, models.ListOptions{})
			return err
		})
		if runs != 2 || !models.IsConnectionLost(err) {
			t.Fatalf("InTenant = %v after %d runs, want a lost connection after 2", err, runs)
		}
	})

	t.Run("other errors are not retried", func(t *testing.T) {
		runs := 0
		err := models.InTenant(models.ReadOnly(ctxA), db, testenv.TenantRole, func(tx *gorm.DB) error {
			runs++
			_, err := models.GetProject(ctxA, tx, "00000000-0000-0000-0000-000000000000")
			return err
		})
		if runs != 1 || !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("InTenant = %v after %d runs, want not found after 1", err, runs)
		}
	})
}

// A READ ONLY tenant transaction cannot write: Postgres refuses.
func TestReadOnlyTenantTransactionRefusesWrites(t *testing.T) {
	t.Parallel()
	db, ctxA, _ := tenantFixture(t)
	err := models.InTenant(models.ReadOnly(ctxA), db, testenv.TenantRole, func(tx *gorm.DB) error {
		_, err := models.CreateProject(ctxA, tx, models.ProjectFields{Name: "Written in a read"})
		return err
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Fatalf("a write in a read-only tenant transaction: %v, want SQLSTATE 25006", err)
	}
	if n := countProjects(t, db, "Written in a read"); n != 0 {
		t.Errorf("%d projects written", n)
	}
}

// The reads every request makes outside a transaction (the directory's,
// the revocation check) run again once on a lost connection: here every
// idle connection of the pool was terminated a moment after use, before
// the pool had any reason to ping it.
func TestReadsOutsideTransactionsRunAgain(t *testing.T) {
	t.Parallel()
	db, dbURL, _, _ := tenantFixtureURL(t)
	kill := killer(t, dbURL)
	for range 3 {
		if err := db.Exec("SELECT 1").Error; err != nil {
			t.Fatal(err)
		}
		kill(idle)
		if _, err := models.TenantForSlug(context.Background(), db, "org-a", userA); err != nil {
			t.Fatalf("tenant lookup after its connection was terminated: %v", err)
		}
		if _, err := models.IsSessionRevoked(context.Background(), db, "sess_x"); err != nil {
			t.Fatalf("revocation check: %v", err)
		}
	}
}

// countProjects counts projects named name in every organization.
func countProjects(t *testing.T, db *gorm.DB, name string) int64 {
	t.Helper()
	var n int64
	if err := db.Raw("SELECT count(*) FROM projects WHERE name = ?", name).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
