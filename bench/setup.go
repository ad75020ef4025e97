package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"example.com/saas/bench/load"
	"example.com/saas/internal/devpg"
	"example.com/saas/internal/stack"
)

// env is what both modes set up: Postgres, a work directory, binaries.
type env struct {
	root, work, admin string
	appBin, baseBin   string
	gen               load.Generator
	cleanup           []func()
}

// close undoes the setup, last step first.
func (e *env) close() {
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		e.cleanup[i]()
	}
}

// setup picks the load generator, makes the work directory, builds the
// app (and the baseline when needBaseline) and finds Postgres.
func setup(ctx context.Context, o options, needBaseline bool) (*env, error) {
	e := &env{}
	var err error
	if e.gen, err = load.Pick(o.loadgen); err != nil {
		return nil, err
	}
	if e.root, err = devpg.RepoRoot(); err != nil {
		return nil, err
	}
	if e.work, err = os.MkdirTemp("", "saas-bench-"); err != nil {
		return nil, err
	}
	if o.Keep {
		fmt.Printf("work directory (logs): %s\n", e.work)
	} else {
		e.cleanup = append(e.cleanup, func() { os.RemoveAll(e.work) })
	}
	step("building the app and the baseline")
	if e.appBin, err = build(ctx, e.root, e.work, ".", "saas"); err != nil {
		e.close()
		return nil, err
	}
	if needBaseline {
		if e.baseBin, err = build(ctx, e.root, e.work, "./bench/baseline", "baseline"); err != nil {
			e.close()
			return nil, err
		}
	}
	step("starting Postgres")
	if e.admin, err = devpg.Server(ctx, os.Getenv("DATABASE_URL")); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// database creates a fresh migrated database, dropped at the end unless
// -keep.
func (e *env) database(ctx context.Context, o options, prefix string) (*stack.Database, error) {
	db, err := stack.NewDatabase(ctx, e.admin, prefix)
	if err != nil {
		return nil, err
	}
	if o.Keep {
		fmt.Printf("database kept: %s\n", db.URL)
	} else {
		e.cleanup = append(e.cleanup, func() { drop(db) })
	}
	return db, nil
}

// drop drops db, saying so when it cannot.
func drop(db *stack.Database) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.Drop(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
	}
}

// startApp starts the app on a free port against emu and dbURL.
func (e *env) startApp(ctx context.Context, o options, emu *stack.Emulator, dbURL, name string) (*server, error) {
	port, err := devpg.FreePort()
	if err != nil {
		return nil, err
	}
	return e.runApp(ctx, o, o.appVars(emu, dbURL, port), name)
}

// runApp runs the app with vars as a process (or in this process when
// profiling), logging to <name>.log in the work directory.
func (e *env) runApp(ctx context.Context, o options, vars map[string]string, name string) (*server, error) {
	logPath := filepath.Join(e.work, name+".log")
	if o.profiling() {
		return startAppInProcess(ctx, vars, logPath)
	}
	return startProcess(name, e.appBin, vars, e.work, logPath, "http://127.0.0.1:"+vars["PORT"], "/readyz")
}

// startBaseline starts bench/baseline with padBytes of filler per page.
func (e *env) startBaseline(o options, emu *stack.Emulator, dbURL string, padBytes int) (*server, error) {
	port, err := devpg.FreePort()
	if err != nil {
		return nil, err
	}
	vars := map[string]string{
		"BASELINE_ADDR":          fmt.Sprintf("127.0.0.1:%d", port),
		"DATABASE_URL":           dbURL,
		"CLERK_API_URL":          emu.BaseURL() + "/v1",
		"CLERK_SECRET_KEY":       emu.SecretKey(),
		"CLERK_FRONTEND_API_URL": emu.BaseURL(),
		"BASELINE_MAX_CONNS":     fmt.Sprint(o.baselineConns),
		"BASELINE_PAD_BYTES":     fmt.Sprint(padBytes),
		"CLERK_WEBHOOK_SECRET":   emu.WebhookSecret(),
	}
	return startProcess("baseline", e.baseBin, vars, e.work, filepath.Join(e.work, "baseline.log"), fmt.Sprintf("http://127.0.0.1:%d", port), "/readyz")
}

// appVars is the app's environment for a run on port against emu and
// dbURL: stack.Settings, the bench's pool and limits, then the -app-env
// settings.
func (o options) appVars(emu *stack.Emulator, dbURL string, port int) map[string]string {
	vars := stack.Settings(emu, port, dbURL)
	// The app's default unless -pool says otherwise: the sweep in
	// docs/performance.md ("Pool and gate") found it the best here too.
	vars["DB_MAX_CONNS"] = fmt.Sprint(o.pool)
	// One user drives all the load, from one address: the per-user API
	// limit (default 50/s) and per-address webhook limit (5,000/s) would
	// measure the limiter, not the app. The limiters still run.
	vars["API_RATE_LIMIT"] = "1000000"
	vars["WEBHOOK_RATE_LIMIT"] = "1000000"
	for _, kv := range o.appEnv {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return vars
}
