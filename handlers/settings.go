package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"gorm.io/gorm"

	"example.com/saas/models"
	"example.com/saas/views"
)

// validSlug is the slug form this app accepts: lowercase letters and
// digits, single dashes between them (Clerk accepts the same and more).
var validSlug = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

func settingsURL(slug string) string { return "/orgs/" + slug + "/settings" }

// settingsForm is the organization profile form.
type settingsForm struct {
	Name string
	Slug string
}

// Validate returns the form's field errors.
func (f settingsForm) Validate() map[string]string {
	errs := map[string]string{}
	if msg := fieldError(f.Name, "Enter a name.", 100, false); msg != "" {
		errs["name"] = msg
	}
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
func (h *Handlers) showSettings(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	h.renderSettings(w, r, http.StatusOK, settingsState{form: views.OrgSettingsForm{Name: t.Name, Slug: t.Slug}})
}

func (h *Handlers) renderSettings(w http.ResponseWriter, r *http.Request, status int, st settingsState) {
	t, _ := models.TenantFrom(r.Context())
	v := views.SettingsView{Slug: t.Slug, OrgName: t.Name, Form: st.form, CanDelete: t.Can(models.PermProfileDelete),
		Confirm: st.confirm, ConfirmError: st.confirmError, BaseURL: h.BaseURL.String()}
	h.render(w, r, status, views.Settings(h.orgPage(w, r, "Settings", "settings"), v))
}

// updateSettings renames the organization and changes its slug in Clerk,
// then the local row at once from Clerk's answer; a new slug redirects to
// the new address. A slug taken (here or in Clerk) is a field error.
func (h *Handlers) updateSettings(w http.ResponseWriter, r *http.Request) {
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
		h.Sessions.AddFlash(w, r, "info", "Nothing changed.")
		http.Redirect(w, r, settingsURL(t.Slug), http.StatusSeeOther)
		return
	}
	if f.Slug != t.Slug {
		if _, err := models.OrganizationBySlug(r.Context(), h.DB, f.Slug); err == nil {
			fail(map[string]string{"slug": "That slug is taken. Choose another one."})
			return
		} else if !errors.Is(err, models.ErrNotFound) {
			h.renderError(w, r, err)
			return
		}
	}
	org, err := h.Clerk.Organizations.Update(r.Context(), t.OrgID, &organization.UpdateParams{Name: clerk.String(f.Name), Slug: clerk.String(f.Slug)})
	if code, msg, ok := clerkRefusal(err); ok {
		field := "name"
		if code == "form_identifier_exists" || strings.Contains(strings.ToLower(msg), "slug") {
			field = "slug"
		}
		if code == "form_identifier_exists" {
			msg = "That slug is taken. Choose another one."
		}
		fail(map[string]string{field: msg})
		return
	}
	if err != nil {
		h.renderError(w, r, clerkNotFound(err))
		return
	}
	local := models.Organization{ID: org.ID, Name: org.Name, Slug: models.NullableText(org.Slug)}
	if org.ImageURL != nil {
		local.ImageURL = *org.ImageURL
	}
	summary := fmt.Sprintf("Updated the organization (name %q, slug %q)", org.Name, org.Slug)
	err = h.syncAndAudit(r, func(tx *gorm.DB) error {
		_, err := models.UpsertOrganization(r.Context(), tx, local, time.UnixMilli(org.UpdatedAt))
		return err
	}, "organization.updated", "organization", org.ID, summary)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.Sessions.AddFlash(w, r, "success", "Organization settings saved.")
	http.Redirect(w, r, settingsURL(org.Slug), http.StatusSeeOther)
}

// deleteOrg deletes the organization in Clerk once its name is typed, then
// locally at once (memberships go with it), and lands on /orgs.
func (h *Handlers) deleteOrg(w http.ResponseWriter, r *http.Request) {
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
	_, err := h.Clerk.Organizations.Delete(r.Context(), t.OrgID)
	if status, _, _ := clerkStatus(err); err != nil && status != http.StatusNotFound {
		h.renderError(w, r, err)
		return
	}
	err = h.syncAndAudit(r, func(tx *gorm.DB) error {
		_, err := models.DeleteOrganization(r.Context(), tx, t.OrgID, time.Now())
		return err
	}, "organization.deleted", "organization", t.OrgID, fmt.Sprintf("Deleted the organization %q", t.Name))
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.Sessions.AddFlash(w, r, "success", "Organization "+t.Name+" deleted.")
	http.Redirect(w, r, "/orgs", http.StatusSeeOther)
}
