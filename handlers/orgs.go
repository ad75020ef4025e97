package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"gorm.io/gorm"

	"example.com/saas/models"
	"example.com/saas/views"
)

// maxFormBytes bounds form and JSON bodies: nothing here needs more.
const maxFormBytes = 64 << 10

// tenantBySlug resolves a page's organization for middleware.RequireOrgMember.
func (h *Handlers) tenantBySlug(ctx context.Context, slug, userID string) (models.Tenant, error) {
	t, err := h.Directory.TenantForSlug(ctx, slug, userID)
	if !errors.Is(err, models.ErrNotFound) {
		return t, err
	}
	// The session token names this organization as active: its membership
	// may not have reached the local tables yet.
	if id, ok := models.IdentityFrom(ctx); ok && id.OrgID != "" && id.OrgSlug == slug && h.readThrough(ctx, id.OrgID, userID) {
		return h.Directory.TenantForSlug(ctx, slug, userID)
	}
	return t, err
}

// tenantByOrg resolves the API's active organization for middleware.RequireActiveOrg.
func (h *Handlers) tenantByOrg(ctx context.Context, orgID, userID string) (models.Tenant, error) {
	t, err := h.Directory.TenantForOrg(ctx, orgID, userID)
	if errors.Is(err, models.ErrNotFound) && h.readThrough(ctx, orgID, userID) {
		return h.Directory.TenantForOrg(ctx, orgID, userID)
	}
	return t, err
}

// readThrough asks Clerk for a membership the local tables lack (only on a
// miss: a synced membership costs no Clerk call).
func (h *Handlers) readThrough(ctx context.Context, orgID, userID string) bool {
	return h.Memberships != nil && h.Memberships.Fetch(ctx, orgID, userID)
}

// inTenant runs fn in the request tenant's transaction (row-level security
// on, as DBTenantRole); every tenant handler does its database work there.
func (h *Handlers) inTenant(r *http.Request, fn func(tx *gorm.DB) error) error {
	return models.InTenant(r.Context(), h.DB, h.DBTenantRole, fn)
}

// inTenantValue is inTenant for work that returns one value.
func inTenantValue[T any](h *Handlers, r *http.Request, fn func(tx *gorm.DB) (T, error)) (T, error) {
	var v T
	err := h.inTenant(r, func(tx *gorm.DB) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v, err
}

// openApp sends the user to the organization they used last, if they are
// still a member, else to the list of their organizations.
func (h *Handlers) openApp(w http.ResponseWriter, r *http.Request) {
	id, _ := models.IdentityFrom(r.Context())
	if last := h.Sessions.Load(r).LastOrg; last != "" {
		if t, err := h.Directory.TenantForSlug(r.Context(), last, id.UserID); err == nil {
			http.Redirect(w, r, "/orgs/"+t.Slug, http.StatusFound)
			return
		}
	}
	http.Redirect(w, r, "/orgs", http.StatusFound)
}

// listOrgs shows the user's organizations from the local tables.
func (h *Handlers) listOrgs(w http.ResponseWriter, r *http.Request) {
	h.renderOrgs(w, r, http.StatusOK, views.OrgForm{})
}

func (h *Handlers) renderOrgs(w http.ResponseWriter, r *http.Request, status int, form views.OrgForm) {
	p := h.page(w, r, "Organizations")
	h.render(w, r, status, views.Orgs(p, views.OrgsView{Orgs: p.Orgs, Form: form}))
}

// orgForm is the create-organization form.
type orgForm struct {
	Name string
}

// Validate returns the form's field errors.
func (f orgForm) Validate() map[string]string {
	errs := map[string]string{}
	if msg := fieldError(f.Name, "Enter a name.", 100, false); msg != "" {
		errs["name"] = msg
	}
	return errs
}

// createOrg creates the organization in Clerk with the user as its admin,
// then writes it and the admin membership to the local tables at once from
// Clerk's responses (with their updated_at), so the next page works before
// the webhooks arrive, and they then change nothing.
func (h *Handlers) createOrg(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	f := orgForm{Name: strings.TrimSpace(r.PostFormValue("name"))}
	if errs := f.Validate(); len(errs) > 0 {
		h.renderOrgs(w, r, http.StatusUnprocessableEntity, views.OrgForm{Name: f.Name, Errors: errs})
		return
	}
	id, _ := models.IdentityFrom(r.Context())
	org, err := h.Clerk.Organizations.Create(r.Context(), &organization.CreateParams{
		Name: clerk.String(f.Name), Slug: clerk.String(h.freeSlug(r.Context(), f.Name)), CreatedBy: clerk.String(id.UserID),
	})
	if msg, ok := clerkFieldError(err); ok {
		h.renderOrgs(w, r, http.StatusUnprocessableEntity, views.OrgForm{Name: f.Name, Errors: map[string]string{"name": msg}})
		return
	}
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	if err := h.syncCreatedOrg(r.Context(), org, id.UserID); err != nil {
		h.renderError(w, r, err)
		return
	}
	h.Sessions.AddFlash(w, r, "success", "Organization "+org.Name+" created.")
	http.Redirect(w, r, "/orgs/"+org.Slug, http.StatusSeeOther)
}

// syncCreatedOrg writes a just-created organization and the creator's
// membership (read back from Clerk for its id and permissions) locally.
func (h *Handlers) syncCreatedOrg(ctx context.Context, org *clerk.Organization, userID string) error {
	list, err := h.Clerk.Memberships.List(ctx, &organizationmembership.ListParams{OrganizationID: org.ID, UserIDs: []string{userID}})
	if err != nil {
		return err
	}
	local := models.Organization{ID: org.ID, Name: org.Name, Slug: models.NullableText(org.Slug)}
	if org.ImageURL != nil {
		local.ImageURL = *org.ImageURL
	}
	err = h.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := models.UpsertOrganization(ctx, tx, local, time.UnixMilli(org.UpdatedAt)); err != nil {
			return err
		}
		for _, m := range list.OrganizationMemberships {
			mem := models.Membership{ID: m.ID, OrganizationID: org.ID, UserID: userID, Role: m.Role, Permissions: m.Permissions}
			if _, err := models.ApplyMembership(ctx, tx, mem, local, models.User{ID: userID}, time.UnixMilli(m.UpdatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
	h.Directory.Changed()
	return err
}

// freeSlug derives a slug from name (lowercase a-z, 0-9 and dashes) and adds
// a short random suffix when an organization already holds it locally.
func (h *Handlers) freeSlug(ctx context.Context, name string) string {
	slug := slugify(name)
	if _, err := models.OrganizationBySlug(ctx, h.DB, slug); errors.Is(err, models.ErrNotFound) {
		return slug
	}
	b := make([]byte, 3)
	rand.Read(b)
	return slug + "-" + hex.EncodeToString(b)
}

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

// clerkFieldError turns Clerk's refusal of the input (4xx with errors, such
// as a taken slug) into a message for the form.
func clerkFieldError(err error) (string, bool) {
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode < 400 || apiErr.HTTPStatusCode >= 500 || len(apiErr.Errors) == 0 {
		return "", false
	}
	if apiErr.Errors[0].Code == "form_identifier_exists" {
		return "An organization with this name already exists. Choose another name.", true
	}
	if msg := apiErr.Errors[0].LongMessage; msg != "" {
		return msg, true
	}
	return "Clerk refused this name. Choose another one.", true
}

// parseForm reads a bounded form body.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{http.StatusRequestEntityTooLarge, "too_large", "The form is too large."}
		}
		return &httpError{http.StatusBadRequest, "bad_request", "The form could not be read."}
	}
	return nil
}
