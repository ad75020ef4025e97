package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/clerk/clerk-sdk-go/v2/session"
	"golang.org/x/net/publicsuffix"

	"example.com/saas/internal/clerkauth"
	"example.com/saas/middleware"
	"example.com/saas/models"
)

// signIn sends the visitor to Clerk's hosted sign-in page, coming back to a
// path on this site. A visitor who is already signed in goes straight there.
func (h *Handlers) signIn(w http.ResponseWriter, r *http.Request) {
	h.redirectToHosted(w, r, h.Clerk.SignInURL)
}

// signUp is signIn for the hosted sign-up page.
func (h *Handlers) signUp(w http.ResponseWriter, r *http.Request) {
	h.redirectToHosted(w, r, h.Clerk.SignUpURL)
}

func (h *Handlers) redirectToHosted(w http.ResponseWriter, r *http.Request, hosted string) {
	back := middleware.SafeReturnPath(r.URL.Query().Get("redirect_url"), h.BaseURL)
	if back == "" {
		back = "/app"
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
	q.Set("redirect_url", h.BaseURL.String()+back)
	// Development instances identify the browser by its dev-browser token
	// across sites, so the hosted page signs in the same client.
	if db := middleware.DevBrowser(r); h.Clerk.Development && db != "" {
		q.Set(clerkauth.ParamDevBrowser, db)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// signOut ends the Clerk session through the Backend API, records it as
// revoked here at once (other tabs and instances refuse it without waiting
// for the webhook), clears the cookies and lands on the home page.
func (h *Handlers) signOut(w http.ResponseWriter, r *http.Request) {
	if id, ok := models.IdentityFrom(r.Context()); ok && id.SessionID != "" {
		if _, err := h.Clerk.Sessions.Revoke(r.Context(), &session.RevokeParams{ID: id.SessionID}); err != nil {
			// Still sign out locally; the local revocation below refuses the session.
			h.Log.WarnContext(r.Context(), "revoke Clerk session", slog.Any("error", err))
		}
		if err := models.RevokeSession(r.Context(), h.DB, id.SessionID, id.UserID, "revoked"); err != nil {
			h.renderError(w, r, err)
			return
		}
		if h.Revocations != nil {
			h.Revocations.Add(id.SessionID) // other instances learn by NOTIFY
		}
	}
	h.Sessions.Clear(w, r)
	h.clearClerkCookies(w)
	h.Sessions.AddFlash(w, r, "info", "You are signed out.")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// clearClerkCookies expires __session and sets __client_uat to 0, host-only
// and, in production, on the registrable domain where Clerk's Frontend API
// sets it (a host-only copy alone would sit beside Clerk's).
func (h *Handlers) clearClerkCookies(w http.ResponseWriter) {
	secure := h.BaseURL.Scheme == "https"
	http.SetCookie(w, &http.Cookie{Name: clerkauth.CookieSession, Path: "/", MaxAge: -1, Secure: secure, SameSite: http.SameSiteLaxMode})
	uat := &http.Cookie{Name: clerkauth.CookieClientUAT, Value: "0", Path: "/", MaxAge: 315360000, Secure: secure, SameSite: http.SameSiteLaxMode}
	http.SetCookie(w, uat)
	if domain, err := publicsuffix.EffectiveTLDPlusOne(h.BaseURL.Hostname()); err == nil && !h.Clerk.Development {
		withDomain := *uat
		withDomain.Domain = domain
		http.SetCookie(w, &withDomain)
	}
}

// apiMe returns the signed-in user from the local table and the token's
// active organization with the role and permissions of the synced
// membership. Never the token's: Clerk leaves system permissions
// (org:sys_*) out of session claims, and the app grants only what the
// membership says.
func (h *Handlers) apiMe(w http.ResponseWriter, r *http.Request) {
	id, _ := models.IdentityFrom(r.Context())
	user := map[string]any{"id": id.UserID}
	u, err := models.GetUser(r.Context(), h.DB, id.UserID)
	switch {
	case err == nil:
		user = map[string]any{"id": u.ID, "email": u.Email, "first_name": u.FirstName, "last_name": u.LastName, "image_url": u.ImageURL}
	case !errors.Is(err, models.ErrNotFound):
		h.renderError(w, r, err)
		return
	}
	resp := map[string]any{"user": user, "session_id": id.SessionID, "organization": nil}
	if id.OrgID != "" {
		org := map[string]any{"id": id.OrgID, "slug": id.OrgSlug, "role": "", "permissions": []string{}}
		t, err := h.tenantByOrg(r.Context(), id.OrgID, id.UserID)
		switch {
		case err == nil:
			org["slug"], org["role"], org["permissions"] = t.Slug, t.Role, nonNil(t.Permissions)
		case !errors.Is(err, models.ErrNotFound):
			h.renderError(w, r, err)
			return
		}
		resp["organization"] = org
	}
	writeJSON(w, http.StatusOK, resp)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
