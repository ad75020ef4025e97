package app

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/session"

	"example.com/saas/handlers"
	"example.com/saas/internal/clerkauth"
	"example.com/saas/internal/config"
	"example.com/saas/internal/live"
	"example.com/saas/middleware"
)

// clerkClientConfig points clerk-sdk-go at the configured Backend API; each
// client gets it explicitly (never the SDK's package-level key).
func clerkClientConfig(cfg *config.Config) *clerk.ClientConfig {
	return &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		Key:        clerk.String(cfg.Clerk.SecretKey),
		URL:        clerk.String(cfg.Clerk.APIURL),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
	}}
}

// newVerifier builds the networkless session-token verifier with the app's
// own JWKS cache.
func newVerifier(cfg *config.Config) *clerkauth.Verifier {
	jwksClient := jwks.NewClient(clerkClientConfig(cfg))
	keys := clerkauth.NewJWKSCache(func(ctx context.Context) (*clerk.JSONWebKeySet, error) {
		return jwksClient.Get(ctx, &jwks.GetParams{})
	})
	v := &clerkauth.Verifier{Keys: keys, AuthorizedParties: cfg.Clerk.AuthorizedParties}
	// An overridden Frontend API (Clerk's proxy, or the emulator) is the
	// exact issuer; otherwise clerk-sdk-go checks Clerk's own issuer forms.
	if !isClerkHosted(cfg.Clerk.FrontendAPIURL) {
		v.ProxyURL = cfg.Clerk.FrontendAPIURL
	}
	return v
}

func isClerkHosted(fapi string) bool {
	return strings.HasPrefix(fapi, "https://clerk.") || strings.Contains(fapi, ".clerk.accounts")
}

func newAuth(cfg *config.Config, revoked *live.Revocations, store *middleware.SessionStore, log *slog.Logger, h *handlers.Handlers) *middleware.Auth {
	return &middleware.Auth{
		Verifier:      newVerifier(cfg),
		Sessions:      store,
		Revoked:       revoked.IsRevoked,
		FrontendAPI:   cfg.Clerk.FrontendAPIURL,
		APIURL:        cfg.Clerk.APIURL,
		SecretKey:     cfg.Clerk.SecretKey,
		BaseURL:       cfg.BaseURL,
		Development:   strings.HasPrefix(cfg.Clerk.PublishableKey, "pk_test_"),
		SessionMaxAge: cfg.SessionMaxAge,
		Log:           log,
		RenderError:   h.RenderError,
	}
}

func newClerkHandlers(cfg *config.Config) handlers.Clerk {
	cc := clerkClientConfig(cfg)
	return handlers.Clerk{
		Sessions:       session.NewClient(cc),
		Organizations:  organization.NewClient(cc),
		Memberships:    organizationmembership.NewClient(cc),
		Invitations:    organizationinvitation.NewClient(cc),
		SignInURL:      cfg.Clerk.SignInURL,
		SignUpURL:      cfg.Clerk.SignUpURL,
		UserProfileURL: config.AccountPortalURL(cfg.Clerk.FrontendAPIURL) + "/user",
		Development:    strings.HasPrefix(cfg.Clerk.PublishableKey, "pk_test_"),
	}
}
