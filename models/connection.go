package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// IsConnectionLost reports whether err says the database connection was
// lost or could not be made — a failover, a restart, a pooler restart,
// pg_terminate_backend, the idle-in-transaction timeout — rather than
// anything about the statement itself. Such an error is no fault of the
// request: the handlers answer 503 with Retry-After.
func IsConnectionLost(err error) bool {
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true // no connection could be made (DB_CONNECT_TIMEOUT included)
	}
	var httpErr *url.Error
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false // the request's own deadline or cancellation
	}
	if errors.As(err, &httpErr) {
		return false // an HTTP call's (Clerk's), which may have been applied: never run again
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", // admin_shutdown: pg_terminate_backend, a fast shutdown
			"57P02", // crash_shutdown
			"57P03", // cannot_connect_now: starting up, shutting down, recovery
			"25P03", // idle_in_transaction_session_timeout
			"57P05": // idle_session_timeout
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08") // connection_exception
	}
	var netErr net.Error
	switch {
	case pgconn.SafeToRetry(err),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	case errors.As(err, &netErr):
		return !netErr.Timeout() // a timeout is the request's deadline, not a loss
	}
	return false
}

// IsQueryTimeout reports whether Postgres cancelled a statement that ran
// past statement_timeout (while the request itself still had time).
func IsQueryTimeout(ctx context.Context, err error) bool {
	var pgErr *pgconn.PgError
	return ctx.Err() == nil && errors.As(err, &pgErr) && pgErr.Code == "57014"
}

// retryable reports whether work that failed with err may run once more on
// another connection, the work being known to have written nothing: the
// connection was lost (not a failed dial: a database that cannot be
// reached now will not be reached a moment later, and the request should
// hear so at once) and the request still has time.
func retryable(ctx context.Context, err error) bool {
	var connectErr *pgconn.ConnectError
	return ctx.Err() == nil && IsConnectionLost(err) && !errors.As(err, &connectErr)
}

// retryPause is the wait before work runs again after a lost connection.
// A failover or pg_terminate_backend ends the connections one after the
// other: run again at once, the work may take a pooled connection whose end
// is on its way. After the pause the pool finds those dead (it pings every
// connection it hands out for a while after a loss: internal/database).
const retryPause = 25 * time.Millisecond

// pauseBeforeRetry waits retryPause, or less if ctx ends first (then false).
func pauseBeforeRetry(ctx context.Context) bool {
	t := time.NewTimer(retryPause)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// readAgain runs read, and once more when it failed on a lost connection
// outside a transaction. read must only read: running it twice is then
// harmless, and its second run takes another connection (the pool drops
// the dead one).
func readAgain(ctx context.Context, db *gorm.DB, read func() error) error {
	err := read()
	if err == nil || !retryable(ctx, err) {
		return err
	}
	if _, inTx := openTx(db); inTx {
		return err // the transaction is gone with its connection
	}
	if !pauseBeforeRetry(ctx) {
		return err
	}
	return read()
}

// readOnlyKey marks a context whose tenant work only reads.
type readOnlyKey struct{}

// ReadOnly returns a context whose tenant transactions (InTenant) are READ
// ONLY: Postgres refuses any write in them, so one that loses its
// connection can always run again. The handlers mark GET and HEAD
// requests so.
func ReadOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyKey{}, true)
}

// IsReadOnly reports whether ctx was marked by ReadOnly.
func IsReadOnly(ctx context.Context) bool {
	v, _ := ctx.Value(readOnlyKey{}).(bool)
	return v
}

// readValue is readAgain for a read that returns one value.
func readValue[T any](ctx context.Context, db *gorm.DB, read func() (T, error)) (T, error) {
	var v T
	err := readAgain(ctx, db, func() error {
		var err error
		v, err = read()
		return err
	})
	return v, err
}
