package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"example.com/saas/internal/clerksync"
	"example.com/saas/internal/live"
	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// orgHandlers list the user's organizations, create new ones and choose
// where the app opens.
type orgHandlers struct {
	*pages
	// tenantDB: a request to join is written as the organization asked.
	tenantDB
	clerk     *clerksync.Clerk
	directory *live.Directory
}

// openApp is where sign-in lands when the visitor asked for no page of
// their own (/sign-in's redirect_url wins): the organization they used last,
// on any device, while they are still a member; else their only one; else
// the organization chooser.
func (h *orgHandlers) openApp(w http.ResponseWriter, r *http.Request) {
	id, _ := models.IdentityFrom(r.Context())
	to, err := h.landing(r.Context(), id.UserID)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusFound)
}

// landing is openApp's destination for userID.
func (h *orgHandlers) landing(ctx context.Context, userID string) (string, error) {
	slug, err := models.LastOrganizationSlug(ctx, h.db, userID)
	if err == nil {
		return paths.Org(slug), nil
	}
	if !errors.Is(err, models.ErrNotFound) {
		return "", err
	}
	_, orgs, err := h.directory.UserAndOrganizations(ctx, userID)
	if err != nil {
		return "", err
	}
	if len(orgs) == 1 && orgs[0].Slug != "" {
		return paths.Org(string(orgs[0].Slug)), nil
	}
	return paths.Orgs, nil
}

// recordLastOrg stores the organization a page was opened in, for openApp
// (middleware.OrgMemory calls it only when it changed).
func (h *orgHandlers) recordLastOrg(ctx context.Context, userID, orgID string) error {
	return models.RecordLastOrganization(ctx, h.db, userID, orgID)
}

// listOrgs shows the user's organizations from the local tables.
func (h *orgHandlers) listOrgs(w http.ResponseWriter, r *http.Request) {
	h.renderOrgs(w, r, http.StatusOK, views.OrgForm{})
}

func (h *orgHandlers) renderOrgs(w http.ResponseWriter, r *http.Request, status int, form views.OrgForm) {
	p := h.page(w, r, "Organizations")
	v := views.OrgsView{Orgs: p.Orgs, Form: form}
	id, _ := models.IdentityFrom(r.Context())
	// The invitations live in Clerk alone (a verified domain's automatic
	// ones included): without an answer the page still lists the rest.
	invitations, err := h.clerk.UserInvitations(r.Context(), id.UserID)
	if err != nil {
		h.log.WarnContext(r.Context(), "list the user's invitations", slog.Any("error", err))
		v.InvitationsError = "Clerk did not answer, so your invitations cannot be shown right now."
	}
	for _, i := range invitations {
		v.Invitations = append(v.Invitations, views.InvitationOffer{ID: i.ID, OrgName: i.OrgName, Role: models.RoleLabel(i.Role), Email: i.Email})
	}
	// Suggestions are extras too: without them the page still lists the rest.
	if v.Suggestions, err = h.suggestionOffers(r.Context(), id.UserID); err != nil {
		h.log.WarnContext(r.Context(), "list the user's suggestions", slog.Any("error", err))
	}
	h.render(w, r, status, views.Orgs(p, v))
}

// acceptInvitation joins the organization of one of the user's pending
// invitations in one click and opens it; an invitation that is not theirs,
// or no longer pending, changes nothing.
func (h *orgHandlers) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	id, _ := models.IdentityFrom(r.Context())
	invID, ok := invitationID(r)
	if !ok {
		h.renderError(w, r, models.ErrNotFound)
		return
	}
	inv, err := h.clerk.AcceptInvitation(r.Context(), id.UserID, invID)
	switch {
	case errors.Is(err, clerksync.ErrNotPending):
		h.flashAndRedirect(w, r, "info", "That invitation is no longer pending.", paths.Orgs)
	case err != nil:
		h.renderError(w, r, err)
	default:
		h.flashAndRedirect(w, r, "success", "You joined "+inv.OrgName+".", paths.Org(inv.OrgSlug))
	}
}

// orgForm is the create-organization form.
type orgForm struct {
	Name string
}

// Validate returns the form's field errors.
func (f orgForm) Validate() map[string]string {
	errs := fieldErrors{}
	errs.text("name", f.Name, "Enter a name.", 100)
	return errs
}

// createOrg creates the organization in Clerk with the user as its admin;
// it is in the local tables before the next page (clerksync).
func (h *orgHandlers) createOrg(w http.ResponseWriter, r *http.Request) {
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
	org, err := h.clerk.CreateOrganization(r.Context(), f.Name, id.UserID)
	var refusal *clerksync.Refusal
	if errors.As(err, &refusal) {
		h.renderOrgs(w, r, http.StatusUnprocessableEntity, views.OrgForm{Name: f.Name, Errors: map[string]string{"name": orgNameRefusal(refusal)}})
		return
	}
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.flashAndRedirect(w, r, "success", "Organization "+org.Name+" created.", paths.Org(string(org.Slug)))
}

// orgNameRefusal is Clerk's refusal of a new organization, for its form.
func orgNameRefusal(r *clerksync.Refusal) string {
	if r.Code == "form_identifier_exists" {
		return "An organization with this name already exists. Choose another name."
	}
	return r.Message
}
