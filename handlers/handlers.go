// Package handlers holds the HTTP handlers, one file per page area, and the
// router that wires them with the middleware (routes.go). Each area is a
// small struct holding only what its handlers use; New builds them all from
// Deps.
package handlers

import (
	"context"
	"log/slog"
	"net/url"

	"gorm.io/gorm"

	"example.com/saas/internal/clerksync"
	"example.com/saas/internal/live"
	"example.com/saas/middleware"
	"example.com/saas/views"
)

// Deps is everything the handlers need, from internal/app.
type Deps struct {
	Log *slog.Logger
	DB  *gorm.DB
	// TenantRole is the role every tenant transaction runs as
	// (DB_TENANT_ROLE), so row-level security applies.
	TenantRole string
	Assets     views.AssetURLs
	// Sessions is the app's cookie store (app session and flash messages).
	Sessions *middleware.SessionStore
	// BaseURL is the app's public URL.
	BaseURL *url.URL
	// Directory answers tenant and top-bar lookups of the synced tables.
	Directory *live.Directory
	// Clerk changes things in Clerk and writes them here at once.
	Clerk *clerksync.Clerk
	// ReadThrough reads from Clerk a membership a token names that the
	// local tables lack (nil: a miss is a miss).
	ReadThrough *clerksync.MembershipReadThrough
	// Webhooks verifies and applies Clerk's webhook deliveries.
	Webhooks *clerksync.Webhooks
	Hosted   HostedPages
	// Ready reports whether the database is reachable and migrated.
	Ready func(ctx context.Context) error
}

// HostedPages are the Clerk instance's Account Portal pages.
type HostedPages struct {
	SignInURL string
	SignUpURL string
	// UserProfileURL is the hosted user profile (Account Portal /user).
	UserProfileURL string
	// Development instances (pk_test_) use the dev browser.
	Development bool
}

// Handlers is every page area with its dependencies.
type Handlers struct {
	baseURL   *url.URL
	pages     *pages
	tenants   tenantLookup
	health    healthHandlers
	webhooks  *WebhookHandler
	auth      authHandlers
	account   accountHandlers
	orgs      orgHandlers
	dashboard dashboardHandlers
	projects  projectHandlers
	members   memberHandlers
	settings  settingsHandlers
	domains   domainHandlers
	audit     auditHandlers
	api       apiHandlers
	openAPI   openAPIDocument
	// scaffold:areas — `make resource` adds a resource's area above this line.
}

// New builds every area from d, each with only its part.
func New(d Deps) *Handlers {
	p := &pages{log: d.Log, sessions: d.Sessions, assets: d.Assets, directory: d.Directory}
	db := tenantDB{db: d.DB, role: d.TenantRole}
	tp := tenantPages{pages: p, tenantDB: db}
	tenants := tenantLookup{directory: d.Directory, readThrough: d.ReadThrough}
	return &Handlers{
		baseURL:   d.BaseURL,
		pages:     p,
		tenants:   tenants,
		health:    healthHandlers{log: d.Log, ready: d.Ready},
		webhooks:  NewWebhookHandler(d.Webhooks, d.Log),
		auth:      authHandlers{pages: p, hosted: d.Hosted, baseURL: d.BaseURL, clerk: d.Clerk},
		account:   accountHandlers{pages: p, db: d.DB, hosted: d.Hosted, baseURL: d.BaseURL},
		orgs:      orgHandlers{pages: p, tenantDB: db, clerk: d.Clerk, directory: d.Directory},
		dashboard: dashboardHandlers{tp},
		projects:  projectHandlers{tp},
		members:   memberHandlers{pages: p, tenantDB: db, clerk: d.Clerk, baseURL: d.BaseURL},
		settings:  settingsHandlers{pages: p, clerk: d.Clerk, baseURL: d.BaseURL},
		domains:   domainHandlers{pages: p, clerk: d.Clerk},
		audit:     auditHandlers{tp},
		api:       apiHandlers{tenantPages: tp, db: d.DB, tenants: tenants},
		openAPI:   mustOpenAPIDocument(),
		// scaffold:new — `make resource` builds a resource's area above this line.
	}
}
