package handlers

import (
	"net/http"
	"net/url"

	"example.com/saas/internal/clerkauth"
	"example.com/saas/internal/clerksync"
	"example.com/saas/internal/paths"
	"example.com/saas/middleware"
	"example.com/saas/models"
)

// authHandlers send visitors to Clerk's hosted pages and sign them out.
type authHandlers struct {
	*pages
	hosted  HostedPages
	baseURL *url.URL
	clerk   *clerksync.Clerk
}

// signIn sends the visitor to Clerk's hosted sign-in page, coming back to a
// path on this site. A visitor who is already signed in goes straight there.
func (h *authHandlers) signIn(w http.ResponseWriter, r *http.Request) {
	h.redirectToHosted(w, r, h.hosted.SignInURL)
}

// signUp is signIn for the hosted sign-up page.
func (h *authHandlers) signUp(w http.ResponseWriter, r *http.Request) {
	h.redirectToHosted(w, r, h.hosted.SignUpURL)
}

func (h *authHandlers) redirectToHosted(w http.ResponseWriter, r *http.Request, hosted string) {
	back := middleware.SafeReturnPath(r.URL.Query().Get("redirect_url"), h.baseURL)
	if back == "" {
		back = paths.App
	}
	if _, ok := models.IdentityFrom(r.Context()); ok {
		http.Redirect(w, r, back, http.StatusFound)
		return
	}
	u, err := url.Parse(hosted)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	q := u.Query()
	q.Set("redirect_url", h.baseURL.String()+back)
	// Development instances identify the browser by its dev-browser token
	// across sites, so the hosted page signs in the same client.
	if db := middleware.DevBrowser(r); h.hosted.Development && db != "" {
		q.Set(clerkauth.ParamDevBrowser, db)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// signOut ends the Clerk session, records it as revoked here at once (other
// tabs and instances refuse it without waiting for the webhook), clears the
// cookies and lands on the home page.
func (h *authHandlers) signOut(w http.ResponseWriter, r *http.Request) {
	if id, ok := models.IdentityFrom(r.Context()); ok && id.SessionID != "" {
		if err := h.clerk.RevokeSession(r.Context(), id.SessionID, id.UserID); err != nil {
			h.renderError(w, r, err)
			return
		}
	}
	h.sessions.Clear(w, r)
	middleware.ClearClerkCookies(w, h.baseURL, h.hosted.Development)
	h.flashAndRedirect(w, r, "info", "You are signed out.", paths.Home)
}
