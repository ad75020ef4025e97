// Command notifications is an example service behind cmd/gateway (the
// seed's "microservices with shared auth"): it never sees a Clerk token.
// The gateway verifies the session once and forwards the identity in
// signed headers; this service checks the signature (gatewayauth), then
// serves the notification preferences of the caller's organization from the
// database the app keeps in sync with Clerk, under the same tenant walls.
//
//	GET /notifications/preferences      every member with their preference
//	GET /notifications/preferences/me   the caller's
//	PUT /notifications/preferences/me   {"email_digest": "daily|weekly|never", "mentions": true}
//
// Environment: NOTIFICATIONS_ADDR (default 127.0.0.1:9301), DATABASE_URL
// and GATEWAY_SHARED_SECRET (both required), DB_TENANT_ROLE (default
// app_tenant). `make run-gateway` starts it with the gateway beside
// `make run`.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"

	"example.com/saas/gatewayauth"
	"example.com/saas/internal/database"
	"example.com/saas/models"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("notifications", slog.Any("error", err))
		os.Exit(1)
	}
}

// plainIdentifier is what DB_TENANT_ROLE may be (it is quoted into SET ROLE).
var plainIdentifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func run(log *slog.Logger) error {
	addr := envOr("NOTIFICATIONS_ADDR", "127.0.0.1:9301")
	dbURL, secret := os.Getenv("DATABASE_URL"), os.Getenv("GATEWAY_SHARED_SECRET")
	role := envOr("DB_TENANT_ROLE", "app_tenant")
	switch {
	case dbURL == "":
		return errors.New("DATABASE_URL is required: the database the app keeps in sync with Clerk")
	case secret == "":
		return errors.New("GATEWAY_SHARED_SECRET is required: the gateway's, to check its signature")
	case !plainIdentifier.MatchString(role):
		return errors.New("DB_TENANT_ROLE must be a plain lower-case identifier")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := database.Open(ctx, dbURL, database.Pool(4), log)
	if err != nil {
		return fmt.Errorf("open the database: %w", err)
	}
	defer database.Close(db)
	if err := models.RegisterTenantGuard(db); err != nil {
		return fmt.Errorf("install the tenant guard: %w", err)
	}
	svc := &Service{DB: db, TenantRole: role, Gateway: &gatewayauth.Verifier{Secret: []byte(secret)}, Log: log}
	srv := &http.Server{Addr: addr, Handler: svc.Handler(), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 15 * time.Second, IdleTimeout: 60 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Info("notifications listening", slog.String("addr", addr))
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
