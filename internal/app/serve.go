package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"

	"example.com/saas/handlers"
	"example.com/saas/internal/config"
	"example.com/saas/internal/database"
	"example.com/saas/internal/live"
	"example.com/saas/middleware"
	"example.com/saas/models"
	"example.com/saas/static"
)

// shutdownTimeout bounds how long in-flight requests may take to finish
// after SIGINT/SIGTERM.
const shutdownTimeout = 15 * time.Second

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, env Env) error {
	if err := cfg.ValidateServe(); err != nil {
		return err
	}
	announce(cfg, log)

	pool := dbPool(cfg, cfg.DBMaxConns)
	db, err := database.OpenLazy(cfg.DatabaseURL, pool, log)
	if err != nil {
		return err
	}
	defer database.Close(db)
	if err := models.RegisterTenantGuard(db); err != nil {
		return err
	}
	migrator, err := database.NewMigrator(cfg.DatabaseURL, cfg.TenantRole)
	if err != nil {
		return err
	}
	defer migrator.Close()
	if err := database.Ping(ctx, db); err != nil {
		// Serve anyway: /readyz answers 503 until the database is back, and
		// the instance recovers without a restart.
		log.Error("database unreachable at start; /readyz reports 503 until it answers", slog.Any("error", err))
		go migrateWhenReachable(ctx, cfg, migrator, log)
	} else if err := migrateOnStart(ctx, cfg, migrator, log); err != nil {
		return err
	}

	assets, err := static.NewAssets()
	if err != nil {
		return fmt.Errorf("load static assets: %w", err)
	}
	metricsReg := prometheus.NewRegistry()
	sessions := middleware.NewSessionStore(cfg.SessionSecret, cfg.HTTPS())
	// Session revocations and the directory (who may enter which
	// organization; the top bar) answered from memory, kept current by NOTIFY.
	revoked, directory := live.NewRevocations(db), live.NewDirectory(db)
	// The listener holds a connection of its own, outside the pool.
	listenConfig, err := database.ConnConfig(cfg.DatabaseURL, pool)
	if err != nil {
		return err
	}
	connectListener := func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, listenConfig) }
	go live.NewListener(db, connectListener, log, revoked, directory).Run(ctx)
	h, err := newHandlers(cfg, handlers.Deps{
		Log:        log,
		DB:         db,
		TenantRole: cfg.TenantRole, // every tenant transaction runs as this role, so RLS applies
		Assets:     assets,
		Sessions:   sessions,
		BaseURL:    cfg.BaseURL,
		Directory:  directory,
		Ready:      readiness(db, migrator),
	}, revoked, metricsReg)
	if err != nil {
		return err
	}
	auth, err := newAuth(cfg, revoked, sessions, log, h)
	if err != nil {
		return err
	}
	router := h.Routes(handlers.RouterConfig{
		HTTPS:       cfg.HTTPS(),
		Static:      assets.Handler(),
		Auth:        auth,
		FormTargets: formTargets(cfg),
		// In-process limits (see middleware.RateLimiter for several instances).
		WebhookLimit: rateLimiter(cfg.WebhookRateLimit),
		APILimit:     rateLimiter(cfg.APIRateLimit),
		// Admission in arrival order in front of the pool's random pick.
		InFlight: middleware.NewInFlight(cfg.MaxInFlight, handlers.QueueTimeout),
	})

	ln, err := listen(cfg.ListenAddr())
	if err != nil {
		return err
	}
	srv := newServer(router, log)
	metrics, err := startMetrics(cfg, metricsReg, log)
	if err != nil {
		ln.Close()
		return err
	}
	log.Info("listening", slog.String("url", cfg.BaseURL.String()), slog.String("addr", ln.Addr().String()))
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	return serveUntilDone(ctx, srv, ln, metrics, log)
}

// appName is the application_name of the app's database connections
// (pg_stat_activity), unless DATABASE_URL sets one.
const appName = "app"

// dbPool is the pool of maxConns connections with the configured database
// timeouts.
func dbPool(cfg *config.Config, maxConns int) database.PoolConfig {
	p := database.Pool(maxConns)
	p.StatementTimeout, p.IdleInTxTimeout, p.ConnectTimeout = cfg.DBStatementTimeout, cfg.DBIdleInTxTimeout, cfg.DBConnectTimeout
	p.AppName = appName
	return p
}

