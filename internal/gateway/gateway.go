// Package gateway is the API gateway of cmd/gateway: a reverse proxy that
// verifies the caller's Clerk session token once and forwards the request
// to the service its path prefix names, with the verified identity in
// gatewayauth's signed headers, so services trust a signature instead of
// verifying tokens themselves.
//
// For each request, in order:
//
//   - every identity header the client sent (X-Clerk-*, X-Gateway-*, any
//     case) is removed before anything reads the request;
//   - /healthz answers 200 without a token;
//   - the longest matching prefix of GATEWAY_ROUTES picks the upstream; no
//     match is 404, a path with ., .. or empty segments is 400;
//   - the session token (Authorization: Bearer, or the __session cookie) is
//     verified with clerkauth and the session checked against the
//     revocations the app records: no valid token is 401, an unreadable
//     revocation list 503, and the upstream is not called;
//   - the request goes upstream with its path unchanged, X-Forwarded-*
//     set by the gateway, X-Request-Id, and the identity signed with
//     gatewayauth.Sign (GATEWAY_SHARED_SECRET); an unreachable upstream is
//     502, one that does not answer in time 504.
//
// What of the caller's credentials travels on: Clerk's cookies (__session,
// __client_uat, the dev browser's, the handshake's, each with its suffixed
// variants) are removed, so a service behind the gateway never holds the
// browser's session. The verified token is sent on as Authorization: Bearer
// (whether it came as a header or as the cookie), because some upstreams
// verify it themselves (the app's /api/v1, which does not read gateway
// signatures) or call Clerk as the user; it is a short-lived token (a
// minute) bound to its azp, which limits what a compromised service could
// do with it, and services that need nothing but the identity should read
// only the signed headers. Other cookies pass unchanged: they belong to the
// services.
//
// Each request is logged once (request id, route, upstream, status,
// duration, user and organization ids; never a token) and counted in
// Metrics.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"time"

	"example.com/saas/clerkauth"
	"example.com/saas/gatewayauth"
	"example.com/saas/middleware"
	"example.com/saas/models"
)

// Options are a Gateway's dependencies.
type Options struct {
	// Routes are matched longest prefix first (ParseRoutes sorts them).
	Routes []Route
	// Auth verifies the token and checks revocation; its Optional is ignored.
	Auth *clerkauth.Middleware
	// Secret is GATEWAY_SHARED_SECRET, the key of gatewayauth.Sign.
	Secret []byte
	Log    *slog.Logger
	// Metrics may be nil.
	Metrics *Metrics
	// Transport reaches the upstreams (NewTransport when nil).
	Transport http.RoundTripper
}

// Gateway is the proxy's http.Handler.
type Gateway struct {
	routes  []upstream
	auth    *clerkauth.Middleware
	secret  []byte
	log     *slog.Logger
	metrics *Metrics
	handler http.Handler
}

type upstream struct {
	Route
	proxy *httputil.ReverseProxy
}

// New returns the gateway for o.
func New(o Options) (*Gateway, error) {
	if len(o.Routes) == 0 || o.Auth == nil || o.Auth.Verifier == nil {
		return nil, errors.New("gateway: routes and a verifier are required")
	}
	if len(o.Secret) == 0 {
		return nil, errors.New("gateway: a shared secret is required")
	}
	g := &Gateway{
		auth: o.Auth, secret: o.Secret, metrics: o.Metrics,
		// The request id (and whatever else the context carries) on every line.
		log: slog.New(middleware.NewLogHandler(o.Log.Handler())),
	}
	transport := o.Transport
	if transport == nil {
		transport = NewTransport(DefaultUpstreamTimeout)
	}
	for _, rt := range o.Routes {
		g.routes = append(g.routes, upstream{Route: rt, proxy: g.newProxy(rt, transport)})
	}
	g.handler = middleware.RequestID(http.HandlerFunc(g.serve))
	return g, nil
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

// exchange is what the access log and the metrics learn of a request as it
// is served.
type exchange struct {
	route    string
	upstream string
	id       clerkauth.Identity
	token    string
}

type exchangeKey struct{}

func exchangeOf(ctx context.Context) *exchange {
	ex, _ := ctx.Value(exchangeKey{}).(*exchange)
	return ex
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request) {
	// First of all: nothing below may see a client's own identity headers.
	gatewayauth.Strip(r.Header)
	start := time.Now()
	ex := &exchange{route: labelUnmatched}
	rec := middleware.NewStatusRecorder(w)
	r = r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex))
	g.route(rec, r, ex)
	g.finish(r, rec.Status(), ex, time.Since(start))
}

func (g *Gateway) route(w http.ResponseWriter, r *http.Request, ex *exchange) {
	if r.URL.Path == "/healthz" {
		ex.route = labelHealthz
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
		return
	}
	if !cleanPath(r.URL.Path) {
		gatewayauth.WriteError(w, http.StatusBadRequest, "bad_path", "The path has empty, . or .. segments.")
		return
	}
	up, ok := g.match(r.URL.Path)
	if !ok {
		gatewayauth.WriteError(w, http.StatusNotFound, "not_found", "No service serves this path.")
		return
	}
	ex.route, ex.upstream = up.Prefix, up.Upstream.Host
	if !g.authenticate(w, r, ex) {
		return
	}
	up.proxy.ServeHTTP(w, r)
}

func (g *Gateway) match(path string) (upstream, bool) {
	for _, up := range g.routes {
		if strings.HasPrefix(path, up.Prefix) {
			return up, true
		}
	}
	return upstream{}, false
}

