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

// ErrLastAdmin refuses a change that would leave the organization without
// an admin.
var ErrLastAdmin = errors.New("an organization needs an admin")

// ChangeRole gives the request organization's member userID role in Clerk,
// then writes Clerk's answer here with the audit event, and returns the
// role Clerk gave. The last admin cannot be demoted (ErrLastAdmin); a
// member gone meanwhile is models.ErrNotFound.
func (c *Clerk) ChangeRole(ctx context.Context, userID, role string) (string, error) {
	var newRole string
	err := c.adminChange(ctx, userID, role == models.RoleAdmin, func(ctx context.Context, tx *gorm.DB, t models.Tenant, m *models.Member) error {
		cm, err := c.memberships.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: t.OrgID, UserID: m.UserID, Role: clerk.String(role)})
		if err != nil {
			return classify("update membership", err)
		}
		newRole = models.NormalizeRole(cm.Role)
		if _, err := SyncMembership(ctx, tx, cm); err != nil {
			return err
		}
		summary := fmt.Sprintf("Changed %s's role from %s to %s", m.DisplayName(), models.RoleLabel(m.Role), models.RoleLabel(newRole))
		return c.store.audited(ctx, tx, Audit{"member.role_changed", "user", m.UserID, summary})
	})
	return newRole, err
}

// RemoveMember removes the request organization's member userID in Clerk
// (one already gone there is fine), then here, with the audit event. The
// last admin cannot be removed (ErrLastAdmin); a member gone meanwhile is
// models.ErrNotFound.
func (c *Clerk) RemoveMember(ctx context.Context, userID string) error {
	return c.adminChange(ctx, userID, false, c.removeMembership)
}

// Leave removes the request's own user from the request organization, as
// RemoveMember does but without the right to manage members: anyone may
// leave. The last admin cannot (ErrLastAdmin), so that an organization is
// never left without one; one already gone is models.ErrNotFound.
func (c *Clerk) Leave(ctx context.Context) error {
	t, err := tenant(ctx)
	if err != nil {
		return err
	}
	return c.lockedChange(ctx, t.UserID, false, c.removeMembership)
}

// removeMembership deletes m's membership in Clerk, then here, with the
// audit event: a removal, or a leave when m is the actor.
func (c *Clerk) removeMembership(ctx context.Context, tx *gorm.DB, t models.Tenant, m *models.Member) error {
	_, err := c.memberships.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: t.OrgID, UserID: m.UserID})
	if err != nil && !IsGone(err) {
		return classify("delete membership", err)
	}
	if _, err := models.DeleteMembership(ctx, tx, m.MembershipID, t.OrgID, m.UserID); err != nil {
		return err
	}
	summary := "Removed " + m.DisplayName()
	if m.UserID == t.UserID {
		summary = m.DisplayName() + " left the organization"
	}
	return c.store.audited(ctx, tx, Audit{"member.removed", "user", m.UserID, summary})
}

// change is a role change or removal of the member m, run under the admin
// lock with its transaction.
type change func(ctx context.Context, tx *gorm.DB, t models.Tenant, m *models.Member) error

// adminChange runs fn, an admin's role change or removal of the member
// userID, under the admin lock (see lockedChange), once it has checked
// that the actor may still manage members.
func (c *Clerk) adminChange(ctx context.Context, userID string, keep bool, fn change) error {
	return c.lockedChange(ctx, userID, keep, func(ctx context.Context, tx *gorm.DB, t models.Tenant, m *models.Member) error {
		if err := stillMayManage(ctx, tx, t); err != nil {
			return err
		}
		return fn(ctx, tx, t, m)
	})
}

// lockedChange runs fn, a role change or removal of the member userID,
// serialized with every other such change of the organization, on every
// instance: in one transaction it takes the organization's admin lock
// (models.LockAdmins), reads the member again under it (ErrNotFound when
// gone), refuses with ErrLastAdmin when keep is false for the only admin
// (keep: the member stays an admin), and then runs fn with the transaction
// and the member as read under the lock. fn calls Clerk and then writes,
// so the check, the Clerk call and the local write happen under the lock,
// and the next change's check sees their outcome. The transaction, and its
// pooled connection, is held across the Clerk call: bounded by the
// request's deadline and the Clerk client's timeout, and only for these
// rare admin actions.
func (c *Clerk) lockedChange(ctx context.Context, userID string, keep bool, fn change) error {
	t, err := tenant(ctx)
	if err != nil {
		return err
	}
	return c.store.transaction(ctx, func(tx *gorm.DB) error {
		if err := models.LockAdmins(ctx, tx); err != nil {
			return err
		}
		m, err := models.MemberOf(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !keep && models.NormalizeRole(m.Role) == models.RoleAdmin {
			if err := keepsAnAdmin(ctx, tx); err != nil {
				return err
			}
		}
		return fn(ctx, tx, t, m)
	})
}

// keepsAnAdmin refuses with ErrLastAdmin when the organization has one admin.
func keepsAnAdmin(ctx context.Context, tx *gorm.DB) error {
	n, err := models.CountAdmins(ctx, tx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return ErrLastAdmin
	}
	return nil
}

// stillMayManage re-reads the actor's own membership under the admin lock:
// a mirror request that went first (another admin demoting or removing this
// one) may have taken the right the request was admitted with.
func stillMayManage(ctx context.Context, tx *gorm.DB, t models.Tenant) error {
	refused := &models.PermissionError{Permission: models.PermMembershipsManage}
	actor, err := models.MemberOf(ctx, tx, t.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return refused // removed
	}
	if err != nil {
		return err
	}
	if now := (models.Tenant{Role: actor.Role, Permissions: actor.Permissions}); !now.Can(models.PermMembershipsManage) {
		return refused // demoted
	}
	return nil
}
