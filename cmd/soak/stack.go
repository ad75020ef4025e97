package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/saas/internal/devpg"
	"example.com/saas/internal/stack"
)

// product is the product running in this process, as `make run` runs it: a
// fresh database on the local cluster (or DATABASE_URL's server), the Clerk
// emulator, and the app.
type product struct {
	url  string // the app's base URL
	emu  *stack.Emulator
	db   *stack.Database
	logs *logCounter
	stop func()
}

// startProduct starts everything; stop undoes it, dropping the database
// unless keep.
func startProduct(ctx context.Context, keep bool) (*product, error) {
	admin, err := devpg.Server(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return nil, err
	}
	p := &product{logs: &logCounter{}}
	var undo []func()
	p.stop = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	fail := func(err error) (*product, error) { p.stop(); return nil, err }

	if p.db, err = stack.NewDatabase(ctx, admin, "soak"); err != nil {
		return nil, err
	}
	if !keep {
		undo = append(undo, p.dropDatabase)
	}
	port, err := devpg.FreePort()
	if err != nil {
		return fail(err)
	}
	p.url = stack.BaseURL(port)
	if p.emu, err = stack.StartEmulator(ctx, stack.EmulatorConfig{AppURL: p.url}); err != nil {
		return fail(err)
	}
	undo = append(undo, p.emu.Close)

	stopApp, err := p.startApp(ctx, port)
	if err != nil {
		return fail(err)
	}
	undo = append(undo, stopApp)

	// As make run does: the app learns the seeded users and organizations.
	p.emu.DeliverSeed()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.emu.WaitIdle(wctx); err != nil {
		return fail(fmt.Errorf("seed webhooks: %w", err))
	}
	return p, nil
}

// startApp runs the app on port against the emulator and the database, and
// returns what stops it.
func (p *product) startApp(ctx context.Context, port int) (func(), error) {
	vars := stack.Settings(p.emu, port, p.db.URL)
	// One address and two users send everything: the soak measures the
	// app, not the per-user and per-address limiters.
	vars["API_RATE_LIMIT"] = "0"
	vars["WEBHOOK_RATE_LIMIT"] = "0"
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	app, err := stack.StartApp(sctx, vars, p.logs)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, p.logs.notable())
	}
	return func() {
		if err := app.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "soak: the app stopped with %v\n", err)
		}
	}, nil
}

// dropDatabase drops the soak's database, saying so when it cannot.
func (p *product) dropDatabase() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.db.Drop(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
	}
}

// dbConnections counts the sessions connected to the soak's database.
func (p *product) dbConnections(ctx context.Context) (int, error) {
	return p.count(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
}

// count runs a one-number query on the soak's database (as its owner, so
// row-level security does not apply).
func (p *product) count(ctx context.Context, sql string, args ...any) (int, error) {
	conn, err := pgx.Connect(ctx, p.db.URL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, sql, args...).Scan(&n)
	return n, err
}
