// Command dev is `make run`: the whole product on one machine with zero
// configuration. It starts (or reuses) a project-local Postgres when
// DATABASE_URL is unset, starts the local Clerk emulator when
// CLERK_SECRET_KEY is unset, then serves the app with migrations applied.
// Ctrl-C stops everything it started.
//
// `dev gateway` (make run-gateway) runs the gateway and the example service
// beside it, against the same database and emulator.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"example.com/saas/internal/app"
	"example.com/saas/internal/devpg"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "stop-db" {
		if err := stopLocalDB(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "gateway" {
		if err := runGateway(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	vars := map[string]string{}
	lookup := func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return getenv(k)
	}
	stopDB, err := ensureDatabase(ctx, getenv, vars, stdout)
	if err != nil {
		return err
	}
	defer stopDB()

	announceEmulator, stopEmu, err := ensureClerk(ctx, lookup, vars, stdout)
	if err != nil {
		return err
	}
	defer stopEmu()

	env := app.Env{Getenv: lookup, Stdout: stdout, Stderr: stderr}
	env.Ready = func(addr string) {
		base := lookup("BASE_URL")
		if base == "" {
			base = "http://localhost:" + portOf(lookup)
		}
		fmt.Fprintf(stdout, "\n  ➜  The app is running at %s\n", base)
		announceEmulator()
		fmt.Fprintln(stdout, "  Press Ctrl-C to stop.")
	}
	return app.Run(ctx, []string{"serve"}, env)
}

// ensureDatabase starts the project-local cluster unless DATABASE_URL is set,
// and returns a func that stops it again if this run started it.
func ensureDatabase(ctx context.Context, getenv func(string) string, vars map[string]string, out io.Writer) (func(), error) {
	if getenv("DATABASE_URL") != "" {
		return func() {}, nil
	}
	c, err := localCluster()
	if err != nil {
		return nil, err
	}
	wasRunning := devpg.Running(c)
	if c, err = devpg.Ensure(ctx, c); err != nil {
		if errors.Is(err, devpg.ErrNoBinaries) {
			return nil, err
		}
		return nil, fmt.Errorf("start local Postgres: %w", err)
	}
	fmt.Fprintf(out, "Postgres: local cluster in %s on port %d\n", c.Dir, c.Port)
	if err := devpg.CreateDatabase(ctx, c, "saas"); err != nil {
		return nil, err
	}
	vars["DATABASE_URL"] = c.URL("saas")
	if wasRunning {
		return func() {}, nil
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := devpg.Stop(sctx, c); err != nil {
			fmt.Fprintln(out, "stop local Postgres:", err)
		}
	}, nil
}

func localCluster() (devpg.Cluster, error) {
	root, err := devpg.RepoRoot()
	if err != nil {
		return devpg.Cluster{}, err
	}
	return devpg.Local(root), nil
}

// stopLocalDB stops the project-local cluster (make clean-db).
func stopLocalDB(ctx context.Context) error {
	c, err := localCluster()
	if err != nil {
		return err
	}
	if !devpg.Running(c) {
		return nil
	}
	return devpg.Stop(ctx, c)
}

func portOf(lookup func(string) string) string {
	if p := lookup("PORT"); p != "" {
		return p
	}
	return "8080"
}
