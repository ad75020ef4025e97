package middleware

import "net/http"

// contentSecurityPolicy allows scripts and styles from this origin only: no
// inline script or style, no framing, forms posting only here and to Clerk's
// hosted pages (redirects after POST are not restricted by form-action in
// every browser, so the sign-in origin is listed explicitly).
func contentSecurityPolicy(formTargets string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
		"frame-ancestors 'none'; form-action 'self' " + formTargets
}

// SecurityHeaders sets the headers every response carries. HSTS is sent only
// when the public URL is https, so local http development is not pinned.
// formTargets is the space-separated list of extra origins forms may post to.
func SecurityHeaders(https bool, formTargets string) func(http.Handler) http.Handler {
	csp := contentSecurityPolicy(formTargets)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
			if https {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			next.ServeHTTP(w, r)
		})
	}
}
