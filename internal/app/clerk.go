package app

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/prometheus/client_golang/prometheus"

	"example.com/saas/clerkauth"
	"example.com/saas/handlers"
	"example.com/saas/internal/clerksync"
	"example.com/saas/internal/config"
	"example.com/saas/internal/live"
	"example.com/saas/middleware"
)

// clerkClientConfig points clerk-sdk-go at the configured Backend API.
func clerkClientConfig(cfg *config.Config) *clerk.ClientConfig {
	return clerksync.Backend(cfg.Clerk.SecretKey, cfg.Clerk.APIURL, 10*time.Second)
}

// newVerifier builds the networkless session-token verifier with the app's
// own JWKS cache, loaded from the Backend API; the gateway builds its own
// from the same settings (clerkauth.Config).
func newVerifier(cfg *config.Config) (*clerkauth.Verifier, error) {
	v, err := clerkauth.NewVerifier(clerkauth.Config{
		FrontendAPIURL:    cfg.Clerk.FrontendAPIURL,
		SecretKey:         cfg.Clerk.SecretKey,
		APIURL:            cfg.Clerk.APIURL,
		AuthorizedParties: cfg.Clerk.AuthorizedParties,
	})
	if err != nil {
		return nil, fmt.Errorf("session token verifier: %w", err)
	}
	return v, nil
}

func newAuth(cfg *config.Config, revoked *live.Revocations, store *middleware.SessionStore, log *slog.Logger, h *handlers.Handlers) (*middleware.Auth, error) {
	verifier, err := newVerifier(cfg)
	if err != nil {
		return nil, err
	}
	return &middleware.Auth{
		Verifier:      verifier,
		Sessions:      store,
		Revoked:       revoked.IsRevoked,
		FrontendAPI:   cfg.Clerk.FrontendAPIURL,
		APIURL:        cfg.Clerk.APIURL,
		SecretKey:     cfg.Clerk.SecretKey,
		BaseURL:       cfg.BaseURL,
		Development:   isDevelopment(cfg),
		SessionMaxAge: cfg.SessionMaxAge,
		Log:           log,
		RenderError:   h.RenderError,
	}, nil
}

// newHandlers completes d with Clerk: the Backend API clients, the webhook
// receiver and the membership read-through, which share one store of the
// synced tables and this instance's in-memory copies.
func newHandlers(cfg *config.Config, d handlers.Deps, revoked *live.Revocations, reg prometheus.Registerer) (*handlers.Handlers, error) {
	store := clerksync.NewStore(d.DB, cfg.TenantRole, d.Directory, revoked)
	webhooks, err := clerksync.NewWebhooks(store, cfg.Clerk.WebhookSecret, clerksync.NewWebhookMetrics(reg))
	if err != nil {
		return nil, &config.Error{Var: "CLERK_WEBHOOK_SIGNING_SECRET", Problem: err.Error()}
	}
	d.Clerk = clerksync.New(clerkClientConfig(cfg), store, d.Log)
	d.Webhooks = webhooks
	// A membership a token names but no webhook has brought yet.
	d.ReadThrough = clerksync.NewMembershipReadThrough(d.Clerk, reg)
	d.Hosted = handlers.HostedPages{
		SignInURL:      cfg.Clerk.SignInURL,
		SignUpURL:      cfg.Clerk.SignUpURL,
		UserProfileURL: config.AccountPortalURL(cfg.Clerk.FrontendAPIURL) + "/user",
		Development:    isDevelopment(cfg),
	}
	return handlers.New(d), nil
}

// isDevelopment: development instances (pk_test_) use the dev browser.
func isDevelopment(cfg *config.Config) bool {
	return strings.HasPrefix(cfg.Clerk.PublishableKey, "pk_test_")
}
