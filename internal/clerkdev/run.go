package clerkdev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Start builds a Server, listens on addr (for example "127.0.0.1:8081" or
// "127.0.0.1:0") and serves it until ctx ends, then shuts the listener down and closes
// the Server. The base URL is http://127.0.0.1:<port>. It returns once listening.
func Start(ctx context.Context, addr string, cfg Config) (*Server, net.Listener, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("clerkdev: listen on %s: %w", addr, err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	s.SetBaseURL("http://" + net.JoinHostPort("127.0.0.1", port))
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("clerkdev: serve", "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		s.Close()
	}()
	return s, ln, nil
}

// Run starts the emulator on addr, prints its settings and the seed accounts to out,
// delivers the seed webhooks, and serves until ctx ends.
func Run(ctx context.Context, addr string, cfg Config, out io.Writer) error {
	s, _, err := Start(ctx, addr, cfg)
	if err != nil {
		return err
	}
	PrintBanner(out, s, cfg.WebhookURL)
	s.DeliverSeed()
	<-ctx.Done()
	s.Close() // idempotent; also called by Start's shutdown goroutine
	return nil
}

// PrintBanner writes the emulator's URLs, keys and seed accounts.
func PrintBanner(out io.Writer, s *Server, webhookURL string) {
	if webhookURL == "" {
		webhookURL = "(none: webhooks disabled)"
	}
	fmt.Fprintf(out, "Clerk emulator (development only) listening on %s\n", s.BaseURL())
	fmt.Fprintf(out, "  CLERK_FRONTEND_API_URL=%s\n", s.BaseURL())
	fmt.Fprintf(out, "  CLERK_API_URL=%s/v1\n", s.BaseURL())
	fmt.Fprintf(out, "  CLERK_PUBLISHABLE_KEY=%s\n", s.PublishableKey())
	fmt.Fprintf(out, "  CLERK_SECRET_KEY=%s\n", s.SecretKey())
	fmt.Fprintf(out, "  CLERK_WEBHOOK_SIGNING_SECRET=%s\n", s.WebhookSecret())
	fmt.Fprintf(out, "  webhooks -> %s (retries after %s; log at %s/__clerkdev/deliveries)\n", webhookURL, s.RetrySchedule(), s.BaseURL())
	fmt.Fprintf(out, "  allowed redirect origins: %s\n", strings.Join(s.AllowedRedirectOrigins(), ", "))
	fmt.Fprintf(out, "  emails (kept, not sent): %s/__clerkdev/emails\n", s.BaseURL())
	fmt.Fprintf(out, "  sign in at %s/sign-in with:\n", s.BaseURL())
	for _, u := range s.SeedAccounts() {
		fmt.Fprintf(out, "    %-24s %s\n", u.Email, u.Password)
	}
}
