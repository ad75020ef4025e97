package clerkdev

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Allowed redirect origins (see the package doc): the handshake and the hosted pages hand
// the browser's session and dev-browser token to their redirect_url, so only origins the
// instance knows are accepted, as with Clerk's allowed redirect origins.

// parseAllowedOrigin checks one Config.AllowedRedirectOrigins entry: an http(s) origin
// such as "http://localhost:8080" (a trailing "/" is fine; a path, query or user is not).
func parseAllowedOrigin(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("clerkdev: allowed redirect origin %q is not an http(s) origin like http://localhost:8080", raw)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("clerkdev: allowed redirect origin %q has more than scheme://host[:port]", raw)
	}
	return originKey(u), nil
}

// originKey is the comparable form of u's origin: lowercase scheme and host, no default
// port, and the loopback names localhost, 127.0.0.1 and [::1] folded into one, as they
// name the same listener on a development machine.
func originKey(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	switch host {
	case "127.0.0.1", "::1":
		host = "localhost"
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// initAllowedOrigins builds the configured set: the explicit list and the webhook URL's
// origin. The emulator's own origin follows SetBaseURL and is added at check time.
func (s *Server) initAllowedOrigins() error {
	s.allowedOrigins = map[string]bool{}
	for _, raw := range s.cfg.AllowedRedirectOrigins {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		o, err := parseAllowedOrigin(raw)
		if err != nil {
			return err
		}
		s.allowedOrigins[o] = true
	}
	if u, ok := absoluteHTTP(s.cfg.WebhookURL); ok {
		s.allowedOrigins[originKey(u)] = true
	}
	return nil
}

// AllowedRedirectOrigins returns the origins a redirect_url may point to, sorted: the
// configured ones, the webhook URL's and the emulator's own.
func (s *Server) AllowedRedirectOrigins() []string {
	out := make([]string, 0, len(s.allowedOrigins)+1)
	for o := range s.allowedOrigins {
		out = append(out, o)
	}
	if u, ok := absoluteHTTP(s.BaseURL()); ok && !s.allowedOrigins[originKey(u)] {
		out = append(out, originKey(u))
	}
	slices.Sort(out)
	return out
}

// redirectAllowed reports whether the browser may be sent to u.
func (s *Server) redirectAllowed(u *url.URL) bool {
	if u.User != nil {
		return false // http://app@elsewhere/ reads like the app to a person
	}
	key := originKey(u)
	if s.allowedOrigins[key] {
		return true
	}
	own, ok := absoluteHTTP(s.BaseURL())
	return ok && originKey(own) == key
}

// redirectError is why a redirect_url is refused; nil means it is accepted.
type redirectError struct {
	api  *apiError
	page string
}

// checkRedirect validates a redirect_url. An empty one is accepted only when optional.
func (s *Server) checkRedirect(raw string, optional bool) (*url.URL, *redirectError) {
	if raw == "" && optional {
		return nil, nil
	}
	u, ok := absoluteHTTP(raw)
	if !ok {
		const msg = "redirect_url must be an absolute http or https URL."
		e := errParamInvalid("redirect_url", msg)
		e.Status = http.StatusBadRequest
		return nil, &redirectError{api: e, page: msg}
	}
	if s.redirectAllowed(u) {
		return u, nil
	}
	allowed := s.AllowedRedirectOrigins()
	msg := fmt.Sprintf("redirect_url points to %s, which is not one of the allowed redirect origins of this instance (%s). "+
		"Add it to CLERKDEV_ALLOWED_REDIRECT_ORIGINS (clerkdev.Config.AllowedRedirectOrigins).",
		origin(u), strings.Join(allowed, ", "))
	s.log.Warn("clerkdev: refused a redirect_url outside the allowed redirect origins", "origin", origin(u), "allowed", allowed)
	e := &apiError{Status: http.StatusBadRequest, Code: "form_param_value_invalid", Message: "is invalid",
		LongMessage: msg, Meta: map[string]any{"param_name": "redirect_url"}}
	return nil, &redirectError{api: e, page: msg}
}
