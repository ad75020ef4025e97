package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"example.com/saas/internal/clerkdev"
)

// ensureClerk starts the local Clerk emulator unless CLERK_SECRET_KEY is set,
// and points the app at it. It returns a func that prints the sign-in
// accounts once the app is up (and delivers the seed as webhooks), and one
// that stops the emulator.
func ensureClerk(ctx context.Context, lookup func(string) string, vars map[string]string, out io.Writer) (func(), func(), error) {
	if lookup("CLERK_SECRET_KEY") != "" {
		fmt.Fprintln(out, "Clerk: using the instance of CLERK_SECRET_KEY")
		return func() {}, func() {}, nil
	}
	port := lookup("CLERK_EMULATOR_PORT")
	if port == "" {
		port = "8081"
	}
	addr := "127.0.0.1:" + port // Clerk's key parser needs a dot in the host
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("CLERK_EMULATOR_PORT: cannot listen on %s (%v): stop the other process or choose another port", addr, err)
	}
	// The hosted pages and the handshake only send the browser back to the app.
	appPort := portOf(lookup)
	allowed := []string{"http://localhost:" + appPort, "http://127.0.0.1:" + appPort}
	if base, err := url.Parse(lookup("BASE_URL")); err == nil && (base.Scheme == "http" || base.Scheme == "https") && base.Host != "" {
		allowed = append(allowed, base.Scheme+"://"+base.Host)
	}
	schedule, err := clerkdev.ParseRetrySchedule(lookup("CLERKDEV_RETRY_SCHEDULE"))
	if err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("CLERKDEV_RETRY_SCHEDULE: %w", err)
	}
	seed := clerkdev.DevSeed()
	emu, err := clerkdev.New(clerkdev.Config{
		Seed:                   &seed,
		WebhookURL:             "http://localhost:" + appPort + "/webhooks/clerk",
		AllowedRedirectOrigins: allowed,
		RetrySchedule:          schedule,
		Logger:                 slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn})).With("component", "clerkdev"),
	})
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	emu.SetBaseURL("http://" + addr)
	srv := &http.Server{Handler: emu.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)

	vars["CLERK_SECRET_KEY"] = emu.SecretKey()
	vars["CLERK_PUBLISHABLE_KEY"] = emu.PublishableKey()
	vars["CLERK_API_URL"] = emu.BaseURL() + "/v1"
	vars["CLERK_FRONTEND_API_URL"] = emu.BaseURL()
	vars["CLERK_WEBHOOK_SIGNING_SECRET"] = emu.WebhookSecret()

	ready := func() {
		emu.DeliverSeed()
		fmt.Fprintf(out, "  ➜  Local Clerk emulator at %s (no Clerk account needed)\n", emu.BaseURL())
		fmt.Fprintln(out, "     Sign in with any of these accounts, password \"password\":")
		for _, u := range emu.SeedAccounts() {
			if u.Password == "" {
				fmt.Fprintf(out, "       %s (SSO through the emulator's identity provider: no password)\n", u.Email)
				continue
			}
			fmt.Fprintf(out, "       %s\n", u.Email)
		}
	}
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		emu.Close()
	}
	return ready, stop, nil
}
