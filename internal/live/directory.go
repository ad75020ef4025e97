package live

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"example.com/saas/models"
)

// directoryMaxEntries bounds the copy's memory: past it, it starts over.
const directoryMaxEntries = 20000

// Directory answers the lookups every request makes of the synced tables —
// which organization a user may enter, with which role and permissions, and
// each page's top bar — from memory, as a Follower of models.DirectoryChannel. Any
// change of a membership or an organization, and a user's arrival or
// removal, anywhere, drops everything it holds, so a removed member is refused
// as soon as the change's notification arrives (and at once on the instance
// that made it: see Changed). While not live every lookup is a query.
//
// An answer read from the database is kept only if nothing changed while it
// was read: a lookup racing a commit cannot store what the commit replaced.
//
// A user's profile (email, names, image) changing notifies no one (it would
// make every user.updated webhook take Postgres's notify lock: migration
// 00010), so a top bar is read again once older than NavMaxAge.
type Directory struct {
	db *gorm.DB
	// NavMaxAge bounds how long a user's top bar is answered from memory:
	// how stale another instance's view of a changed profile can be.
	NavMaxAge time.Duration

	mu      sync.RWMutex
	live    bool
	gen     uint64 // bumped by every change; answers read under another are dropped
	tenants map[directoryKey]models.Tenant
	navs    map[string]directoryNav
}

type directoryKey struct{ column, value, userID string }

type directoryNav struct {
	user *models.User
	orgs []models.UserOrganization
	read time.Time
}

// NewDirectory returns a Directory on db; a Listener keeps it current.
func NewDirectory(db *gorm.DB) *Directory {
	return &Directory{db: db, NavMaxAge: 30 * time.Second, tenants: map[directoryKey]models.Tenant{}, navs: map[string]directoryNav{}}
}

// TenantForSlug is models.TenantForSlug, from memory when live.
func (d *Directory) TenantForSlug(ctx context.Context, slug, userID string) (models.Tenant, error) {
	return d.tenant(directoryKey{"slug", slug, userID}, func() (models.Tenant, error) {
		return models.TenantForSlug(ctx, d.db, slug, userID)
	})
}

// TenantForOrg is models.TenantForOrg, from memory when live.
func (d *Directory) TenantForOrg(ctx context.Context, orgID, userID string) (models.Tenant, error) {
	return d.tenant(directoryKey{"id", orgID, userID}, func() (models.Tenant, error) {
		return models.TenantForOrg(ctx, d.db, orgID, userID)
	})
}

// UserAndOrganizations is models.UserAndOrganizations, from memory when
// live.
func (d *Directory) UserAndOrganizations(ctx context.Context, userID string) (*models.User, []models.UserOrganization, error) {
	d.mu.RLock()
	nav, ok := d.navs[userID]
	gen, live := d.gen, d.live
	d.mu.RUnlock()
	if ok && time.Since(nav.read) < d.NavMaxAge {
		c := nav.copy()
		return c.user, c.orgs, nil
	}
	read := time.Now()
	u, orgs, err := models.UserAndOrganizations(ctx, d.db, userID)
	if err != nil || !live {
		return u, orgs, err
	}
	d.keep(gen, func() { d.navs[userID] = directoryNav{u, orgs, read}.copy() })
	return u, orgs, nil
}

// tenant answers key from memory or load; a "not found" is not kept, so
// guessed slugs cannot fill memory.
func (d *Directory) tenant(key directoryKey, load func() (models.Tenant, error)) (models.Tenant, error) {
	d.mu.RLock()
	t, ok := d.tenants[key]
	gen, live := d.gen, d.live
	d.mu.RUnlock()
	if ok {
		return cloneTenant(t), nil
	}
	t, err := load()
	if err != nil || !live {
		return t, err
	}
	d.keep(gen, func() { d.tenants[key] = cloneTenant(t) })
	return t, nil
}

// keep runs store if the copy is live and unchanged since gen.
func (d *Directory) keep(gen uint64, store func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.live || d.gen != gen {
		return
	}
	if len(d.tenants)+len(d.navs) >= directoryMaxEntries {
		d.dropLocked()
	}
	store()
}

// Changed drops everything held. The instance that commits a change calls
// it after the commit, so its own next request reads the change; the others
// learn from the notification, a moment later.
func (d *Directory) Changed() {
	d.mu.Lock()
	d.dropLocked()
	d.mu.Unlock()
}

func (d *Directory) dropLocked() {
	d.gen++
	clear(d.tenants)
	clear(d.navs)
}

// Channel implements Follower.
func (d *Directory) Channel() string { return models.DirectoryChannel }

// Notified implements Follower: any change drops everything.
func (d *Directory) Notified(string) { d.Changed() }

// Reload implements Follower: the copy starts empty and fills on demand.
func (d *Directory) Reload(context.Context, *pgx.Conn) error {
	d.Changed()
	return nil
}

// SetLive implements Follower. Either way the copy starts over: changes
// made while not listening were never seen.
func (d *Directory) SetLive(live bool) {
	d.mu.Lock()
	d.live = live
	d.dropLocked()
	d.mu.Unlock()
}

// Live reports whether answers may come from memory.
func (d *Directory) Live() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.live
}

// cloneTenant copies t, so a caller appending to its permissions cannot
// change the copy others are handed.
func cloneTenant(t models.Tenant) models.Tenant {
	t.Permissions = slices.Clone(t.Permissions)
	return t
}

// copy is n with its own user and slice, for the same reason.
func (n directoryNav) copy() directoryNav {
	if n.user != nil {
		u := *n.user
		n.user = &u
	}
	n.orgs = slices.Clone(n.orgs)
	return n
}
