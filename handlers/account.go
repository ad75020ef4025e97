package handlers

import (
	"errors"
	"net/http"

	"example.com/saas/models"
	"example.com/saas/views"
)

// showAccount shows the signed-in user's profile from the local users
// table (never Clerk's API), their organizations, and links to Clerk's
// hosted profile and to sign out.
func (h *Handlers) showAccount(w http.ResponseWriter, r *http.Request) {
	id, _ := models.IdentityFrom(r.Context())
	v := views.AccountView{UserID: id.UserID, Name: id.UserID, ProfileURL: h.Clerk.UserProfileURL}
	u, err := models.GetUser(r.Context(), h.DB, id.UserID)
	switch {
	case err == nil:
		v.Synced, v.Name, v.Email, v.ImageURL = true, u.DisplayName(), u.Email, u.ImageURL
	case !errors.Is(err, models.ErrNotFound):
		h.renderError(w, r, err)
		return
	}
	v.Initials = views.Initials(v.Name, v.Email)
	p := h.page(w, r, "Your account")
	v.Orgs = p.Orgs
	p.Breadcrumbs = []views.Crumb{{Label: "Organizations", URL: "/orgs"}, {Label: "Account"}}
	h.render(w, r, http.StatusOK, views.Account(p, v))
}
