package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"example.com/saas/internal/config"
	"example.com/saas/internal/database"
	"example.com/saas/internal/reconcile"
)

// runSync is `sync`: a full reconcile of users, organizations and memberships
// from the Clerk Backend API, repairing missed webhooks. Safe to run any time,
// also while the server runs.
func runSync(ctx context.Context, cfg *config.Config, log *slog.Logger, out io.Writer) error {
	if cfg.DatabaseURL == "" {
		return &config.Error{Var: "DATABASE_URL", Problem: "is required for sync"}
	}
	if cfg.Clerk.SecretKey == "" {
		return &config.Error{Var: "CLERK_SECRET_KEY", Problem: "is required for sync (the Backend API key of the instance to read)"}
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, dbPool(cfg, 4), log)
	if err != nil {
		return err
	}
	defer database.Close(db)

	start := time.Now()
	clients := reconcile.NewClients(cfg.Clerk.SecretKey, cfg.Clerk.APIURL)
	report, err := reconcile.Reconcile(ctx, db, clients, log)
	fmt.Fprint(out, report)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	fmt.Fprintf(out, "sync finished in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
