package clerksync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"gorm.io/gorm"

	"example.com/saas/models"
)

// ErrSlugTaken: another live organization holds the slug here.
var ErrSlugTaken = errors.New("the slug is taken")

// CreateOrganization creates an organization named name in Clerk with the
// creator as its admin, and writes it and the creator's membership (read
// back from Clerk for its id and permissions) to the local tables at once,
// so the next page works before the webhooks arrive.
func (c *Clerk) CreateOrganization(ctx context.Context, name, creatorID string) (models.Organization, error) {
	org, err := c.organizations.Create(ctx, &organization.CreateParams{
		Name: clerk.String(name), Slug: clerk.String(c.freeSlug(ctx, name)), CreatedBy: clerk.String(creatorID),
	})
	if err != nil {
		return models.Organization{}, classify("create organization", err)
	}
	list, err := c.memberships.List(ctx, &organizationmembership.ListParams{OrganizationID: org.ID, UserIDs: []string{creatorID}})
	if err != nil {
		return models.Organization{}, classify("read the creator's membership", err)
	}
	err = c.store.transaction(ctx, func(tx *gorm.DB) error {
		if _, err := SyncOrganization(ctx, tx, org); err != nil {
			return err
		}
		for _, m := range list.OrganizationMemberships {
			if _, err := SyncMembership(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return models.Organization{}, fmt.Errorf("store created organization %s: %w", org.ID, err)
	}
	return localOrganization(org)
}

// UpdateOrganization renames the request's organization and changes its
// slug in Clerk, then the local row from Clerk's answer, with the audit
// event. A slug another organization holds here is ErrSlugTaken, before
// Clerk is asked.
func (c *Clerk) UpdateOrganization(ctx context.Context, name, slug string) (models.Organization, error) {
	t, err := tenant(ctx)
	if err != nil {
		return models.Organization{}, err
	}
	if slug != t.Slug {
		if err := c.slugFree(ctx, slug); err != nil {
			return models.Organization{}, err
		}
	}
	org, err := c.organizations.Update(ctx, t.OrgID, &organization.UpdateParams{Name: clerk.String(name), Slug: clerk.String(slug)})
	if err != nil {
		return models.Organization{}, classify("update organization", err)
	}
	summary := fmt.Sprintf("Updated the organization (name %q, slug %q)", org.Name, org.Slug)
	err = c.store.syncAndAudit(ctx, func(tx *gorm.DB) error {
		_, err := SyncOrganization(ctx, tx, org)
		return err
	}, Audit{"organization.updated", "organization", org.ID, summary})
	if err != nil {
		return models.Organization{}, err
	}
	return localOrganization(org)
}

// DeleteOrganization deletes the request's organization in Clerk (one
// already gone there is fine), then here at once with its memberships,
// with the audit event.
func (c *Clerk) DeleteOrganization(ctx context.Context) error {
	t, err := tenant(ctx)
	if err != nil {
		return err
	}
	if _, err := c.organizations.Delete(ctx, t.OrgID); err != nil && !IsGone(err) {
		return classify("delete organization", err)
	}
	return c.store.syncAndAudit(ctx, func(tx *gorm.DB) error {
		_, err := models.DeleteOrganization(ctx, tx, t.OrgID, time.Now())
		return err
	}, Audit{"organization.deleted", "organization", t.OrgID, fmt.Sprintf("Deleted the organization %q", t.Name)})
}

// slugFree is nil when no live organization holds slug here.
func (c *Clerk) slugFree(ctx context.Context, slug string) error {
	_, err := models.OrganizationBySlug(ctx, c.store.db, slug)
	switch {
	case err == nil:
		return ErrSlugTaken
	case errors.Is(err, models.ErrNotFound):
		return nil
	default:
		return err
	}
}

// freeSlug derives a slug from name (lowercase a-z, 0-9 and dashes) and adds
// a short random suffix when an organization already holds it locally.
func (c *Clerk) freeSlug(ctx context.Context, name string) string {
	slug := slugify(name)
	if c.slugFree(ctx, slug) == nil {
		return slug
	}
	b := make([]byte, 3)
	rand.Read(b)
	return slug + "-" + hex.EncodeToString(b)
}

// slugify makes a slug of name: its letters and digits, lowercased, runs
// of anything else as one dash, at most about 40 characters; "org" when
// nothing is left.
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		default:
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	if b.Len() == 0 {
		return "org"
	}
	return b.String()
}

// localOrganization is Clerk's organization as the local row holds it.
func localOrganization(o *clerk.Organization) (models.Organization, error) {
	d, err := fromSDK[orgData](o)
	return d.model(), err
}
