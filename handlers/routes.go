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
func (h *Handlers) Routes(cfg RouterConfig) http.Handler {
	mux := http.NewServeMux()

	// Public.
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	mux.Handle("GET /static/", cfg.Static)
	mux.Handle("POST /webhooks/clerk", h.Webhooks)

	// Everything else is a 404 page.
	mux.HandleFunc("/", h.notFound)

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
