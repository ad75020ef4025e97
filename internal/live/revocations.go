package live

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"example.com/saas/models"
)

// Revocations answers models.IsSessionRevoked from memory on every
// instance, as a Follower of models.RevokedChannel: the Listener LISTENs, then Reload loads
// revoked_sessions, then each notification adds a session. While it is not
// live (start-up, a lost connection) it asks the database, so a revocation
// is never missed, only answered by a query.
type Revocations struct {
	db   *gorm.DB
	live atomic.Bool

	mu  sync.RWMutex
	ids map[string]struct{}
}

// NewRevocations returns a Revocations on db; a Listener keeps it current.
func NewRevocations(db *gorm.DB) *Revocations {
	return &Revocations{db: db, ids: map[string]struct{}{}}
}

// IsRevoked reports whether Clerk ended sessionID.
func (r *Revocations) IsRevoked(ctx context.Context, sessionID string) (bool, error) {
	if !r.live.Load() {
		return models.IsSessionRevoked(ctx, r.db, sessionID)
	}
	r.mu.RLock()
	_, ok := r.ids[sessionID]
	r.mu.RUnlock()
	return ok, nil
}

// Listening reports whether answers come from memory.
func (r *Revocations) Listening() bool { return r.live.Load() }

// Channel implements Follower.
func (r *Revocations) Channel() string { return models.RevokedChannel }

// SetLive implements Follower.
func (r *Revocations) SetLive(live bool) { r.live.Store(live) }

// Notified implements Follower: the payload is a revoked session id.
func (r *Revocations) Notified(sessionID string) { r.Add(sessionID) }

// Add records a revocation this instance has just committed, so its next
// request refuses the session without waiting for the NOTIFY. Call it only
// after the commit: a rolled-back revocation must not sign anyone out.
func (r *Revocations) Add(sessionID string) {
	r.mu.Lock()
	r.ids[sessionID] = struct{}{}
	r.mu.Unlock()
}

// Reload implements Follower: it loads every revoked session.
func (r *Revocations) Reload(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, "SELECT session_id FROM revoked_sessions")
	if err != nil {
		return fmt.Errorf("load revoked sessions: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("load revoked sessions: %w", err)
	}
	set := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	r.mu.Lock()
	r.ids = set
	r.mu.Unlock()
	return nil
}
