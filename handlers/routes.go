package handlers

import (
	"net/http"

	"example.com/saas/middleware"
)

// ErrMigrationsPending is returned by a Ready func when the schema is behind.
var ErrMigrationsPending = errPending{}

type errPending struct{}

func (errPending) Error() string { return "migrations pending" }

// RouterConfig holds what the router needs besides the handlers.
type RouterConfig struct {
	HTTPS  bool
	Static http.Handler
	// Auth identifies users; nil serves only the public routes (tests of
	// the skeleton).
	Auth *middleware.Auth
	// FormTargets are extra origins pages may post forms to (Clerk's hosted pages).
	FormTargets string
}

// Routes returns every route of the application, wrapped in its middleware.
//
// Middleware order, outermost first:
//  1. RequestID: every later line (logs, errors) can name the request.
//  2. AccessLog: one line per request, after it finished, with its status.
//  3. Recover: a panic becomes the 500 page and is logged by AccessLog.
//  4. SecurityHeaders: set before any handler writes.
//  5. CrossOriginProtection: refuses cross-site unsafe requests (CSRF) before
//     they reach handlers or authentication.
//  6. Auth (all but the machine routes): who is asking; it may answer with
//     a handshake redirect for page loads.
//  7. RequireUser (protected routes): no identity, no entry.
func (h *Handlers) Routes(cfg RouterConfig) http.Handler {
	mux := http.NewServeMux()
	// Machine routes: no user, no handshake.
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	mux.Handle("GET /static/", cfg.Static)
	mux.Handle("POST /webhooks/clerk", h.Webhooks)

	app := http.NewServeMux()
	h.publicRoutes(app)
	if cfg.Auth != nil {
		h.protectedRoutes(app, middleware.RequireUser(h.BaseURL))
		mux.Handle("/", cfg.Auth.Middleware(app))
	} else {
		mux.Handle("/", app)
	}

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, &httpError{http.StatusForbidden, "cross_origin", "This request came from another site and was refused."})
	}))

	var handler http.Handler = mux
	handler = csrf.Handler(handler)
	handler = middleware.SecurityHeaders(cfg.HTTPS, cfg.FormTargets)(handler)
	handler = middleware.Recover(h.Log, h.renderError)(handler)
	handler = middleware.AccessLog(h.Log)(handler)
	handler = middleware.RequestID(handler)
	return handler
}

// publicRoutes need no sign-in (DESIGN.md section 6).
func (h *Handlers) publicRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /sign-in", h.signIn)
	mux.HandleFunc("GET /sign-up", h.signUp)
	// Everything else is a 404 page.
	mux.HandleFunc("/", h.notFound)
}

// protectedRoutes need a signed-in user.
func (h *Handlers) protectedRoutes(mux *http.ServeMux, requireUser func(http.Handler) http.Handler) {
	handle := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, requireUser(fn)) }

	// Sign-out works with an expired session too: it clears the cookies.
	mux.HandleFunc("POST /sign-out", h.signOut)

	// JSON API (Bearer tokens).
	handle("GET /api/v1/me", h.apiMe)
}
