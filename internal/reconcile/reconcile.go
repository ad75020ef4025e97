// Package reconcile repairs the synced tables (users, organizations,
// memberships, organization domains) from Clerk's Backend API, for webhooks that were missed. It is
// what `go run . sync` runs.
//
// It is safe to run at any time, repeatedly, and while webhooks flow: every
// write uses the webhook handler's last-writer-wins rules (a row holding a
// newer Clerk version is left alone, deletions are final), rows written after
// the run started are never deleted, and a row missing from a listing is only
// deleted once Clerk confirms it is gone (offset paging can skip a row when
// another is deleted meanwhile).
package reconcile

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"gorm.io/gorm"

	"example.com/saas/internal/clerksync"
	"example.com/saas/models"
)

// pageSize is the Backend API's maximum page.
const pageSize = 100

// Kinds of rows whose listing may well be empty (an organization without
// members or domains), which is no sign of a wrong instance.
const (
	kindMemberships = "memberships"
	kindDomains     = "domains"
)

// Clients are the Backend API clients Reconcile reads through.
type Clients struct {
	Users         *user.Client
	Organizations *organization.Client
	Memberships   *organizationmembership.Client
	Domains       *organizationdomain.Client
	// MaxAttempts bounds the tries of one API call on 429 and 5xx answers;
	// 0 means 6.
	MaxAttempts int
}

// NewClients builds the clients for the instance with secretKey; apiURL is
// the Backend API base including its version (https://api.clerk.com/v1).
func NewClients(secretKey, apiURL string) Clients {
	cfg := clerksync.Backend(secretKey, apiURL, 30*time.Second)
	return Clients{
		Users:         user.NewClient(cfg),
		Organizations: organization.NewClient(cfg),
		Memberships:   organizationmembership.NewClient(cfg),
		Domains:       organizationdomain.NewClient(cfg),
	}
}

// Counts are the changes made to one kind of row.
type Counts struct {
	Created   int
	Updated   int
	Deleted   int
	Unchanged int
}

// count adds a write's result, unless it failed, and returns its error.
func (c *Counts) count(r models.UpsertResult, err error) error {
	if err == nil {
		c.add(r)
	}
	return err
}

func (c *Counts) add(r models.UpsertResult) {
	switch r {
	case models.Created:
		c.Created++
	case models.Updated:
		c.Updated++
	default:
		c.Unchanged++
	}
}

func (c Counts) String() string {
	return fmt.Sprintf("created %d, updated %d, deleted %d, unchanged %d", c.Created, c.Updated, c.Deleted, c.Unchanged)
}

// Report says what a run changed.
type Report struct {
	Users         Counts
	Organizations Counts
	Memberships   Counts
	Domains       Counts
}

func (r Report) String() string {
	return fmt.Sprintf("users:         %s\norganizations: %s\nmemberships:   %s\ndomains:       %s\n", r.Users, r.Organizations, r.Memberships, r.Domains)
}

// run is one reconciliation.
type run struct {
	db      *gorm.DB
	c       Clients
	log     *slog.Logger
	started time.Time
	report  Report
}

// Reconcile pages through every user, organization, membership and
// organization domain in Clerk,
// upserts them, and deletes local ones Clerk no longer has. On error the
// report holds what was done so far.
func Reconcile(ctx context.Context, db *gorm.DB, clients Clients, log *slog.Logger) (Report, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clients.MaxAttempts <= 0 {
		clients.MaxAttempts = 6
	}
	r := &run{db: db, c: clients, log: log}
	// Rows written from here on (webhooks arriving meanwhile) are never deleted.
	if err := db.WithContext(ctx).Raw("SELECT now()").Scan(&r.started).Error; err != nil {
		return r.report, fmt.Errorf("read database clock: %w", err)
	}
	if err := r.users(ctx); err != nil {
		return r.report, err
	}
	orgIDs, err := r.organizations(ctx)
	if err != nil {
		return r.report, err
	}
	for _, id := range orgIDs {
		if err := r.memberships(ctx, id); err != nil {
			return r.report, err
		}
		if err := r.domains(ctx, id); err != nil {
			return r.report, err
		}
	}
	return r.report, nil
}