// authenticate records the caller's identity in ex, or answers the request
// itself (false) when there is none to vouch for.
func (g *Gateway) authenticate(w http.ResponseWriter, r *http.Request, ex *exchange) bool {
	id, err := g.auth.Authenticate(r)
	if err == nil {
		ex.id = id
		ex.token, _ = clerkauth.Token(r)
		return true
	}
	reason := refusalReason(err)
	g.metrics.refused(reason)
	if reason != "no_token" {
		g.log.WarnContext(r.Context(), "credentials refused", slog.String("reason", err.Error()))
	}
	if reason == "unavailable" {
		gatewayauth.WriteError(w, http.StatusServiceUnavailable, "auth_unavailable", "Signing in cannot be checked right now. Try again shortly.")
		return false
	}
	clerkauth.Unauthorized(w)
	return false
}

func refusalReason(err error) string {
	switch {
	case errors.Is(err, clerkauth.ErrNoToken):
		return "no_token"
	case errors.Is(err, clerkauth.ErrRevoked):
		return "revoked"
	case errors.Is(err, clerkauth.ErrRevocationUnknown):
		return "unavailable"
	default:
		return "invalid"
	}
}

func (g *Gateway) finish(r *http.Request, status int, ex *exchange, d time.Duration) {
	g.metrics.observe(ex.route, status, d)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	// The query is not logged: it may carry tokens.
	g.log.LogAttrs(r.Context(), level, "request",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", ex.route),
		slog.String("upstream", ex.upstream),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.String("user_id", ex.id.UserID),
		slog.String("org_id", ex.id.OrgID),
	)
}

func (g *Gateway) newProxy(rt Route, transport http.RoundTripper) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { g.rewrite(pr, rt) },
		Transport: transport,
		// The upstream echoes the request id too; one copy is enough.
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Del("X-Request-Id")
			return nil
		},
		ErrorHandler: g.upstreamFailed,
		ErrorLog:     slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
}

// rewrite builds the outgoing request (the package doc says what travels).
// Hop-by-hop and X-Forwarded-* headers were already dropped by
// ReverseProxy; the path stays as it came.
func (g *Gateway) rewrite(pr *httputil.ProxyRequest, rt Route) {
	out, ex := pr.Out, exchangeOf(pr.In.Context())
	out.URL.Scheme, out.URL.Host, out.Host = rt.Upstream.Scheme, rt.Upstream.Host, ""
	pr.SetXForwarded()
	stripClerkCookies(out.Header)
	out.Header.Set("Authorization", "Bearer "+ex.token)
	if id, ok := models.RequestIDFrom(pr.In.Context()); ok {
		out.Header.Set("X-Request-Id", id)
	}
	gatewayauth.Sign(out, gatewayauth.Identity{
		UserID: ex.id.UserID, SessionID: ex.id.SessionID,
		OrgID: ex.id.OrgID, OrgRole: ex.id.OrgRole, OrgSlug: ex.id.OrgSlug,
	}, g.secret, time.Now())
}

// upstreamFailed answers 504 when the upstream did not answer in time and
// 502 otherwise (refused connection, reset, bad response).
func (g *Gateway) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	ex := exchangeOf(r.Context())
	kind, status, code, msg := "unreachable", http.StatusBadGateway, "bad_gateway", "The service behind this path is unavailable."
	switch {
	case r.Context().Err() != nil:
		kind = "canceled" // the client left; nobody reads the answer
	case isTimeout(err):
		kind, status, code, msg = "timeout", http.StatusGatewayTimeout, "gateway_timeout", "The service behind this path did not answer in time."
	}
	g.metrics.upstreamError(ex.route, kind)
	g.log.WarnContext(r.Context(), "upstream failed", slog.String("route", ex.route), slog.String("kind", kind), slog.Any("error", err))
	gatewayauth.WriteError(w, status, code, msg)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// stripClerkCookies removes Clerk's cookies, the browser's session, from h.
func stripClerkCookies(h http.Header) {
	lines := h.Values("Cookie")
	if len(lines) == 0 {
		return
	}
	var kept []string
	for _, line := range lines {
		for _, c := range strings.Split(line, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(c), "=")
			if name != "" && !isClerkCookie(name) {
				kept = append(kept, strings.TrimSpace(c))
			}
		}
	}
	h.Del("Cookie")
	if len(kept) > 0 {
		h.Set("Cookie", strings.Join(kept, "; "))
	}
}

// clerkCookies are the names Clerk's SDKs set, each also with a suffix
// (__session_<hash>, __client_uat_<hash>) on multi-app domains.
var clerkCookies = []string{
	clerkauth.CookieSession, clerkauth.CookieClientUAT, clerkauth.CookieDevBrowser,
	"__clerk_handshake", "__clerk_handshake_nonce", "__clerk_redirect_count", "__refresh",
}

func isClerkCookie(name string) bool {
	for _, c := range clerkCookies {
		if name == c || strings.HasPrefix(name, c+"_") {
			return true
		}
	}
	return false
}

// DefaultUpstreamTimeout bounds how long an upstream may take to send its
// response headers (GATEWAY_UPSTREAM_TIMEOUT).
const DefaultUpstreamTimeout = 30 * time.Second

// NewTransport reaches the upstreams: a short dial timeout (a down host
// fails fast as 502), responseHeader for the answer (504), and no proxy
// from the environment (upstreams are internal).
func NewTransport(responseHeader time.Duration) *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: responseHeader,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   64,
		ForceAttemptHTTP2:     true,
	}
}

// NewServer sets the timeouts a public server needs; WriteTimeout outlasts
// the upstream timeout so a 504 can still be written.
func NewServer(h http.Handler, upstreamTimeout time.Duration, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      upstreamTimeout + 30*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// String describes a route for logs.
func (r Route) String() string { return fmt.Sprintf("%s → %s", r.Prefix, r.Upstream) }
