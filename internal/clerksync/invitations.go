package clerksync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"

	"example.com/saas/models"
)

// Invitation is a pending invitation to the organization, from Clerk
// (invitations are not synced locally).
type Invitation struct {
	ID        string
	Email     string
	Role      string
	CreatedAt time.Time
	// ExpiresAt is nil for an invitation that never expires.
	ExpiresAt *time.Time
}

// Refusals of an invitation.
var (
	// ErrAlreadyMember: the address is a member of the organization.
	ErrAlreadyMember = errors.New("already a member of the organization")
	// ErrAlreadyInvited: the address has a pending invitation.
	ErrAlreadyInvited = errors.New("already invited to the organization")
	// ErrNotPending: the invitation was revoked or accepted already.
	ErrNotPending = errors.New("the invitation is no longer pending")
)

// Invite invites email to the request's organization as role through
// Clerk, which sends the email; redirectURL is where its link lands. The
// audit event is written once Clerk has accepted it.
func (c *Clerk) Invite(ctx context.Context, email, role, redirectURL string) (Invitation, error) {
	t, err := tenant(ctx)
	if err != nil {
		return Invitation{}, err
	}
	if err := c.notAMember(ctx, email); err != nil {
		return Invitation{}, err
	}
	inv, err := c.invitations.Create(ctx, &organizationinvitation.CreateParams{
		OrganizationID: t.OrgID, EmailAddress: clerk.String(email), Role: clerk.String(role),
		InviterUserID: clerk.String(t.UserID), RedirectURL: clerk.String(redirectURL),
	})
	if err != nil {
		return Invitation{}, inviteRefusal(classify("create invitation", err))
	}
	summary := fmt.Sprintf("Invited %s as %s", email, models.RoleLabel(role))
	if err := c.store.audited(ctx, c.store.db, Audit{"member.invited", "invitation", inv.ID, summary}); err != nil {
		return Invitation{}, err
	}
	return invitation(inv), nil
}

// notAMember refuses an address that is a member already (ErrAlreadyMember).
func (c *Clerk) notAMember(ctx context.Context, email string) error {
	members, err := models.MembersOf(ctx, c.store.db)
	if err != nil {
		return err
	}
	for _, m := range members {
		if strings.EqualFold(m.Email, email) {
			return ErrAlreadyMember
		}
	}
	return nil
}

// inviteRefusal names Clerk's refusals of a repeated invitation.
func inviteRefusal(err error) error {
	var r *Refusal
	if !errors.As(err, &r) {
		return err
	}
	switch r.Code {
	case "duplicate_record":
		return fmt.Errorf("%w: %w", ErrAlreadyInvited, err)
	case "already_a_member_in_organization":
		return fmt.Errorf("%w: %w", ErrAlreadyMember, err)
	}
	return err
}

// PendingInvitations lists the request organization's pending invitations
// (up to 100) from Clerk.
func (c *Clerk) PendingInvitations(ctx context.Context) ([]Invitation, error) {
	t, err := tenant(ctx)
	if err != nil {
		return nil, err
	}
	list, err := c.invitations.List(ctx, &organizationinvitation.ListParams{
		OrganizationID: t.OrgID, Statuses: &[]string{"pending"},
		ListParams: clerk.ListParams{Limit: clerk.Int64(100)},
	})
	if err != nil {
		return nil, classify("list invitations", err)
	}
	out := make([]Invitation, 0, len(list.OrganizationInvitations))
	for _, i := range list.OrganizationInvitations {
		out = append(out, invitation(i))
	}
	return out, nil
}

// RevokeInvitation revokes the request organization's pending invitation
// id, with the audit event; one no longer pending (a double submit) is
// ErrNotPending.
func (c *Clerk) RevokeInvitation(ctx context.Context, id string) (Invitation, error) {
	t, err := tenant(ctx)
	if err != nil {
		return Invitation{}, err
	}
	inv, err := c.invitations.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: t.OrgID, ID: id, RequestingUserID: clerk.String(t.UserID)})
	if status, _, _ := apiError(err); status == http.StatusNotFound || status == http.StatusUnprocessableEntity {
		return Invitation{}, fmt.Errorf("%w: %w", ErrNotPending, err)
	}
	if err != nil {
		return Invitation{}, classify("revoke invitation", err)
	}
	if err := c.store.audited(ctx, c.store.db, Audit{"member.invitation_revoked", "invitation", inv.ID, "Revoked the invitation for " + inv.EmailAddress}); err != nil {
		return Invitation{}, err
	}
	return invitation(inv), nil
}

func invitation(i *clerk.OrganizationInvitation) Invitation {
	out := Invitation{ID: i.ID, Email: i.EmailAddress, Role: i.Role, CreatedAt: time.UnixMilli(i.CreatedAt).UTC()}
	if i.ExpiresAt != nil {
		at := time.UnixMilli(*i.ExpiresAt).UTC()
		out.ExpiresAt = &at
	}
	return out
}
