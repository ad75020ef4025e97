package gateway

import (
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"

	"example.com/saas/internal/config"
)

// Route sends the requests whose path starts with Prefix to Upstream, path
// unchanged (the service sees /notifications/…, not /…).
type Route struct {
	Prefix   string
	Upstream *url.URL
}

// ParseRoutes reads GATEWAY_ROUTES: comma-separated prefix=url pairs such
// as "/notifications/=http://127.0.0.1:9301,/api/=http://127.0.0.1:8080".
// The routes come back longest prefix first, the order they are matched in.
func ParseRoutes(v string) ([]Route, error) {
	var routes []Route
	seen := map[string]bool{}
	for _, pair := range strings.Split(v, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		r, err := parseRoute(pair)
		if err != nil {
			return nil, &config.Error{Var: "GATEWAY_ROUTES", Problem: err.Error()}
		}
		if seen[r.Prefix] {
			return nil, &config.Error{Var: "GATEWAY_ROUTES", Problem: fmt.Sprintf("prefix %q is routed twice", r.Prefix)}
		}
		seen[r.Prefix] = true
		routes = append(routes, r)
	}
	if len(routes) == 0 {
		return nil, &config.Error{Var: "GATEWAY_ROUTES", Problem: "is required: comma-separated prefix=url pairs, e.g. /notifications/=http://127.0.0.1:9301"}
	}
	sort.SliceStable(routes, func(i, j int) bool { return len(routes[i].Prefix) > len(routes[j].Prefix) })
	return routes, nil
}

func parseRoute(pair string) (Route, error) {
	prefix, raw, ok := strings.Cut(pair, "=")
	prefix, raw = strings.TrimSpace(prefix), strings.TrimSpace(raw)
	if !ok || prefix == "" || raw == "" {
		return Route{}, fmt.Errorf("%q is not prefix=url", pair)
	}
	if !strings.HasPrefix(prefix, "/") || !cleanPath(prefix) {
		return Route{}, fmt.Errorf("prefix %q must be a clean absolute path such as /notifications/", prefix)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Route{}, fmt.Errorf("upstream %q of %s must be an absolute http(s) URL", raw, prefix)
	}
	// The path is forwarded unchanged, so an upstream path would be ignored
	// silently; refuse it instead.
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return Route{}, fmt.Errorf("upstream %q of %s must be scheme://host:port only (the path is forwarded unchanged)", raw, prefix)
	}
	return Route{Prefix: prefix, Upstream: &url.URL{Scheme: u.Scheme, Host: u.Host}}, nil
}

// cleanPath reports whether p has no ., .. or empty segments: such a path
// could match one prefix here and mean another route's path upstream.
func cleanPath(p string) bool {
	c := path.Clean(p)
	return c == p || c+"/" == p
}
