package handlers

import (
	"errors"
	"net/http"
	"strings"

	"example.com/saas/internal/clerksync"
	"example.com/saas/internal/live"
	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// orgHandlers list the user's organizations and create new ones.
type orgHandlers struct {
	*pages
	clerk     *clerksync.Clerk
	directory *live.Directory
}

// openApp sends the user to the organization they used last, if they are
// still a member, else to the list of their organizations.
func (h *orgHandlers) openApp(w http.ResponseWriter, r *http.Request) {
	id, _ := models.IdentityFrom(r.Context())
	if last := h.sessions.Load(r).LastOrg; last != "" {
		if t, err := h.directory.TenantForSlug(r.Context(), last, id.UserID); err == nil {
			http.Redirect(w, r, paths.Org(t.Slug), http.StatusFound)
			return
		}
	}
	http.Redirect(w, r, paths.Orgs, http.StatusFound)
}

// listOrgs shows the user's organizations from the local tables.
func (h *orgHandlers) listOrgs(w http.ResponseWriter, r *http.Request) {
	h.renderOrgs(w, r, http.StatusOK, views.OrgForm{})
}

func (h *orgHandlers) renderOrgs(w http.ResponseWriter, r *http.Request, status int, form views.OrgForm) {
	p := h.page(w, r, "Organizations")
	h.render(w, r, status, views.Orgs(p, views.OrgsView{Orgs: p.Orgs, Form: form}))
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
