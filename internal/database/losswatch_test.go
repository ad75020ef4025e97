package database_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"example.com/saas/internal/database"
	"example.com/saas/internal/testenv"
)

// TestConnLossWatch: a connection closed under a failed statement turns on
// pings before reuse, unless the statement's own context had ended (a
// client that hung up): then pgx closed it, not the server, and checkouts
// stay free of the extra round trip.
func TestConnLossWatch(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testenv.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx) // closed, as pgx leaves a connection it gave up on
	busy := stdlib.ShouldPingParams{IdleDuration: time.Millisecond}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	var w database.LossWatch
	if database.ShouldPing(&w, ctx, busy) {
		t.Fatal("pings a busy connection before any loss")
	}
	w.TraceQueryEnd(cancelled, conn, pgx.TraceQueryEndData{Err: context.Canceled})
	if database.ShouldPing(&w, ctx, busy) {
		t.Error("a cancelled request's closed connection turned on pings")
	}
	w.TraceQueryEnd(ctx, conn, pgx.TraceQueryEndData{Err: errors.New("unexpected EOF")})
	if !database.ShouldPing(&w, ctx, busy) {
		t.Error("a connection the server closed did not turn on pings")
	}
}
