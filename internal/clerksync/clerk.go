package clerksync

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/session"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"example.com/saas/models"
)

// Clerk is what the app's pages change in Clerk: every call goes to the
// Backend API first, and what Clerk answers is written to the local tables
// at once, with the change's audit event (the webhook that follows then
// changes nothing), so the next page shows it.
type Clerk struct {
	store         *Store
	log           *slog.Logger
	sessions      *session.Client
	organizations *organization.Client
	memberships   *organizationmembership.Client
	invitations   *organizationinvitation.Client
	domains       *organizationdomain.Client
	users         *user.Client
}

// Backend is clerk-sdk-go's configuration for the instance with secretKey
// at apiURL (its Backend API base with the version, such as
// https://api.clerk.com/v1), each call bounded by timeout. Every client is
// given it explicitly, never the SDK's package-level key.
func Backend(secretKey, apiURL string, timeout time.Duration) *clerk.ClientConfig {
	return &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		Key:        clerk.String(secretKey),
		URL:        clerk.String(apiURL),
		HTTPClient: &http.Client{Timeout: timeout},
	}}
}

// New returns the Backend API clients of backend (key, URL and HTTP client
// given explicitly, never the SDK's package-level key) writing to store.
func New(backend *clerk.ClientConfig, store *Store, log *slog.Logger) *Clerk {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Clerk{
		store:         store,
		log:           log,
		sessions:      session.NewClient(backend),
		organizations: organization.NewClient(backend),
		memberships:   organizationmembership.NewClient(backend),
		invitations:   organizationinvitation.NewClient(backend),
		domains:       organizationdomain.NewClient(backend),
		users:         user.NewClient(backend),
	}
}

// RevokeSession ends the session in Clerk and records it as revoked here,
// so every instance refuses it (this one at once) without waiting for the
// webhook. Clerk failing to answer is logged, not returned: the local
// revocation refuses the session all the same.
func (c *Clerk) RevokeSession(ctx context.Context, sessionID, userID string) error {
	if _, err := c.sessions.Revoke(ctx, &session.RevokeParams{ID: sessionID}); err != nil {
		c.log.WarnContext(ctx, "revoke Clerk session", slog.Any("error", classify("revoke session", err)))
	}
	return c.store.revokeSession(ctx, sessionID, userID)
}

// tenant is the request's organization; the tenant middleware put it there.
func tenant(ctx context.Context) (models.Tenant, error) {
	t, ok := models.TenantFrom(ctx)
	if !ok {
		return models.Tenant{}, models.ErrNoTenant
	}
	return t, nil
}