// newServer sets the timeouts a public server needs: slow clients cannot hold
// connections open forever.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// serveUntilDone serves until ctx ends, then stops accepting connections and
// lets in-flight requests finish within shutdownTimeout.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, metrics *http.Server, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("timeout", shutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
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
	log.Info("stopped")
	return nil
}

func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, &config.Error{Var: "PORT", Problem: fmt.Sprintf("address %s is already in use: stop the other server or choose another PORT", addr)}
	}
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		return nil, &config.Error{Var: "BIND_ADDR", Problem: fmt.Sprintf("cannot listen on %s: no interface has that address", addr)}
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// migrateOnStart applies pending migrations in development, so `make run`
// just works. Production runs migrations as a release step (`migrate up`)
// and only warns here; /readyz reports 503 until they are applied.
func migrateOnStart(ctx context.Context, cfg *config.Config, m *database.Migrator, log *slog.Logger) error {
	if cfg.Production() {
		pending, err := m.HasPending(ctx)
		if err != nil {
			return err
		}
		if pending {
			log.Warn("database migrations are pending; run `migrate up` as a release step")
		}
		return nil
	}
	res, err := m.Up(ctx)
	for _, r := range res {
		log.Info("applied migration", slog.String("file", r.Source.Path))
	}
	return err
}

// migrateWhenReachable retries the start-up migration step until the
// database answers (or the server stops).
func migrateWhenReachable(ctx context.Context, cfg *config.Config, m *database.Migrator, log *slog.Logger) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := migrateOnStart(ctx, cfg, m, log); err == nil {
			log.Info("database reachable again")
			return
		}
	}
}

func readiness(db *gorm.DB, m *database.Migrator) func(context.Context) error {
	return func(ctx context.Context) error {
		sqlDB, err := db.DB()
		if err != nil {
			return err
		}
		if err := sqlDB.PingContext(ctx); err != nil {
			return fmt.Errorf("ping database: %w", err)
		}
		pending, err := m.HasPending(ctx)
		if err != nil {
			return fmt.Errorf("check migrations: %w", err)
		}
		if pending {
			return database.ErrMigrationsPending
		}
		return nil
	}
}

// startMetrics serves Prometheus metrics on their own listener, never on the
// public port. When the development default is taken (a second checkout,
// another exporter) the app serves without metrics; an address set on
// purpose that cannot be bound stops start-up.
func startMetrics(cfg *config.Config, reg *prometheus.Registry, log *slog.Logger) (*http.Server, error) {
	addr := cfg.MetricsAddr
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil && cfg.MetricsAddrDefault {
		log.Warn("metrics disabled: the default METRICS_ADDR is taken; set METRICS_ADDR to serve them", slog.String("addr", addr), slog.Any("error", err))
		return nil, nil
	}
	if err != nil {
		return nil, &config.Error{Var: "METRICS_ADDR", Problem: fmt.Sprintf("cannot listen on %s: %v", addr, err)}
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	log.Info("metrics listening", slog.String("addr", ln.Addr().String()))
	return srv, nil
}

// announce says which Clerk the app talks to, loudly when it is the emulator.
func announce(cfg *config.Config, log *slog.Logger) {
	if cfg.SessionSecretGenerated {
		log.Warn("SESSION_SECRET is not set: using a random key for this run; everyone is signed out on restart")
	}
	if cfg.UsesEmulator() {
		log.Warn("************************************************************")
		log.Warn("USING THE LOCAL CLERK EMULATOR, not Clerk: development only", slog.String("frontend_api", cfg.Clerk.FrontendAPIURL))
		log.Warn("************************************************************")
	}
}

// rateLimiter allows perSecond with bursts of twice that; 0 is no limit.
func rateLimiter(perSecond float64) *middleware.RateLimiter {
	if perSecond <= 0 {
		return nil
	}
	return middleware.NewRateLimiter(perSecond, int(2*perSecond)+1)
}

// formTargets lists the origins of Clerk's hosted pages, which the sign-in
// and sign-up redirects lead to.
func formTargets(cfg *config.Config) string {
	return joinNonEmpty(" ", originOf(cfg.Clerk.SignInURL), originOf(cfg.Clerk.SignUpURL), originOf(cfg.Clerk.FrontendAPIURL))
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
