package clerksync

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
	"gorm.io/gorm"

	"example.com/saas/models"
)

// Read-through bounds: a refusal is remembered for missingTTL, and at most
// readRate reads per second (burst readBurst) reach the Backend API, so
// tokens naming made-up organizations cannot spend the instance's quota.
const (
	missingTTL    = 30 * time.Second
	maxMissing    = 10_000
	readRate      = 5
	readBurst     = 10
	readThroughTO = 5 * time.Second
)

// MembershipReadThrough answers a local miss for a membership that a
// verified session token names: the membership webhook may still be in
// flight, or was lost. It reads that one membership from Clerk's Backend
// API and stores it as the webhook would (SyncMembership), so the request
// goes on and the next ones are answered locally. Concurrent misses for the
// same user and organization share one read.
type MembershipReadThrough struct {
	store       *Store
	memberships *organizationmembership.Client
	log         *slog.Logger
	reads       *prometheus.CounterVec

	limit *rate.Limiter
	group singleflight.Group
	now   func() time.Time

	mu      sync.Mutex
	missing map[string]time.Time // org/user → refused until
}

// NewMembershipReadThrough returns a read-through of c's Backend API into
// c's store; its counter is registered on reg when not nil.
func NewMembershipReadThrough(c *Clerk, reg prometheus.Registerer) *MembershipReadThrough {
	m := &MembershipReadThrough{
		store: c.store, memberships: c.memberships, log: c.log, now: time.Now,
		limit:   rate.NewLimiter(readRate, readBurst),
		missing: map[string]time.Time{},
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clerk_membership_read_through_total",
			Help: "Memberships read from Clerk's Backend API on a local miss, by outcome (stored, not_member, limited, failed).",
		}, []string{"outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.reads)
	}
	return m
}

// Fetch reads the membership of userID in orgID from Clerk and stores it;
// it reports whether there was one. Clerk being unreachable or the rate
// being spent count as no membership: the request is refused as before.
func (m *MembershipReadThrough) Fetch(ctx context.Context, orgID, userID string) bool {
	key := orgID + "/" + userID
	if m.refused(key) {
		return false
	}
	found, _, _ := m.group.Do(key, func() (any, error) {
		// Shared by every request waiting on this flight: not cancelled
		// with the first one's.
		ctx := context.WithoutCancel(ctx)
		// A read that finished just before this miss joined no flight:
		// ask the local table again before asking Clerk.
		if ok, err := models.HasMembership(ctx, m.store.db, orgID, userID); err == nil && ok {
			return true, nil
		}
		outcome := m.read(ctx, orgID, userID)
		m.reads.WithLabelValues(outcome).Inc()
		if outcome == "not_member" {
			m.refuse(key)
		}
		return outcome == "stored", nil
	})
	return found.(bool)
}

// read does one Backend API read and returns its outcome.
func (m *MembershipReadThrough) read(ctx context.Context, orgID, userID string) string {
	if !m.limit.Allow() {
		return "limited"
	}
	ctx, cancel := context.WithTimeout(ctx, readThroughTO)
	defer cancel()
	list, err := m.memberships.List(ctx, &organizationmembership.ListParams{OrganizationID: orgID, UserIDs: []string{userID}})
	if IsGone(err) {
		return "not_member" // no such organization
	}
	if err != nil {
		m.log.WarnContext(ctx, "read membership from Clerk", slog.String("membership", orgID+"/"+userID), slog.Any("error", err))
		return "failed"
	}
	if len(list.OrganizationMemberships) == 0 {
		return "not_member"
	}
	stored, err := m.keep(ctx, list.OrganizationMemberships[0], orgID, userID)
	if err != nil {
		m.log.ErrorContext(ctx, "store membership read from Clerk", slog.String("membership", orgID+"/"+userID), slog.Any("error", err))
		return "failed"
	}
	if !stored {
		return "not_member" // removed here (a webhook said so): Clerk's copy is older
	}
	return "stored"
}

// keep writes the Backend API's membership as an
// organizationMembership.updated webhook carrying it would be, and reports
// whether the membership exists afterwards: the webhook's rules keep a
// membership removed here removed.
func (m *MembershipReadThrough) keep(ctx context.Context, membership *clerk.OrganizationMembership, orgID, userID string) (bool, error) {
	var exists bool
	err := m.store.transaction(ctx, func(tx *gorm.DB) error {
		if _, err := SyncMembership(ctx, tx, membership); err != nil {
			return err
		}
		var err error
		exists, err = models.HasMembership(ctx, tx, orgID, userID)
		return err
	})
	return exists, err
}

func (m *MembershipReadThrough) refused(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.missing[key]
	if ok && m.now().After(until) {
		delete(m.missing, key)
		return false
	}
	return ok
}

func (m *MembershipReadThrough) refuse(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.missing) >= maxMissing {
		clear(m.missing) // bounded: a flood of made-up ids only costs re-reads, within the rate
	}
	m.missing[key] = m.now().Add(missingTTL)
}
