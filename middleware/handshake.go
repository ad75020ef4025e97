package middleware

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"example.com/saas/clerkauth"
)

// ErrHandshakeLoop is shown when Clerk's handshake keeps redirecting, which
// usually means the app's Clerk keys do not match the instance.
var ErrHandshakeLoop = errors.New("sign-in redirect loop: check that CLERK_PUBLISHABLE_KEY and CLERK_SECRET_KEY belong to the same Clerk instance")

// resolveHandshake applies a handshake payload returned by the Frontend API
// (token or nonce, in the query on development instances or in a cookie in
// production): it forwards the Set-Cookie directives verbatim and reloads
// the clean URL. It reports whether it answered the request.
func (a *Auth) resolveHandshake(w http.ResponseWriter, r *http.Request) bool {
	token, nonce := paramOrCookie(r, clerkauth.ParamHandshake), paramOrCookie(r, clerkauth.ParamHandshakeNonce)
	if nonce != "" && !handshakeEligible(r) {
		// Only a page navigation returns from a handshake, and redeeming
		// costs a Backend API call: anything else leaves the nonce alone
		// (a production nonce cookie waits for the next page load).
		nonce = ""
	}
	if token == "" && nonce == "" {
		return false
	}
	var directives []string
	var err error
	if nonce != "" { // the nonce wins, as in Clerk's SDKs
		directives, err = a.redeemNonce(r, nonce)
	} else if directives, err = clerkauth.ParseHandshake(r.Context(), a.Verifier.Keys, token); err != nil {
		a.refused(r, "handshake", err)
	}
	if err != nil {
		// Not applied; the clean reload starts a new handshake, and the loop
		// guard ends it if the payloads keep failing.
		directives = nil
	}
	for _, d := range directives {
		w.Header().Add("Set-Cookie", d)
	}
	a.expireHandshakeCookies(w, r)
	if err != nil && !inQuery(r, clerkauth.ParamHandshake, clerkauth.ParamHandshakeNonce) {
		// A stale production cookie (or a sibling app's on the same
		// registrable domain): carry on with the normal checks, as Clerk's
		// SDK does; reloading would meet the same failure.
		return false
	}
	if err == nil {
		a.applyHandshakeSession(w, r, clerkauth.SessionFromDirectives(directives))
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, clerkauth.StripProtocolParams(a.currentURL(r)), http.StatusTemporaryRedirect)
	return true
}

// expireHandshakeCookies expires the handshake cookies the request carried,
// host-only and, outside development, on the registrable domain where
// Clerk's Frontend API sets them (a host-only expiry would leave Clerk's).
func (a *Auth) expireHandshakeCookies(w http.ResponseWriter, r *http.Request) {
	for _, name := range []string{clerkauth.ParamHandshake, clerkauth.ParamHandshakeNonce} {
		if _, err := r.Cookie(name); err == nil {
			setOnSiteAndDomain(w, &http.Cookie{Name: name, Path: "/", MaxAge: -1}, a.BaseURL, a.Development)
		}
	}
}

// inQuery reports whether the URL carries any of the parameters.
func inQuery(r *http.Request, names ...string) bool {
	q := r.URL.Query()
	return slices.ContainsFunc(names, q.Has)
}

// applyHandshakeSession records the handshake's outcome in the app session,
// so the reload is signed in (or out) without another check.
func (a *Auth) applyHandshakeSession(w http.ResponseWriter, r *http.Request, token string) {
	app := a.Sessions.Load(r)
	if token == "" {
		a.clearStaleAppSession(w, r, app)
		return
	}
	claims, err := a.Verifier.Verify(r.Context(), token)
	if err != nil {
		a.refused(r, "handshake", err)
		return
	}
	a.rememberVerified(w, r, app, identityFrom(claims, "cookie"))
}

// redirectToHandshake sends a document request to the Frontend API to
// refresh the session cookies, at most MaxHandshakeRedirects times in a row.
func (a *Auth) redirectToHandshake(w http.ResponseWriter, r *http.Request, reason string) {
	count, _ := strconv.Atoi(cookieValue(r, clerkauth.CookieRedirectCount))
	if count >= clerkauth.MaxHandshakeRedirects {
		a.Log.WarnContext(r.Context(), "handshake loop stopped", slog.String("reason", reason))
		a.RenderError(w, r, ErrHandshakeLoop)
		return
	}
	// Short-lived on purpose: it only counts redirects that follow each other.
	http.SetCookie(w, &http.Cookie{Name: clerkauth.CookieRedirectCount, Value: strconv.Itoa(count + 1), Path: "/", MaxAge: 3, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	devBrowser := ""
	if a.Development {
		devBrowser = DevBrowser(r)
	}
	w.Header().Set("Cache-Control", "no-store") // browsers cache 307s
	http.Redirect(w, r, clerkauth.HandshakeURL(a.FrontendAPI, a.currentURL(r), reason, devBrowser), http.StatusTemporaryRedirect)
}

// DevBrowser returns the request's development-browser token, if any, for
// links to the hosted pages.
func DevBrowser(r *http.Request) string {
	if v := r.URL.Query().Get(clerkauth.ParamDevBrowser); v != "" {
		return v
	}
	return cookieValue(r, clerkauth.CookieDevBrowser)
}

// currentURL is the request's URL on the app's public BaseURL, never built
// from the Host header.
func (a *Auth) currentURL(r *http.Request) string {
	u := *a.BaseURL
	u.Path = r.URL.Path
	u.RawQuery = r.URL.RawQuery
	return u.String()
}

// handshakeEligible: only a GET page navigation may be redirected away
// (or redeem a handshake nonce), never one for a static asset.
func handshakeEligible(r *http.Request) bool {
	if r.Method != http.MethodGet || r.Header.Get("HX-Request") != "" || strings.HasPrefix(r.URL.Path, "/static/") {
		return false
	}
	switch r.Header.Get("Sec-Fetch-Dest") {
	case "document", "iframe":
		return true
	case "":
		return strings.HasPrefix(r.Header.Get("Accept"), "text/html")
	}
	return false
}

// paramOrCookie returns the query parameter name, else the cookie of the
// same name (development instances use the query, production the cookie).
func paramOrCookie(r *http.Request, name string) string {
	if v := r.URL.Query().Get(name); v != "" {
		return v
	}
	return cookieValue(r, name)
}
