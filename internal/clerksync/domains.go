package clerksync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	"gorm.io/gorm"

	"example.com/saas/models"
)

// Domain is one of the organization's verified domains, from Clerk. Its
// settings page reads them from Clerk (with the pending counts only Clerk
// has); the synced organization_domains table, kept by the
// organizationDomain.* webhooks and written at once by AddDomain and
// RemoveDomain, serves the organization chooser's suggestions.
type Domain struct {
	ID             string
	Name           string
	EnrollmentMode string
	Verified       bool
	// PendingInvitations and PendingSuggestions are what the domain's
	// enrollment has sent and not yet seen accepted.
	PendingInvitations int64
	PendingSuggestions int64
	CreatedAt          time.Time
}

// Enrollment modes of a domain, as Clerk names them.
const (
	EnrollManual     = "manual_invitation"
	EnrollInvitation = "automatic_invitation"
	EnrollSuggestion = "automatic_suggestion"
)

// ErrDomainTaken: the organization has the domain, or another one has
// verified it.
var ErrDomainTaken = errors.New("the domain is already used")

// Domains lists the request organization's domains (up to 100), oldest first.
func (c *Clerk) Domains(ctx context.Context) ([]Domain, error) {
	t, err := tenant(ctx)
	if err != nil {
		return nil, err
	}
	list, err := c.domains.List(ctx, t.OrgID, &organizationdomain.ListParams{ListParams: clerk.ListParams{Limit: clerk.Int64(100)}})
	if err != nil {
		return nil, classify("list domains", err)
	}
	out := make([]Domain, 0, len(list.OrganizationDomains))
	for _, d := range list.OrganizationDomains {
		out = append(out, domain(d))
	}
	return out, nil
}

// AddDomain adds name to the request organization with the enrollment mode.
//
// Clerk's Backend API verifies a domain its caller says is verified. The app
// says so when the admin adding it has an email address at the domain (which
// Clerk verified when they signed up): that is the proof Clerk's own
// affiliation check asks for. Any other domain is added unverified, and
// enrolls nobody until it is verified in Clerk's dashboard.
func (c *Clerk) AddDomain(ctx context.Context, name, mode string) (Domain, error) {
	t, err := tenant(ctx)
	if err != nil {
		return Domain{}, err
	}
	admin, err := models.GetUser(ctx, c.store.db, t.UserID)
	if err != nil {
		return Domain{}, err
	}
	affiliated := strings.HasSuffix(strings.ToLower(admin.Email), "@"+name)
	d, err := c.domains.Create(ctx, t.OrgID, &organizationdomain.CreateParams{
		Name: clerk.String(name), EnrollmentMode: clerk.String(mode), Verified: clerk.Bool(affiliated),
	})
	if err != nil {
		return Domain{}, domainRefusal(classify("add domain", err))
	}
	summary := fmt.Sprintf("Added the domain %s (%s)", d.Name, EnrollmentLabel(d.EnrollmentMode))
	if affiliated {
		summary += ", verified by " + admin.Email
	}
	sync := func(tx *gorm.DB) error {
		_, err := SyncDomain(ctx, tx, d)
		return err
	}
	if err := c.store.syncAndAudit(ctx, sync, Audit{"domain.added", "domain", d.ID, summary}); err != nil {
		return Domain{}, err
	}
	return domain(d), nil
}

// RemoveDomain removes the request organization's domain id, with the audit
// event; one that is gone already is models.ErrNotFound.
func (c *Clerk) RemoveDomain(ctx context.Context, id string) error {
	t, err := tenant(ctx)
	if err != nil {
		return err
	}
	name := id
	if list, err := c.Domains(ctx); err == nil {
		for _, d := range list {
			if d.ID == id {
				name = d.Name
			}
		}
	}
	if _, err := c.domains.Delete(ctx, &organizationdomain.DeleteParams{OrganizationID: t.OrgID, DomainID: id}); err != nil {
		return classify("remove domain "+id, err)
	}
	sync := func(tx *gorm.DB) error {
		_, err := models.DeleteDomain(ctx, tx, id, time.Now().UTC())
		return err
	}
	return c.store.syncAndAudit(ctx, sync, Audit{"domain.removed", "domain", id, "Removed the domain " + name})
}

// domainRefusal names Clerk's refusal of a domain in use.
func domainRefusal(err error) error {
	var r *Refusal
	if errors.As(err, &r) && r.Code == "duplicate_record" {
		return fmt.Errorf("%w: %w", ErrDomainTaken, err)
	}
	return err
}

// EnrollmentLabel is how users read an enrollment mode.
func EnrollmentLabel(mode string) string {
	switch mode {
	case EnrollInvitation:
		return "automatic invitation"
	case EnrollSuggestion:
		return "automatic suggestion"
	}
	return "manual invitation"
}

func domain(d *clerk.OrganizationDomain) Domain {
	return Domain{ID: d.ID, Name: d.Name, EnrollmentMode: d.EnrollmentMode,
		Verified:           d.Verification != nil && d.Verification.Status == "verified",
		PendingInvitations: d.TotalPendingInvitations, PendingSuggestions: d.TotalPendingSuggestions,
		CreatedAt: time.UnixMilli(d.CreatedAt).UTC()}
}
