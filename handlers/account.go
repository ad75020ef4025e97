package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"gorm.io/gorm"

	"example.com/saas/clerkauth"
	"example.com/saas/internal/paths"
	"example.com/saas/middleware"
	"example.com/saas/models"
	"example.com/saas/views"
)

// accountHandlers show the signed-in user's own account.
type accountHandlers struct {
	*pages
	db *gorm.DB
	// hosted names Clerk's hosted user profile; baseURL is the app's, for
	// the way back.
	hosted  HostedPages
	baseURL *url.URL
}

// showAccount shows the signed-in user's profile from the local users
// table (never Clerk's API), their organizations, and links to Clerk's
// hosted profile and to sign out.
func (h *accountHandlers) showAccount(w http.ResponseWriter, r *http.Request) {
	id, _ := models.IdentityFrom(r.Context())
	v := views.AccountView{UserID: id.UserID, Name: id.UserID, ProfileURL: h.profileLink(r)}
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

// profileLink is the hosted user profile, coming back to this page, with
// the dev browser in development (another site cannot read the app's
// cookies), as the sign-in link does.
func (h *accountHandlers) profileLink(r *http.Request) string {
	u, err := url.Parse(h.hosted.UserProfileURL)
	if err != nil || h.hosted.UserProfileURL == "" || h.baseURL == nil {
		return h.hosted.UserProfileURL
	}
	q := u.Query()
	q.Set("redirect_url", h.baseURL.String()+paths.Account)
	if db := middleware.DevBrowser(r); h.hosted.Development && db != "" {
		q.Set(clerkauth.ParamDevBrowser, db)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
