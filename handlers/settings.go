package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"example.com/saas/internal/clerksync"
	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// validSlug is the slug form this app accepts: lowercase letters and
// digits, single dashes between them (Clerk accepts the same and more).
var validSlug = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// settingsHandlers change an organization's profile in Clerk, then here.
type settingsHandlers struct {
	*pages
	clerk   *clerksync.Clerk
	baseURL *url.URL
}

// settingsForm is the organization profile form.
type settingsForm struct {
	Name string
	Slug string
}

// Validate returns the form's field errors.
func (f settingsForm) Validate() map[string]string {
	errs := fieldErrors{}
	errs.text("name", f.Name, "Enter a name.", 100)
	switch {
	case f.Slug == "":
		errs["slug"] = "Enter a slug."
	case len(f.Slug) < 2 || len(f.Slug) > 60:
		errs["slug"] = "Use 2 to 60 characters."
	case !validSlug.MatchString(f.Slug):
		errs["slug"] = "Use lowercase letters, digits and single dashes between them (such as acme-labs)."
	}
	return errs
}

// settingsState is a re-rendered settings page's input and errors.
type settingsState struct {
	form         views.OrgSettingsForm
	confirm      string
	confirmError string
}

// showSettings shows the organization's settings.
func (h *settingsHandlers) showSettings(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	h.renderSettings(w, r, http.StatusOK, settingsState{form: views.OrgSettingsForm{Name: t.Name, Slug: t.Slug}})
}

func (h *settingsHandlers) renderSettings(w http.ResponseWriter, r *http.Request, status int, st settingsState) {
	t, _ := models.TenantFrom(r.Context())
	v := views.SettingsView{Slug: t.Slug, OrgName: t.Name, Form: st.form, CanDelete: t.Can(models.PermProfileDelete),
		Confirm: st.confirm, ConfirmError: st.confirmError, BaseURL: h.baseURL.String()}
	h.render(w, r, status, views.Settings(h.orgPage(w, r, "Settings", "settings"), v))
}

// updateSettings renames the organization and changes its slug in Clerk,
// then here; a new slug redirects to the new address. A slug taken (here or
// in Clerk) is a field error.
func (h *settingsHandlers) updateSettings(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	f := settingsForm{Name: strings.TrimSpace(r.PostFormValue("name")), Slug: strings.ToLower(strings.TrimSpace(r.PostFormValue("slug")))}
	fail := func(errs map[string]string) {
		h.renderSettings(w, r, http.StatusUnprocessableEntity, settingsState{form: views.OrgSettingsForm{Name: f.Name, Slug: f.Slug, Errors: errs}})
	}
	if errs := f.Validate(); len(errs) > 0 {
		fail(errs)
		return
	}
	if f.Name == t.Name && f.Slug == t.Slug {
		h.flashAndRedirect(w, r, "info", "Nothing changed.", paths.Settings(t.Slug))
		return
	}
	org, err := h.clerk.UpdateOrganization(r.Context(), f.Name, f.Slug)
	var refusal *clerksync.Refusal
	switch {
	case errors.Is(err, clerksync.ErrSlugTaken):
		fail(map[string]string{"slug": "That slug is taken. Choose another one."})
	case errors.As(err, &refusal):
		fail(settingsRefusal(refusal))
	case err != nil:
		h.renderError(w, r, err)
	default:
		h.flashAndRedirect(w, r, "success", "Organization settings saved.", paths.Settings(string(org.Slug)))
	}
}

// settingsRefusal puts Clerk's refusal on the field it is about.
func settingsRefusal(r *clerksync.Refusal) map[string]string {
	if r.Code == "form_identifier_exists" {
		return map[string]string{"slug": "That slug is taken. Choose another one."}
	}
	if strings.Contains(strings.ToLower(r.Message), "slug") {
		return map[string]string{"slug": r.Message}
	}
	return map[string]string{"name": r.Message}
}

// deleteOrg deletes the organization in Clerk once its name is typed, then
// here at once (memberships go with it), and lands on /orgs.
func (h *settingsHandlers) deleteOrg(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	typed := strings.TrimSpace(r.PostFormValue("confirm"))
	if typed != t.Name {
		msg := "Type the organization's name exactly as shown to confirm."
		if typed == "" {
			msg = "Type the organization's name to confirm."
		}
		h.renderSettings(w, r, http.StatusUnprocessableEntity, settingsState{
			form: views.OrgSettingsForm{Name: t.Name, Slug: t.Slug}, confirm: typed, confirmError: msg,
		})
		return
	}
	if err := h.clerk.DeleteOrganization(r.Context()); err != nil {
		h.renderError(w, r, err)
		return
	}
	h.flashAndRedirect(w, r, "success", "Organization "+t.Name+" deleted.", paths.Orgs)
}
