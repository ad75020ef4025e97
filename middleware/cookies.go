package middleware

import (
	"net/http"
	"net/url"

	"golang.org/x/net/publicsuffix"

	"example.com/saas/clerkauth"
)

// ClearClerkCookies signs the browser out of Clerk on this site, as sign-out
// must: __session expires and __client_uat becomes 0 (signed out), on the
// app's host and, outside development, on the registrable domain where
// Clerk's Frontend API sets them (a host-only copy alone would sit beside
// Clerk's).
func ClearClerkCookies(w http.ResponseWriter, base *url.URL, development bool) {
	secure := base.Scheme == "https"
	http.SetCookie(w, &http.Cookie{Name: clerkauth.CookieSession, Path: "/", MaxAge: -1, Secure: secure, SameSite: http.SameSiteLaxMode})
	setOnSiteAndDomain(w, &http.Cookie{Name: clerkauth.CookieClientUAT, Value: "0", Path: "/", MaxAge: 315360000, Secure: secure, SameSite: http.SameSiteLaxMode}, base, development)
}

// setOnSiteAndDomain sets c host-only and, outside development, again on
// base's registrable domain, where Clerk's Frontend API keeps its cookies.
func setOnSiteAndDomain(w http.ResponseWriter, c *http.Cookie, base *url.URL, development bool) {
	http.SetCookie(w, c)
	if development {
		return
	}
	if domain, err := publicsuffix.EffectiveTLDPlusOne(base.Hostname()); err == nil {
		onDomain := *c
		onDomain.Domain = domain
		http.SetCookie(w, &onDomain)
	}
}
