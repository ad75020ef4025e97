// Command gateway is the API gateway (internal/gateway): it verifies Clerk
// session tokens once, refuses revoked sessions (the app's revoked_sessions
// table) and forwards each request by path prefix with gatewayauth's signed
// identity headers. Settings come from the environment and a .env file (the
// README's configuration table); `make run-gateway` runs it beside `make run`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"

	"example.com/saas/clerkauth"
	"example.com/saas/internal/config"
	"example.com/saas/internal/database"
	"example.com/saas/internal/gateway"
	"example.com/saas/internal/live"
	"example.com/saas/middleware"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, config.WithDotEnv(os.Getenv), os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// ready, when set, is told the gateway's and the metrics' addresses once
// both listen (tests).
type ready func(addr, metricsAddr string)

func run(ctx context.Context, getenv config.Getenv, stderr io.Writer, onReady ready) error {
	cfg, err := gateway.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	announce(cfg, log)

	db, err := database.OpenLazy(cfg.App.DatabaseURL, database.Pool(4), log)
	if err != nil {
		return err
	}
	defer database.Close(db)
	revoked := startRevocations(ctx, cfg, db, log)

	verifier, err := clerkauth.NewVerifier(cfg.Clerk())
	if err != nil {
		return fmt.Errorf("session token verifier: %w", err)
	}
	reg := prometheus.NewRegistry()
	gw, err := gateway.New(gateway.Options{
		Routes:    cfg.Routes,
		Auth:      &clerkauth.Middleware{Verifier: verifier, Revoked: revoked.IsRevoked},
		Secret:    cfg.Secret,
		Log:       log,
		Metrics:   gateway.NewMetrics(reg),
		Transport: gateway.NewTransport(cfg.UpstreamTimeout),
	})
	if err != nil {
		return err
	}
	return serve(ctx, cfg, gw, reg, log, onReady)
}

// startRevocations follows revoked_sessions as the app does: from memory
// while LISTEN/NOTIFY delivers, from the database otherwise.
func startRevocations(ctx context.Context, cfg *gateway.Config, db *gorm.DB, log *slog.Logger) *live.Revocations {
	revoked := live.NewRevocations(db)
	connect := func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, cfg.App.DatabaseURL) }
	go live.NewListener(db, connect, log, revoked).Run(ctx)
	return revoked
}

func serve(ctx context.Context, cfg *gateway.Config, gw http.Handler, reg *prometheus.Registry, log *slog.Logger, onReady ready) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return &config.Error{Var: "GATEWAY_ADDR", Problem: fmt.Sprintf("cannot listen on %s: %v", cfg.Addr, err)}
	}
	metrics, metricsAddr, err := startMetrics(cfg, reg, log)
	if err != nil {
		ln.Close()
		return err
	}
	srv := gateway.NewServer(gw, cfg.UpstreamTimeout, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("gateway listening", slog.String("addr", ln.Addr().String()), slog.Any("routes", cfg.Routes))
	if onReady != nil {
		onReady(ln.Addr().String(), metricsAddr)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if metrics != nil {
		metrics.Shutdown(sctx)
	}
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("gateway stopped")
	return nil
}

// startMetrics serves /metrics on its own listener, as the app does; the
// development default being taken only costs the metrics.
func startMetrics(cfg *gateway.Config, reg *prometheus.Registry, log *slog.Logger) (*http.Server, string, error) {
	if cfg.MetricsAddr == "" {
		return nil, "", nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil && cfg.MetricsAddrDefault {
		log.Warn("metrics disabled: the default GATEWAY_METRICS_ADDR is taken", slog.String("addr", cfg.MetricsAddr), slog.Any("error", err))
		return nil, "", nil
	}
	if err != nil {
		return nil, "", &config.Error{Var: "GATEWAY_METRICS_ADDR", Problem: fmt.Sprintf("cannot listen on %s: %v", cfg.MetricsAddr, err)}
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	log.Info("gateway metrics listening", slog.String("addr", ln.Addr().String()))
	return srv, ln.Addr().String(), nil
}

// announce says loudly what only development may use.
func announce(cfg *gateway.Config, log *slog.Logger) {
	if cfg.SecretDefault {
		log.Warn("GATEWAY_SHARED_SECRET is not set: signing with the public development secret (gateway.DevSharedSecret); production refuses to start without one")
	}
	if cfg.App.UsesEmulator() {
		log.Warn("verifying tokens of the LOCAL CLERK EMULATOR, not Clerk: development only", slog.String("frontend_api", cfg.App.Clerk.FrontendAPIURL))
	}
}

// newLogger writes JSON lines in production and text otherwise, with the
// request id on every line of a request (middleware.LogHandler).
func newLogger(cfg *gateway.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.App.Production() {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(middleware.NewLogHandler(h)).With(slog.String("component", "gateway"))
}
