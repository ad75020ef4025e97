package clerksync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"gorm.io/gorm"

	"example.com/saas/models"
)

// UserInvitation is a pending invitation addressed to the signed-in user,
// such as the one a verified domain in automatic_invitation mode sends.
type UserInvitation struct {
	ID      string
	OrgID   string
	OrgName string
	OrgSlug string
	Role    string
	Email   string
}

// UserInvitations lists userID's pending organization invitations (up to
// 100) from Clerk, for the organization chooser.
func (c *Clerk) UserInvitations(ctx context.Context, userID string) ([]UserInvitation, error) {
	list, err := c.users.ListOrganizationInvitations(ctx, &user.ListOrganizationInvitationsParams{
		UserID: userID, Statuses: &[]string{"pending"}, ListParams: clerk.ListParams{Limit: clerk.Int64(100)},
	})
	if err != nil {
		return nil, classify("list the user's invitations", err)
	}
	out := make([]UserInvitation, 0, len(list.OrganizationInvitations))
	for _, i := range list.OrganizationInvitations {
		ui := UserInvitation{ID: i.ID, OrgID: i.OrganizationID, Role: i.Role, Email: i.EmailAddress}
		if o := i.PublicOrganizationData; o != nil {
			ui.OrgName, ui.OrgSlug = o.Name, o.Slug
		}
		out = append(out, ui)
	}
	return out, nil
}

// AcceptInvitation joins userID to the organization of its pending
// invitation id: through the Backend API (Clerk's one-click accept is a
// Frontend API call made with the user's own session) it adds the membership
// with the invitation's role, writes it here at once with the audit event,
// then revokes the invitation, which has served. An id that is not one of
// the user's pending invitations is ErrNotPending.
func (c *Clerk) AcceptInvitation(ctx context.Context, userID, id string) (UserInvitation, error) {
	pending, err := c.UserInvitations(ctx, userID)
	if err != nil {
		return UserInvitation{}, err
	}
	var inv *UserInvitation
	for i := range pending {
		if pending[i].ID == id {
			inv = &pending[i]
		}
	}
	if inv == nil {
		return UserInvitation{}, fmt.Errorf("accept invitation %s: %w", id, ErrNotPending)
	}
	m, err := c.memberships.Create(ctx, &organizationmembership.CreateParams{
		OrganizationID: inv.OrgID, UserID: clerk.String(userID), Role: clerk.String(inv.Role),
	})
	var r *Refusal
	if err = classify("join through an invitation", err); errors.As(err, &r) && r.Code == "already_a_member_in_organization" {
		err = nil // a second click: the membership is there
	}
	if err != nil {
		return UserInvitation{}, err
	}
	tctx := models.WithTenant(ctx, models.Tenant{OrgID: inv.OrgID, Slug: inv.OrgSlug, Name: inv.OrgName, UserID: userID, Role: inv.Role})
	sync := func(tx *gorm.DB) error {
		if m == nil || m.ID == "" {
			return nil
		}
		_, err := SyncMembership(tctx, tx, m)
		return err
	}
	summary := fmt.Sprintf("Joined as %s through the invitation to %s", models.RoleLabel(inv.Role), inv.Email)
	if err := c.store.syncAndAudit(tctx, sync, Audit{"member.joined", "invitation", inv.ID, summary}); err != nil {
		return UserInvitation{}, err
	}
	if _, err := c.invitations.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: inv.OrgID, ID: inv.ID}); err != nil {
		c.log.WarnContext(ctx, "revoke the accepted invitation", slog.String("invitation_id", inv.ID), slog.Any("error", classify("revoke invitation", err)))
	}
	return *inv, nil
}
