package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// MembershipRequest is a user's request to join an organization that one of
// its domains suggested to them. Tenant-owned by the organization asked: the
// requester is not a member, so their request is written in a transaction
// whose tenant is that organization (see RequestMembership). App-local:
// accepting it creates the membership in Clerk, which stays the source of
// memberships.
type MembershipRequest struct {
	OrganizationID string
	ID             string `gorm:"primaryKey"`
	UserID         string
	Status         string
	CreatedAt      time.Time
	DecidedAt      *time.Time
	DecidedBy      *string
}

// TenantOwned puts MembershipRequest behind the tenant scope and guard.
func (MembershipRequest) TenantOwned() {}

// Statuses of a membership request.
const (
	RequestPending  = "pending"
	RequestAccepted = "accepted"
	RequestRejected = "rejected"
)

// ErrDecided: the membership request was already accepted or rejected.
var ErrDecided = errors.New("the request was already decided")

// PendingRequest is a pending request with its requester's name, for the
// members page.
type PendingRequest struct {
	ID        string
	UserID    string
	Email     string
	FirstName string
	LastName  string
	CreatedAt time.Time
}

// DisplayName is the requester's full name, else email, else id.
func (p PendingRequest) DisplayName() string {
	u := User{ID: p.UserID, Email: p.Email, FirstName: p.FirstName, LastName: p.LastName}
	return u.DisplayName()
}

// tenantUser is the context's organization and user, or ErrNoTenant.
func tenantUser(ctx context.Context) (Tenant, error) {
	t, ok := TenantFrom(ctx)
	if !ok || t.UserID == "" {
		return Tenant{}, ErrNoTenant
	}
	return t, nil
}

// RequestMembership records the tenant's user's pending request to join the
// tenant's organization; created is false when one is pending already (a
// second click), which changes nothing. Run it in the tenant's transaction.
func RequestMembership(ctx context.Context, tx *gorm.DB) (id string, created bool, err error) {
	t, err := tenantUser(ctx)
	if err != nil {
		return "", false, err
	}
	var ids []string
	err = tx.WithContext(ctx).Raw(`
INSERT INTO membership_requests (organization_id, user_id) VALUES (?, ?)
ON CONFLICT (organization_id, user_id) WHERE status = 'pending' DO NOTHING
RETURNING id`, t.OrgID, t.UserID).Scan(&ids).Error
	if err != nil {
		return "", false, fmt.Errorf("request to join %s: %w", t.OrgID, err)
	}
	if len(ids) == 1 {
		return ids[0], true, nil
	}
	return "", false, nil
}

// MembershipRequestStatus is the status of the tenant's user's latest
// request to join the tenant's organization, "" for none.
func MembershipRequestStatus(ctx context.Context, tx *gorm.DB) (string, error) {
	t, err := tenantUser(ctx)
	if err != nil {
		return "", err
	}
	var statuses []string
	err = tx.WithContext(ctx).Model(&MembershipRequest{}).Where("user_id = ?", t.UserID).
		Order("created_at DESC").Limit(1).Pluck("status", &statuses).Error
	if err != nil {
		return "", fmt.Errorf("request of %s to join %s: %w", t.UserID, t.OrgID, err)
	}
	if len(statuses) == 0 {
		return "", nil
	}
	return statuses[0], nil
}

// PendingRequests lists the tenant's pending membership requests, oldest
// first, with the requesters' names from the synced users.
func PendingRequests(ctx context.Context, tx *gorm.DB) ([]PendingRequest, error) {
	t, err := tenantUser(ctx)
	if err != nil {
		return nil, err
	}
	var out []PendingRequest
	err = tx.WithContext(ctx).Raw(`
SELECT r.id, r.user_id, u.email, u.first_name, u.last_name, r.created_at
FROM membership_requests r JOIN users u ON u.id = r.user_id
WHERE r.organization_id = ? AND r.status = 'pending'
ORDER BY r.created_at, r.id`, t.OrgID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("pending requests of %s: %w", t.OrgID, err)
	}
	return out, nil
}

// DecideRequest marks the tenant's pending request id as status (accepted
// or rejected) by the tenant's user, and returns it. The UPDATE is
// conditional on the request still being pending and locks its row until
// the transaction ends: of two admins deciding at once, the second waits,
// then finds it decided (ErrDecided). Another tenant's id, or one that is
// not a UUID, is ErrNotFound.
func DecideRequest(ctx context.Context, tx *gorm.DB, id, status string) (*PendingRequest, error) {
	t, err := tenantUser(ctx)
	if err != nil {
		return nil, err
	}
	if status != RequestAccepted && status != RequestRejected {
		return nil, fmt.Errorf("decide request %s: status %q", id, status)
	}
	if !ValidID(id) {
		return nil, fmt.Errorf("request %s: %w", id, ErrNotFound)
	}
	var out []PendingRequest
	err = tx.WithContext(ctx).Raw(`
WITH d AS (
    UPDATE membership_requests SET status = ?, decided_at = now(), decided_by = ?
    WHERE organization_id = ? AND id = ? AND status = 'pending'
    RETURNING id, user_id, created_at)
SELECT d.id, d.user_id, coalesce(u.email, '') AS email, coalesce(u.first_name, '') AS first_name,
       coalesce(u.last_name, '') AS last_name, d.created_at
FROM d LEFT JOIN users u ON u.id = d.user_id`, status, t.UserID, t.OrgID, id).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("decide request %s: %w", id, err)
	}
	if len(out) == 1 {
		return &out[0], nil
	}
	var exists bool
	if err := tx.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM membership_requests WHERE organization_id = ? AND id = ?)`, t.OrgID, id).Scan(&exists).Error; err != nil {
		return nil, fmt.Errorf("request %s: %w", id, err)
	}
	if exists {
		return nil, fmt.Errorf("request %s: %w", id, ErrDecided)
	}
	return nil, fmt.Errorf("request %s: %w", id, ErrNotFound)
}
