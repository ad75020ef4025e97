package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"example.com/saas/internal/clerksync"
	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// domainHandlers show and change an organization's verified domains, which
// live in Clerk (the Backend API's organization domains).
type domainHandlers struct {
	*pages
	clerk *clerksync.Clerk
}

// validDomain is a host name of two labels or more, lower case (such as
// initech.test); Clerk checks the rest.
var validDomain = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)

// enrollmentModes are the choices of the form, in order.
var enrollmentModes = []views.Option{
	{Value: clerksync.EnrollInvitation, Label: "Automatic invitation: they are invited and join in one click"},
	{Value: clerksync.EnrollSuggestion, Label: "Automatic suggestion: they can ask to join"},
	{Value: clerksync.EnrollManual, Label: "Manual invitation: admins invite them"},
}

// domainForm is the add-a-domain form.
type domainForm struct {
	Name string
	Mode string
}

// Validate returns the form's field errors.
func (f domainForm) Validate() map[string]string {
	errs := fieldErrors{}
	switch {
	case f.Name == "":
		errs["name"] = "Enter a domain."
	case len(f.Name) > 253 || !validDomain.MatchString(f.Name):
		errs["name"] = "Enter a domain name such as example.com, without @ or https://."
	}
	if f.Mode != clerksync.EnrollInvitation && f.Mode != clerksync.EnrollSuggestion && f.Mode != clerksync.EnrollManual {
		errs["enrollment_mode"] = "Choose an enrollment mode."
	}
	return errs
}

// showDomains lists the organization's domains.
func (h *domainHandlers) showDomains(w http.ResponseWriter, r *http.Request) {
	h.renderDomains(w, r, http.StatusOK, views.DomainForm{Mode: clerksync.EnrollInvitation})
}

func (h *domainHandlers) renderDomains(w http.ResponseWriter, r *http.Request, status int, form views.DomainForm) {
	t, _ := models.TenantFrom(r.Context())
	v := views.DomainsView{Slug: t.Slug, CanManage: t.Can(models.PermDomainsManage), Form: form, Modes: enrollmentModes}
	domains, err := h.clerk.Domains(r.Context())
	switch {
	case errors.Is(err, clerksync.ErrUnavailable):
		v.Error = "Clerk did not answer, so the domains cannot be shown right now. Try again in a moment."
	case err != nil:
		h.renderError(w, r, err)
		return
	}
	for _, d := range domains {
		v.Domains = append(v.Domains, views.DomainRow{ID: d.ID, Name: d.Name, Enrollment: capitalize(clerksync.EnrollmentLabel(d.EnrollmentMode)),
			Verified: d.Verified, Pending: pendingText(d), Added: views.At(d.CreatedAt)})
	}
	h.render(w, r, status, views.Domains(h.orgPage(w, r, "Domains", "domains"), v))
}

// addDomain adds a domain in Clerk; bad input or a domain in use is a field
// error (422) and changes nothing.
func (h *domainHandlers) addDomain(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	f := domainForm{Name: strings.ToLower(strings.TrimSpace(r.PostFormValue("name"))), Mode: r.PostFormValue("enrollment_mode")}
	fail := func(errs map[string]string) {
		h.renderDomains(w, r, http.StatusUnprocessableEntity, views.DomainForm{Name: f.Name, Mode: f.Mode, Errors: errs})
	}
	if errs := f.Validate(); len(errs) > 0 {
		fail(errs)
		return
	}
	d, err := h.clerk.AddDomain(r.Context(), f.Name, f.Mode)
	var refusal *clerksync.Refusal
	switch {
	case errors.Is(err, clerksync.ErrDomainTaken):
		fail(map[string]string{"name": "That domain is already used by this or another organization."})
	case errors.As(err, &refusal):
		fail(map[string]string{"name": refusal.Message})
	case err != nil:
		h.renderError(w, r, err)
	case d.Verified:
		h.flashAndRedirect(w, r, "success", "Domain "+d.Name+" added and verified.", paths.Domains(t.Slug))
	default:
		h.flashAndRedirect(w, r, "info", "Domain "+d.Name+" added. It enrolls nobody until it is verified.", paths.Domains(t.Slug))
	}
}

// domainID is the URL's {domainID} when it has the shape of a Clerk id.
func domainID(r *http.Request) (string, bool) {
	id := r.PathValue("domainID")
	return id, clerkID.MatchString(id)
}

// confirmRemoveDomain asks before removing a domain (without JavaScript).
func (h *domainHandlers) confirmRemoveDomain(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	id, ok := domainID(r)
	if !ok {
		h.renderError(w, r, models.ErrNotFound)
		return
	}
	domains, err := h.clerk.Domains(r.Context())
	if err != nil {
		h.renderError(w, r, fmt.Errorf("list domains to confirm removing %s: %w", id, err))
		return
	}
	for _, d := range domains {
		if d.ID == id {
			c := views.RemoveDomainConfirm(t.Slug, views.DomainRow{ID: d.ID, Name: d.Name})
			h.render(w, r, http.StatusOK, views.ConfirmPage(h.orgPage(w, r, "Remove domain", "domains"), c, paths.Domains(t.Slug)))
			return
		}
	}
	h.renderError(w, r, models.ErrNotFound)
}

// removeDomain removes one of the organization's domains in Clerk; another
// organization's domain id is Clerk's 404, and ours.
func (h *domainHandlers) removeDomain(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	id, ok := domainID(r)
	if !ok {
		h.renderError(w, r, models.ErrNotFound)
		return
	}
	if err := h.clerk.RemoveDomain(r.Context(), id); err != nil {
		h.renderError(w, r, err)
		return
	}
	h.flashAndRedirect(w, r, "success", "Domain removed.", paths.Domains(t.Slug))
}

// pendingText says what a domain's enrollment is waiting on.
func pendingText(d clerksync.Domain) string {
	switch {
	case d.PendingInvitations > 0:
		return plural(d.PendingInvitations, "pending invitation")
	case d.PendingSuggestions > 0:
		return plural(d.PendingSuggestions, "pending suggestion")
	}
	return ""
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
