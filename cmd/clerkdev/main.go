// Command clerkdev runs the local Clerk emulator (development only).
//
// Settings (environment):
//
//	CLERKDEV_ADDR            listen address, default 127.0.0.1:8081
//	CLERKDEV_SECRET_KEY      Backend API key, default sk_test_clerkdev (sk_live_ keys are refused)
//	CLERKDEV_WEBHOOK_URL     webhook endpoint, default http://localhost:8080/webhooks/clerk ("" disables)
//	CLERKDEV_WEBHOOK_SECRET  Svix secret, default clerkdev.DefaultWebhookSecret
//	CLERKDEV_SEED            path of a seed JSON file (see clerkdev.Seed), default the built-in seed
//	CLERKDEV_ALLOWED_REDIRECT_ORIGINS
//	                         comma-separated origins (http://localhost:3000,https://app.example.test)
//	                         the handshake and hosted pages may redirect to, besides the origin of
//	                         CLERKDEV_WEBHOOK_URL and the emulator's own; any other redirect_url is
//	                         refused (400). localhost, 127.0.0.1 and [::1] count as one host.
//	CLERKDEV_RETRY_SCHEDULE  comma-separated delays before each webhook delivery attempt, such as
//	                         0,200ms,500ms,1s,2s (tests compress the retries so); default Svix's
//	                         schedule: 0,5s,5m,30m,2h,5h,10h,10h
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"example.com/saas/internal/clerkdev"
)

// Defaults of the settings above.
const (
	defaultAddr       = "127.0.0.1:8081"
	defaultWebhookURL = "http://localhost:8080/webhooks/clerk"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.LookupEnv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "clerkdev:", err)
		os.Exit(1)
	}
}

// run reads the settings through lookup; a variable set to "" counts as set, so
// CLERKDEV_WEBHOOK_URL= disables webhook deliveries.
func run(ctx context.Context, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	env := func(name, def string) string {
		if v, ok := lookup(name); ok {
			return v
		}
		return def
	}
	key := env("CLERKDEV_SECRET_KEY", "")
	if strings.HasPrefix(key, "sk_live_") {
		return fmt.Errorf("CLERKDEV_SECRET_KEY is a live key (sk_live_); the emulator only accepts test keys")
	}
	cfg := clerkdev.Config{
		SecretKey:              key,
		WebhookURL:             env("CLERKDEV_WEBHOOK_URL", defaultWebhookURL),
		WebhookSecret:          env("CLERKDEV_WEBHOOK_SECRET", ""),
		AllowedRedirectOrigins: splitList(env("CLERKDEV_ALLOWED_REDIRECT_ORIGINS", "")),
		Logger:                 slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	schedule, err := clerkdev.ParseRetrySchedule(env("CLERKDEV_RETRY_SCHEDULE", ""))
	if err != nil {
		return fmt.Errorf("CLERKDEV_RETRY_SCHEDULE: %w", err)
	}
	cfg.RetrySchedule = schedule
	if path := env("CLERKDEV_SEED", ""); path != "" {
		seed, err := clerkdev.LoadSeed(path)
		if err != nil {
			return err
		}
		cfg.Seed = &seed
	}
	addr := env("CLERKDEV_ADDR", "")
	if addr == "" { // set but empty also means the default
		addr = defaultAddr
	}
	return clerkdev.Run(ctx, addr, cfg, stdout)
}

// splitList splits a comma-separated setting, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
