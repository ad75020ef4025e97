package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
	"gorm.io/gorm"

	"example.com/saas/internal/live"
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
// API and stores it through the webhook's own code, so the request goes on
// and the next ones are answered locally. Concurrent misses for the same
// user and organization share one read.
type MembershipReadThrough struct {
	db          *gorm.DB
	memberships *organizationmembership.Client
	// Directory, when set, drops its copy after a stored membership.
	Directory *live.Directory
	log       *slog.Logger
	reads     *prometheus.CounterVec

	limit *rate.Limiter
	group singleflight.Group
	now   func() time.Time

	mu      sync.Mutex
	missing map[string]time.Time // org/user → refused until
}

// NewMembershipReadThrough returns a read-through on db and Clerk's
// membership client; its counter is registered on reg when not nil.
func NewMembershipReadThrough(db *gorm.DB, memberships *organizationmembership.Client, log *slog.Logger, reg prometheus.Registerer) *MembershipReadThrough {
	m := &MembershipReadThrough{
		db: db, memberships: memberships, log: log, now: time.Now,
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
		if ok, err := models.HasMembership(ctx, m.db, orgID, userID); err == nil && ok {
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
	if status, _, _ := clerkStatus(err); status == 404 {
		return "not_member" // no such organization
	}
	if err != nil {
		m.log.WarnContext(ctx, "read membership from Clerk", slog.String("org_id", orgID), slog.String("user_id", userID), slog.Any("error", err))
		return "failed"
	}
	if len(list.OrganizationMemberships) == 0 {
		return "not_member"
	}
	stored, err := m.store(ctx, list.OrganizationMemberships[0], orgID, userID)
	if err != nil {
		m.log.ErrorContext(ctx, "store membership read from Clerk", slog.String("org_id", orgID), slog.String("user_id", userID), slog.Any("error", err))
		return "failed"
	}
	if !stored {
		return "not_member" // removed here (a webhook said so): Clerk's copy is older
	}
	if m.Directory != nil {
		m.Directory.Changed()
	}
	return "stored"
}

// store applies the Backend API's membership object exactly as an
// organizationMembership.updated webhook carrying it would be applied, and
// reports whether the membership exists afterwards: the webhook's rules
// keep a membership removed here removed.
func (m *MembershipReadThrough) store(ctx context.Context, membership any, orgID, userID string) (bool, error) {
	raw, err := json.Marshal(membership)
	if err != nil {
		return false, fmt.Errorf("encode membership: %w", err)
	}
	apply, err := eventEffect(webhookEvent{Type: "organizationMembership.updated", Object: "event", Data: raw})
	if err != nil {
		return false, err
	}
	var exists bool
	err = m.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := apply(ctx, tx); err != nil {
			return err
		}
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
