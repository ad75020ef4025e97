package handlers

import (
	"errors"
	"net/http"

	"gorm.io/gorm"

	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// accountHandlers show the signed-in user's own account.
type accountHandlers struct {
	*pages
	db *gorm.DB
	// profileURL is Clerk's hosted user profile.
	profileURL string
}

// showAccount shows the signed-in user's profile from the local users
// table (never Clerk's API), their organizations, and links to Clerk's
// hosted profile and to sign out.
func (h *accountHandlers) showAccount(w http.ResponseWriter, r *http.Request) {
	id, _ := models.IdentityFrom(r.Context())
	v := views.AccountView{UserID: id.UserID, Name: id.UserID, ProfileURL: h.profileURL}
	u, err := models.GetUser(r.Context(), h.db, id.UserID)
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
	p.Breadcrumbs = []views.Crumb{{Label: "Organizations", URL: paths.Orgs}, {Label: "Account"}}
	h.render(w, r, http.StatusOK, views.Account(p, v))
}
