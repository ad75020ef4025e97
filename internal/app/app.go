// Package app wires the application: configuration, logger, database,
// handlers, router and servers, top to bottom, for each subcommand.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"example.com/saas/internal/config"
	"example.com/saas/middleware"
)

// ErrUsage marks a command-line mistake; main exits 2 on it.
var ErrUsage = errors.New("usage")

const usage = `Usage: saas [command]

Commands:
  serve                  serve the application (default)
  migrate up|down|status apply, roll back one, or list the database migrations
  sync                   reconcile users, organizations and memberships from Clerk
  help                   show this help

Settings come from the environment and a .env file; see .env.example.
`

// Env is the process environment as Run sees it.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// Ready, when set, is called once the server listens, with its address
	// (tests and the dev runner use it).
	Ready func(addr string)
}

// Run executes the command in args (without the program name).
func Run(ctx context.Context, args []string, env Env) error {
	cmd, rest := "serve", []string(nil)
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	getenv := config.WithDotEnv(env.Getenv)
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	case "serve", "migrate", "sync":
	default:
		fmt.Fprint(env.Stderr, usage)
		return fmt.Errorf("%w: unknown command %q", ErrUsage, cmd)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, env.Stderr)
	switch cmd {
	case "migrate":
		return runMigrate(ctx, cfg, rest, env.Stdout)
	case "sync":
		return runSync(ctx, cfg, log, env.Stdout)
	default:
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(env.Stderr)
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		return serve(ctx, cfg, log, env)
	}
}

// newLogger writes JSON lines in production and text otherwise; every record
// logged with a request's context carries its ids (middleware.LogHandler).
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.Production() {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(middleware.NewLogHandler(h))
}

// OSEnv is the real process environment.
func OSEnv() Env {
	return Env{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr}
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
