package clerkdev

import (
	"net/http"
	"net/url"
	"strings"
)

// The Account Portal's user page (/user): the signed-in user's profile, as Clerk's
// hosted <UserProfile/> shows it, reduced to what the emulator keeps. It knows the user
// as the other hosted pages know the browser: by the dev-browser token in the URL or
// form, else by the emulator's own cookie on its origin. Signed out, it sends the
// browser to the hosted sign-in, which comes back here.

// accountPath is the user page's path, as config.AccountPortalURL(...) + "/user" names it.
const accountPath = "/user"

// knownClientLocked is clientForLocked without making a new client: nil when the
// browser has none, since a page that needs a session has nothing to show a new one.
func (s *Server) knownClientLocked(r *http.Request, devBrowser string) *client {
	if devBrowser == "" {
		if ck, err := r.Cookie(ClientCookie); err == nil {
			devBrowser = ck.Value
		}
	}
	if c := s.clients[s.devBrowsers[devBrowser]]; c != nil {
		return c
	}
	return nil
}

// accountUserLocked returns the browser's client and the user of its active session,
// or nils when it has none.
func (s *Server) accountUserLocked(r *http.Request, devBrowser string) (*client, *user) {
	c := s.knownClientLocked(r, devBrowser)
	if c == nil {
		return nil, nil
	}
	sess := s.activeSessionLocked(c)
	if sess == nil || s.users[sess.UserID] == nil {
		return c, nil
	}
	return c, s.users[sess.UserID]
}

// appHome is where "Back to the app" leads: redirect (checked by the caller), else the
// app the webhooks go to, else "" (no link).
func (s *Server) appHome(redirect string) string {
	if redirect != "" {
		return redirect
	}
	if u, ok := absoluteHTTP(s.cfg.WebhookURL); ok {
		return origin(u) + "/"
	}
	return ""
}

// accountSignIn sends a signed-out browser to the hosted sign-in, coming back to the
// user page with its own redirect_url kept.
func (s *Server) accountSignIn(w http.ResponseWriter, r *http.Request, redirect string) {
	back := s.BaseURL() + accountPath
	if redirect != "" {
		back += "?" + url.Values{"redirect_url": {redirect}}.Encode()
	}
	http.Redirect(w, r, "/sign-in?"+url.Values{"redirect_url": {back}}.Encode(), http.StatusSeeOther)
}

// accountData is the user page's view of u.
func (s *Server) accountData(u *user, c *client, redirect string) pageData {
	return pageData{Title: "Your account", Mode: "account", RedirectURL: redirect, DevBrowser: c.DevBrowser,
		FirstName: derefStr(u.FirstName), LastName: derefStr(u.LastName), Identifier: u.primaryEmail(),
		FullName: strings.TrimSpace(derefStr(u.FirstName) + " " + derefStr(u.LastName)), BackURL: s.appHome(redirect)}
}

// showAccount serves GET /user.
func (s *Server) showAccount(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, ok := s.portalRedirect(w, q.Get("redirect_url"))
	if !ok {
		return
	}
	s.mu.Lock()
	c, u := s.accountUserLocked(r, q.Get("__clerk_db_jwt"))
	var d pageData
	if u != nil {
		d = s.accountData(u, c, redirect)
	}
	s.mu.Unlock()
	if u == nil {
		s.accountSignIn(w, r, redirect)
		return
	}
	if q.Get("saved") != "" {
		d.Message = "Your name is saved."
	}
	setClientCookie(w, c)
	s.renderPage(w, http.StatusOK, d)
}

// accountPost serves a POST to the user page: change runs on the signed-in user with
// the store locked, then answer replies; a signed-out browser is sent to sign in.
func (s *Server) accountPost(change func(r *http.Request, u *user), answer func(w http.ResponseWriter, r *http.Request, c *client, redirect string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		redirect, ok := s.parsePortalForm(w, r)
		if !ok {
			return
		}
		s.mu.Lock()
		c, u := s.accountUserLocked(r, r.PostForm.Get("__clerk_db_jwt"))
		if u != nil {
			change(r, u)
		}
		s.mu.Unlock()
		if u == nil {
			s.accountSignIn(w, r, redirect)
			return
		}
		setClientCookie(w, c)
		answer(w, r, c, redirect)
	}
}

// renameLocked is POST /user: the new first and last name, as the Backend API's PATCH
// /v1/users/{id} changes them (user.updated).
func (s *Server) renameLocked(r *http.Request, u *user) {
	u.FirstName = strPtr(strings.TrimSpace(r.PostForm.Get("first_name")))
	u.LastName = strPtr(strings.TrimSpace(r.PostForm.Get("last_name")))
	u.UpdatedAt = s.stampLocked()
	s.emitLocked("user.updated", u.ID, s.userJSONLocked(u), requestInfo(r))
}

// renamed shows the user page again, saying the name is saved (a GET, so a reload
// posts nothing).
func (s *Server) renamed(w http.ResponseWriter, r *http.Request, c *client, redirect string) {
	q := url.Values{"saved": {"1"}, "__clerk_db_jwt": {c.DevBrowser}}
	if redirect != "" {
		q.Set("redirect_url", redirect)
	}
	http.Redirect(w, r, accountPath+"?"+q.Encode(), http.StatusSeeOther)
}

// revokeAllLocked is POST /user/sign-out-all: every active session of the user, on
// every client, is revoked as POST /v1/sessions/{id}/revoke does (session.revoked).
func (s *Server) revokeAllLocked(r *http.Request, u *user) {
	src := requestInfo(r)
	for _, sess := range s.sessions {
		if sess.UserID == u.ID && sess.Status == "active" {
			s.setSessionStatusLocked(sess, "revoked", src)
		}
	}
}

// signedOutEverywhere sends the browser back to the app, signed out.
func (s *Server) signedOutEverywhere(w http.ResponseWriter, r *http.Request, c *client, redirect string) {
	s.backToApp(w, r, s.appHome(redirect), c.DevBrowser, "Signed out", "You are signed out of every session.")
}