func (r *run) users(ctx context.Context) error {
	seen := map[string]bool{}
	err := eachPage(func(offset int64) ([]*clerk.User, error) {
		page, err := retry(ctx, r, "list users", func() (*clerk.UserList, error) {
			return r.c.Users.List(ctx, &user.ListParams{ListParams: listParams(offset), OrderBy: clerk.String("+created_at")})
		})
		if err != nil {
			return nil, err
		}
		return page.Users, nil
	}, func(u *clerk.User) error {
		seen[u.ID] = true
		return r.report.Users.count(clerksync.SyncUser(ctx, r.db, u))
	})
	if err != nil {
		return err
	}
	local, err := models.ActiveUserIDsBefore(ctx, r.db, r.started)
	if err != nil {
		return err
	}
	return r.deleteMissing(ctx, "users", local, seen, func(id string) (bool, error) {
		_, err := retry(ctx, r, "get user", func() (*clerk.User, error) { return r.c.Users.Get(ctx, id) })
		return gone(err)
	}, func(id string) error {
		return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			_, err := models.DeleteUser(ctx, tx, id, time.Now().UTC())
			return err
		})
	}, &r.report.Users)
}

func (r *run) organizations(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	var ids []string
	err := eachPage(func(offset int64) ([]*clerk.Organization, error) {
		page, err := retry(ctx, r, "list organizations", func() (*clerk.OrganizationList, error) {
			return r.c.Organizations.List(ctx, &organization.ListParams{ListParams: listParams(offset), OrderBy: clerk.String("+created_at")})
		})
		if err != nil {
			return nil, err
		}
		return page.Organizations, nil
	}, func(o *clerk.Organization) error {
		if !seen[o.ID] {
			ids = append(ids, o.ID)
		}
		seen[o.ID] = true
		return r.report.Organizations.count(clerksync.SyncOrganization(ctx, r.db, o))
	})
	if err != nil {
		return nil, err
	}
	local, err := models.ActiveOrganizationIDsBefore(ctx, r.db, r.started)
	if err != nil {
		return nil, err
	}
	err = r.deleteMissing(ctx, "organizations", local, seen, func(id string) (bool, error) {
		_, err := retry(ctx, r, "get organization", func() (*clerk.Organization, error) { return r.c.Organizations.Get(ctx, id) })
		return gone(err)
	}, func(id string) error {
		return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			_, err := models.DeleteOrganization(ctx, tx, id, time.Now().UTC())
			return err
		})
	}, &r.report.Organizations)
	return ids, err
}

func (r *run) memberships(ctx context.Context, orgID string) error {
	seen := map[string]bool{}
	err := eachPage(func(offset int64) ([]*clerk.OrganizationMembership, error) {
		page, err := r.listMemberships(ctx, orgID, offset, nil)
		if err != nil {
			return nil, err
		}
		return page.OrganizationMemberships, nil
	}, func(m *clerk.OrganizationMembership) error {
		seen[m.ID] = true
		return r.applyMembership(ctx, orgID, m)
	})
	if ok, _ := gone(err); ok {
		return nil // deleted since it was listed; its webhook removes the rest
	}
	if err != nil {
		return err
	}
	local, err := models.MembershipsBefore(ctx, r.db, orgID, r.started)
	if err != nil {
		return err
	}
	userOf := map[string]string{}
	ids := make([]string, 0, len(local))
	for _, m := range local {
		userOf[m.ID] = m.UserID
		ids = append(ids, m.ID)
	}
	return r.deleteMissing(ctx, kindMemberships, ids, seen, func(id string) (bool, error) {
		page, err := r.listMemberships(ctx, orgID, 0, []string{userOf[id]})
		if err != nil {
			return false, err
		}
		for _, m := range page.OrganizationMemberships {
			if m.ID == id {
				return false, nil
			}
		}
		return true, nil
	}, func(id string) error {
		_, err := models.DeleteMembership(ctx, r.db, id, orgID, userOf[id])
		return err
	}, &r.report.Memberships)
}

func (r *run) listMemberships(ctx context.Context, orgID string, offset int64, userIDs []string) (*clerk.OrganizationMembershipList, error) {
	return retry(ctx, r, "list memberships", func() (*clerk.OrganizationMembershipList, error) {
		return r.c.Memberships.List(ctx, &organizationmembership.ListParams{
			ListParams: listParams(offset), OrganizationID: orgID, UserIDs: userIDs, OrderBy: clerk.String("+created_at"),
		})
	})
}

func (r *run) applyMembership(ctx context.Context, orgID string, m *clerk.OrganizationMembership) error {
	if m.PublicUserData == nil || m.PublicUserData.UserID == "" {
		return nil // not a user membership we can store
	}
	if m.Organization == nil {
		m.Organization = &clerk.Organization{ID: orgID}
	}
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return r.report.Memberships.count(clerksync.SyncMembership(ctx, tx, m))
	})
}

