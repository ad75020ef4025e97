package middleware

import (
	"net/http"
	"net/url"
	"strings"

	"example.com/saas/clerkauth"
	"example.com/saas/models"
)

// RequireUser lets only signed-in requests through. Pages are sent to
// /sign-in with their path as the return URL; htmx requests get an
// HX-Redirect there (a redirect would be swapped into the page); /api/
// requests get 401 JSON. It runs after Auth.
func RequireUser(base *url.URL) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return requireUser(next, base)
	}
}

func requireUser(next http.Handler, base *url.URL) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := models.IdentityFrom(r.Context()); ok {
			next.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			clerkauth.Unauthorized(w)
			return
		}
		signIn := SignInPath(returnPath(r, base))
		if r.Header.Get("HX-Request") != "" {
			w.Header().Set("HX-Redirect", signIn)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		status := http.StatusFound
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			status = http.StatusSeeOther
		}
		http.Redirect(w, r, signIn, status)
	})
}

// SignInPath is the app's sign-in route returning to path afterwards.
func SignInPath(path string) string {
	return "/sign-in?redirect_url=" + url.QueryEscape(path)
}

// returnPath is where to come back after signing in: the page itself for a
// GET, the page the htmx request came from, else the referring page.
func returnPath(r *http.Request, base *url.URL) string {
	if r.Header.Get("HX-Request") != "" {
		if p := SafeReturnPath(r.Header.Get("HX-Current-URL"), base); p != "" {
			return p
		}
	}
	if r.Method == http.MethodGet {
		return r.URL.RequestURI()
	}
	if p := SafeReturnPath(r.Referer(), base); p != "" {
		return p
	}
	return "/app"
}

// SafeReturnPath turns a user-supplied return URL into a path on this
// site, or "" when it points anywhere else: only a path starting with one "/"
// or an absolute URL on base's origin is accepted; "//x", "/\x", other
// schemes and control characters are refused.
func SafeReturnPath(raw string, base *url.URL) string {
	if raw == "" || len(raw) > 2048 || strings.ContainsAny(raw, "\\\x00\r\n\t") {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" {
		return ""
	}
	if u.Scheme != "" || u.Host != "" {
		if base == nil || u.Scheme != base.Scheme || u.Host != base.Host {
			return ""
		}
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return ""
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}
