// Package clerksync is the one home of Clerk's data in the app: it turns
// Clerk's objects — from a webhook delivery (Webhooks), from the Backend API
// after the app changed something in Clerk (Clerk), from a read on a local
// miss (MembershipReadThrough) or from a full reconcile (SyncUser and its
// siblings, used by internal/reconcile) — into writes of the synced tables,
// with the change's audit event in the same transaction, and it classifies
// the Backend API's errors (ErrUnavailable, Refusal, models.ErrNotFound).
// Handlers call it and never see a clerk-sdk-go type.
package clerksync

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"example.com/saas/internal/live"
	"example.com/saas/models"
)

// Store writes Clerk's data to the synced tables and tells this instance's
// in-memory copies at once after each commit; other instances learn from
// the commit's NOTIFY.
type Store struct {
	db         *gorm.DB
	tenantRole string
	// directory and revocations are this instance's copies; nil when the
	// caller keeps none.
	directory   *live.Directory
	revocations *live.Revocations
}

// NewStore returns a Store on db; tenantRole is the role audit events are
// written as (DB_TENANT_ROLE), so row-level security applies to them.
func NewStore(db *gorm.DB, tenantRole string, directory *live.Directory, revocations *live.Revocations) *Store {
	return &Store{db: db, tenantRole: tenantRole, directory: directory, revocations: revocations}
}

// Audit is the audit event of a change made in the request's organization.
type Audit struct {
	Action     string
	TargetType string
	TargetID   string
	Summary    string
}

// transaction runs fn in one transaction, then drops this instance's copy
// of the directory (whatever the outcome: a needless drop only costs a
// query), so its next request reads the change.
func (s *Store) transaction(ctx context.Context, fn func(tx *gorm.DB) error) error {
	defer s.changed()
	return s.db.WithContext(ctx).Transaction(fn)
}

// audited records a as the request's tenant (row-level security on): in
// the open transaction tx, so it commits or rolls back with the synced
// rows, or, given the pool, in a transaction of its own (a change made in
// Clerk alone, with no local row to write).
func (s *Store) audited(ctx context.Context, tx *gorm.DB, a Audit) error {
	return models.InTenant(ctx, tx, s.tenantRole, func(tx *gorm.DB) error {
		return models.RecordAudit(ctx, tx, a.Action, a.TargetType, a.TargetID, a.Summary)
	})
}

// syncAndAudit runs sync (writes of synced rows, as the app's own role: the
// tenant role may only read the synced tables) and then records a, in one
// transaction: both or neither.
func (s *Store) syncAndAudit(ctx context.Context, sync func(tx *gorm.DB) error, a Audit) error {
	return s.transaction(ctx, func(tx *gorm.DB) error {
		if err := sync(tx); err != nil {
			return err
		}
		return s.audited(ctx, tx, a)
	})
}

func (s *Store) changed() {
	if s.directory != nil {
		s.directory.Changed()
	}
}

// revoked tells this instance's revocations of a committed one.
func (s *Store) revoked(sessionID string) {
	if s.revocations != nil && sessionID != "" {
		s.revocations.Add(sessionID)
	}
}

// revokeSession records sessionID as revoked, so every instance refuses it
// (this one at once).
func (s *Store) revokeSession(ctx context.Context, sessionID, userID string) error {
	if err := models.RevokeSession(ctx, s.db, sessionID, userID, "revoked"); err != nil {
		return fmt.Errorf("revoke session %s locally: %w", sessionID, err)
	}
	s.revoked(sessionID)
	return nil
}