// domains upserts orgID's domains and deletes the local ones Clerk no longer
// lists (a second listing confirms: the Backend API has no single-domain read).
func (r *run) domains(ctx context.Context, orgID string) error {
	listed, err := r.listDomains(ctx, orgID, func(d *clerk.OrganizationDomain) error {
		return r.report.Domains.count(clerksync.SyncDomain(ctx, r.db, d))
	})
	if ok, _ := gone(err); ok {
		return nil // the organization was deleted since it was listed
	}
	if err != nil {
		return err
	}
	local, err := models.DomainIDsBefore(ctx, r.db, orgID, r.started)
	if err != nil {
		return err
	}
	return r.deleteMissing(ctx, kindDomains, local, listed, func(id string) (bool, error) {
		again, err := r.listDomains(ctx, orgID, func(*clerk.OrganizationDomain) error { return nil })
		if ok, _ := gone(err); ok {
			return true, nil
		}
		return !again[id], err
	}, func(id string) error {
		_, err := models.DeleteDomain(ctx, r.db, id, time.Now().UTC())
		return err
	}, &r.report.Domains)
}

// listDomains pages through orgID's domains, calls each for every one, and
// returns the ids listed.
func (r *run) listDomains(ctx context.Context, orgID string, each func(*clerk.OrganizationDomain) error) (map[string]bool, error) {
	seen := map[string]bool{}
	err := eachPage(func(offset int64) ([]*clerk.OrganizationDomain, error) {
		page, err := retry(ctx, r, "list domains", func() (*clerk.OrganizationDomainList, error) {
			return r.c.Domains.List(ctx, orgID, &organizationdomain.ListParams{ListParams: listParams(offset)})
		})
		if err != nil {
			return nil, err
		}
		return page.OrganizationDomains, nil
	}, func(d *clerk.OrganizationDomain) error {
		seen[d.ID] = true
		return each(d)
	})
	return seen, err
}

// eachPage pages through a Backend API listing, pageSize items at a time
// by offset, and calls each for every item.
func eachPage[T any](list func(offset int64) ([]T, error), each func(T) error) error {
	for offset := int64(0); ; {
		items, err := list(offset)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := each(it); err != nil {
				return err
			}
		}
		if len(items) < pageSize {
			return nil
		}
		offset += int64(len(items))
	}
}

// deleteMissing deletes the local ids absent from seen once isGone confirms
// Clerk no longer has them. When Clerk listed no users (or organizations) at
// all but local ones exist, it deletes nothing: that is far more likely a key
// for the wrong instance than every row deleted, and deletions are final.
func (r *run) deleteMissing(ctx context.Context, kind string, local []string, seen map[string]bool,
	isGone func(id string) (bool, error), del func(id string) error, counts *Counts) error {
	if len(seen) == 0 && len(local) > 0 && kind != kindMemberships && kind != kindDomains {
		r.log.WarnContext(ctx, "sync: Clerk listed none; not deleting local rows (check CLERK_SECRET_KEY)",
			slog.String("kind", kind), slog.Int("local", len(local)))
		return nil
	}
	for _, id := range local {
		if seen[id] {
			continue
		}
		ok, err := isGone(id)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := del(id); err != nil {
			return err
		}
		counts.Deleted++
	}
	return nil
}

// gone reports whether err is the Backend API's 404; other errors are returned.
func gone(err error) (bool, error) {
	switch {
	case err == nil:
		return false, nil
	case clerksync.IsGone(err):
		return true, nil
	default:
		return false, err
	}
}

// retry calls fn until it succeeds, fails for good, or MaxAttempts is used
// up. 429 and 5xx answers are retried after Retry-After when the answer has
// one, else after an exponential backoff.
func retry[T any](ctx context.Context, r *run, what string, fn func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		v, err := fn()
		if err == nil {
			return v, nil
		}
		again, after := clerksync.Retryable(err)
		if !again || attempt >= r.c.MaxAttempts {
			return v, fmt.Errorf("clerk %s: %w", what, err)
		}
		wait := min(time.Second<<(attempt-1), 30*time.Second)
		if d, ok := retryAfter(after); ok {
			wait = min(d, 2*time.Minute)
		}
		r.log.WarnContext(ctx, "sync: Clerk API busy, retrying", slog.String("call", what),
			slog.Any("error", err), slog.Duration("wait", wait), slog.Int("attempt", attempt))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, fmt.Errorf("clerk %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

func listParams(offset int64) clerk.ListParams {
	return clerk.ListParams{Limit: clerk.Int64(pageSize), Offset: clerk.Int64(offset)}
}
