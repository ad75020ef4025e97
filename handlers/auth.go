package handlers

import (
	"net/http"
	"net/url"

	"example.com/saas/clerkauth"
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
// An organization invitation's link lands here too (see invitationTicket).
func (h *authHandlers) signIn(w http.ResponseWriter, r *http.Request) {
	h.redirectToHosted(w, r, h.hosted.SignInURL)
}

// signUp is signIn for the hosted sign-up page.
func (h *authHandlers) signUp(w http.ResponseWriter, r *http.Request) {
	h.redirectToHosted(w, r, h.hosted.SignUpURL)
}

// invitationTicket returns the ticket Clerk appended to an invitation's
// redirect_url and the hosted page that completes it, as Clerk's own sign-in
// component would: sign-up for a new address, sign-in for an existing
// account. Status complete means Clerk accepted the invitation already, so
// there is no ticket to pass on; without a ticket, hosted is kept.
func (h *authHandlers) invitationTicket(r *http.Request, hosted string) (ticket, page string) {
	q := r.URL.Query()
	switch q.Get(clerkauth.ParamTicketStatus) {
	case "complete":
		return "", hosted
	case "sign_up":
		hosted = h.hosted.SignUpURL
	case "sign_in":
		hosted = h.hosted.SignInURL
	}
	return q.Get(clerkauth.ParamTicket), hosted
}

// redirectToHosted sends the visitor to the hosted page, with an invitation's
// ticket even when signed in (the ticket is what the visitor came for).
func (h *authHandlers) redirectToHosted(w http.ResponseWriter, r *http.Request, hosted string) {
	back := middleware.SafeReturnPath(r.URL.Query().Get("redirect_url"), h.baseURL)
	if back == "" {
		back = paths.App
	}
	ticket, hosted := h.invitationTicket(r, hosted)
	if _, ok := models.IdentityFrom(r.Context()); ok && ticket == "" {
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
	if ticket != "" {
		q.Set(clerkauth.ParamTicket, ticket)
	}
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
