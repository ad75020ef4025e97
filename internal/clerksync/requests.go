package clerksync

import (
	"context"
	"errors"
	"fmt"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"gorm.io/gorm"

	"example.com/saas/models"
)

// AcceptRequest accepts the request organization's pending membership
// request id: in one transaction it marks the request accepted (a
// conditional UPDATE that holds the row's lock, so a second admin accepting
// at once waits, then gets models.ErrDecided), adds the membership in Clerk
// through the Backend API (the request is the app's; the membership is
// Clerk's, as for an invitation's one-click join), writes it here at once
// and records the audit event. When Clerk refuses, nothing is marked.
// Another organization's id is models.ErrNotFound.
func (c *Clerk) AcceptRequest(ctx context.Context, id string) (models.PendingRequest, error) {
	t, err := tenant(ctx)
	if err != nil {
		return models.PendingRequest{}, err
	}
	var req *models.PendingRequest
	err = c.store.transaction(ctx, func(tx *gorm.DB) error {
		if err := models.InTenant(ctx, tx, c.store.tenantRole, func(tx *gorm.DB) error {
			var err error
			req, err = models.DecideRequest(ctx, tx, id, models.RequestAccepted)
			return err
		}); err != nil {
			return err
		}
		m, err := c.memberships.Create(ctx, &organizationmembership.CreateParams{
			OrganizationID: t.OrgID, UserID: clerk.String(req.UserID), Role: clerk.String(models.RoleMember),
		})
		var r *Refusal
		if err = classify("accept a request to join", err); errors.As(err, &r) && r.Code == "already_a_member_in_organization" {
			m, err = nil, nil // joined meanwhile (an invitation): the membership is there
		}
		if err != nil {
			return err
		}
		if m != nil && m.ID != "" {
			if _, err := SyncMembership(ctx, tx, m); err != nil {
				return err
			}
		}
		summary := fmt.Sprintf("Accepted %s's request to join as %s", req.DisplayName(), models.RoleLabel(models.RoleMember))
		return c.store.audited(ctx, tx, Audit{"member.request_accepted", "user", req.UserID, summary})
	})
	if err != nil {
		return models.PendingRequest{}, err
	}
	return *req, nil
}
