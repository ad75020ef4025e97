package handlers

import (
	"context"
	"errors"
	"net/http"

	"gorm.io/gorm"

	"example.com/saas/internal/clerksync"
	"example.com/saas/internal/live"
	"example.com/saas/models"
)

// tenantPages is the base of the areas whose pages read and write the
// tenant's own rows: the pages, and the tenant's database work.
type tenantPages struct {
	*pages
	tenantDB
}

// tenantDB runs a request's database work as its tenant; the areas that
// read or write tenant-owned rows embed it.
type tenantDB struct {
	db *gorm.DB
	// role is the role every tenant transaction runs as, so row-level
	// security applies.
	role string
}

// inTenant runs fn in the request tenant's transaction (row-level security
// on, as the tenant role); every tenant handler does its database work there.
// A GET or HEAD request only reads (HTTP's safe methods): its transaction
// is READ ONLY, so a lost connection is retried whatever fn ran (see
// models.InTenant, which may run fn twice).
func (t tenantDB) inTenant(r *http.Request, fn func(tx *gorm.DB) error) error {
	ctx := r.Context()
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		ctx = models.ReadOnly(ctx)
	}
	return models.InTenant(ctx, t.db, t.role, fn)
}

// tenantWork is an area whose handlers work in the request's tenant.
type tenantWork interface {
	inTenant(r *http.Request, fn func(tx *gorm.DB) error) error
}

// tenantArea is an area that works in the request's tenant and answers
// with the app's error pages.
type tenantArea interface {
	tenantWork
	renderError(w http.ResponseWriter, r *http.Request, err error)
	writeRead(w http.ResponseWriter, r *http.Request, v any, err error)
}

// inTenantValue is inTenant for work that returns one value.
func inTenantValue[T any](t tenantWork, r *http.Request, fn func(tx *gorm.DB) (T, error)) (T, error) {
	var v T
	err := t.inTenant(r, func(tx *gorm.DB) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v, err
}

// tenantLookup resolves the request's organization for the tenant
// middleware: from the directory, and on a miss for an organization the
// session token names, from Clerk (a membership not synced yet).
type tenantLookup struct {
	directory   *live.Directory
	readThrough *clerksync.MembershipReadThrough
}

// bySlug resolves a page's organization for middleware.RequireOrgMember.
func (l tenantLookup) bySlug(ctx context.Context, slug, userID string) (models.Tenant, error) {
	t, err := l.directory.TenantForSlug(ctx, slug, userID)
	if !errors.Is(err, models.ErrNotFound) {
		return t, err
	}
	// The session token names this organization as active: its membership
	// may not have reached the local tables yet.
	if id, ok := models.IdentityFrom(ctx); ok && id.OrgID != "" && id.OrgSlug == slug && l.readFromClerk(ctx, id.OrgID, userID) {
		return l.directory.TenantForSlug(ctx, slug, userID)
	}
	return t, err
}

// byOrg resolves the API's active organization for middleware.RequireActiveOrg.
func (l tenantLookup) byOrg(ctx context.Context, orgID, userID string) (models.Tenant, error) {
	t, err := l.directory.TenantForOrg(ctx, orgID, userID)
	if errors.Is(err, models.ErrNotFound) && l.readFromClerk(ctx, orgID, userID) {
		return l.directory.TenantForOrg(ctx, orgID, userID)
	}
	return t, err
}

// readFromClerk asks Clerk for a membership the local tables lack (only on
// a miss: a synced membership costs no Clerk call).
func (l tenantLookup) readFromClerk(ctx context.Context, orgID, userID string) bool {
	return l.readThrough != nil && l.readThrough.Fetch(ctx, orgID, userID)
}
