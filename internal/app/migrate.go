package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/pressly/goose/v3"

	"example.com/saas/internal/config"
	"example.com/saas/internal/database"
)

func runMigrate(ctx context.Context, cfg *config.Config, args []string, out io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		fmt.Fprint(out, usage)
		return fmt.Errorf("%w: migrate needs one of up, down, status", ErrUsage)
	}
	if cfg.DatabaseURL == "" {
		return &config.Error{Var: "DATABASE_URL", Problem: "is required for migrate"}
	}
	m, err := database.NewMigrator(cfg.DatabaseURL, cfg.TenantRole)
	if err != nil {
		return err
	}
	defer m.Close()
	switch args[0] {
	case "up":
		res, err := m.Up(ctx)
		for _, r := range res {
			fmt.Fprintf(out, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(time.Millisecond))
		}
		if err == nil && len(res) == 0 {
			fmt.Fprintln(out, "no migrations to apply")
		}
		return err
	case "down":
		r, err := m.Down(ctx)
		if r != nil && err == nil {
			fmt.Fprintf(out, "rolled back %s\n", r.Source.Path)
		}
		return err
	default:
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			applied := "pending"
			if s.State == goose.StateApplied {
				applied = "applied " + s.AppliedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(out, "%-40s %s\n", s.Source.Path, applied)
		}
		return nil
	}
}
