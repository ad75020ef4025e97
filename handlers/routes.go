package handlers

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"example.com/saas/internal/paths"
	"example.com/saas/middleware"
	"example.com/saas/models"
)

// RouterConfig holds what the router needs besides the handlers.
type RouterConfig struct {
	HTTPS  bool
	Static http.Handler
	// Auth identifies users; nil serves only the public routes (tests of
	// the skeleton).
	Auth *middleware.Auth
	// FormTargets are extra origins pages may post forms to (Clerk's hosted pages).
	FormTargets string
	// WebhookLimit and APILimit rate-limit /webhooks/clerk (per client
	// address) and /api/ (per user); nil means no limit.
	WebhookLimit *middleware.RateLimiter
	APILimit     *middleware.RateLimiter
	// InFlight bounds the requests running at once on the database-backed
	// routes (app and webhook); nil means no gate.
	InFlight *middleware.InFlight
}

// Request limits for pages and the API (the webhook handler has its own 1 MiB).
const (
	maxRequestBody = 256 << 10
	requestTimeout = 15 * time.Second
)

// QueueTimeout is the longest a request waits for an InFlight slot before
// the busy answer (503). Well under requestTimeout, which the wait counts
// against, so a request that waited still has time to run.
const QueueTimeout = 5 * time.Second

// Routes returns every route of the application, wrapped in its middleware.
//
// Middleware order, outermost first:
//  1. RequestID: every later line (logs, errors) can name the request.
//  2. AccessLog: one line per request, after it finished, with its status.
//  3. Compress: zstd or gzip for bodies of 1 KB and more when the client
//     accepts it (pages, JSON, and static files the client takes no
//     precompressed variant of); inside AccessLog, which so logs the bytes
//     sent, and outside Recover, so the 500 page is compressed too. Health
//     answers are too small to compress; /metrics has its own listener,
//     where promhttp compresses. Not on the webhook: its answers are a few
//     bytes of JSON to Svix, and the wrapper cost every delivery.
//  4. Recover: a panic becomes the 500 page and is logged by AccessLog.
//  5. SecurityHeaders: set before any handler writes.
//  6. CrossOriginProtection: refuses cross-site unsafe requests (CSRF) before
//     they reach handlers or authentication.
//  7. Timeout (app routes; not the machine routes): a deadline every
//     database call inherits, the wait for a slot included.
//  8. InFlight (app routes and the webhook): at most so many requests past
//     this point, the rest wait in arrival order, then get 503. Not on
//     /healthz, /readyz or /static/, which must answer while the app is
//     saturated. The webhook's per-address rate limit runs before it, so a
//     flooding sender is refused at once rather than queueing ahead of pages.
//  9. LimitBody (app routes): bounded request bodies.
//  10. Auth: who is asking (it reads the revoked-sessions table); it may
//     answer with a handshake redirect for page loads.
//  11. The API rate limit (per user, after Auth has named the user).
//  12. RequireUser (protected routes): no identity, no entry; then, for
//     tenant routes, the organization and the route's permission.
func (h *Handlers) Routes(cfg RouterConfig) http.Handler {
	mux := http.NewServeMux()
	// Machine routes: no user, no handshake.
	mux.HandleFunc("GET "+paths.Healthz, h.health.healthz)
	mux.HandleFunc("GET "+paths.Readyz, h.health.readyz)
	mux.Handle("GET "+paths.Static, cfg.Static)
	// The API's description is static and public like /static/: no user,
	// no database, no gate, no rate limit.
	mux.Handle("GET "+paths.APIOpenAPI, h.openAPI)
	gate := h.gate(cfg.InFlight)
	mux.Handle("POST "+paths.Webhooks, limited(cfg.WebhookLimit, middleware.ByIP, gate(h.webhooks)))

	app := http.NewServeMux()
	h.publicRoutes(app)
	var appHandler http.Handler = app
	if cfg.Auth != nil {
		h.protectedRoutes(app, middleware.RequireUser(h.baseURL))
		appHandler = cfg.Auth.Middleware(apiLimited(cfg.APILimit, app))
	}
	appHandler = middleware.LimitBody(maxRequestBody)(appHandler)
	mux.Handle("/", middleware.Timeout(requestTimeout)(gate(appHandler)))

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.pages.renderError(w, r, &httpError{http.StatusForbidden, "cross_origin", "This request came from another site and was refused."})
	}))

	var handler http.Handler = mux
	handler = csrf.Handler(handler)
	handler = middleware.SecurityHeaders(cfg.HTTPS, cfg.FormTargets)(handler)
	handler = middleware.Recover(h.pages.log, h.pages.renderError)(handler)
	if compress, err := middleware.Compress(); err != nil {
		// Only a bad option makes this fail, which the tests would show:
		// serving uncompressed beats not serving.
		h.pages.log.Error("responses go uncompressed", slog.Any("error", err))
	} else {
		handler = compressExcept(paths.Webhooks, compress, handler)
	}
	handler = middleware.AccessLog(h.pages.log)(handler)
	handler = middleware.RequestID(handler)
	return handler
}

// compressExcept is compress around next for every path but path, which
// next serves as it is.
func compressExcept(path string, compress func(http.Handler) http.Handler, next http.Handler) http.Handler {
	compressed := compress(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			next.ServeHTTP(w, r)
			return
		}
		compressed.ServeHTTP(w, r)
	})
}

// gate returns the in-flight gate f (identity when nil), answering requests
// that waited too long with busy.
func (h *Handlers) gate(f *middleware.InFlight) func(http.Handler) http.Handler {
	if f == nil {
		return func(next http.Handler) http.Handler { return next }
	}
	return f.Limit(http.HandlerFunc(h.busy))
}

// codeBusy is the error code of the busy answer.
const codeBusy = "busy"

// busy answers a request that got no slot in time: 503, as a page or as the
// API's JSON error. It runs before Auth, so rendering it takes no database
// call.
func (h *Handlers) busy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	h.pages.renderError(w, r, &httpError{http.StatusServiceUnavailable, codeBusy, "The server is busy. Try again in a moment."})
}

// limited applies l (when set) keyed by keyOf.
func limited(l *middleware.RateLimiter, keyOf func(*http.Request) string, next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return l.Limit(keyOf)(next)
}

// apiLimited rate-limits /api/ requests per user; it runs after Auth, so
// the user is known.
func apiLimited(l *middleware.RateLimiter, next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	limitedAPI := l.Limit(middleware.ByUser)(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			limitedAPI.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// publicRoutes need no sign-in; every other route is protected.
func (h *Handlers) publicRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.pages.home)
	mux.HandleFunc("GET "+paths.SignIn, h.auth.signIn)
	mux.HandleFunc("GET "+paths.SignUp, h.auth.signUp)
	// Everything else is a 404 page.
	mux.HandleFunc("/", h.pages.notFound)
}

// protectedRoutes need a signed-in user.
func (h *Handlers) protectedRoutes(mux *http.ServeMux, requireUser func(http.Handler) http.Handler) {
	handle := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, requireUser(fn)) }

	// Sign-out works with an expired session too: it clears the cookies.
	mux.HandleFunc("POST "+paths.SignOut, h.auth.signOut)

	// Signed in, before choosing an organization.
	handle("GET "+paths.App, h.orgs.openApp)
	handle("GET "+paths.Orgs, h.orgs.listOrgs)
	handle("POST "+paths.Orgs, h.orgs.createOrg)
	handle("POST "+paths.AcceptInvitation(paths.InvitationID), h.orgs.acceptInvitation)
	handle("POST "+paths.RequestToJoin(paths.OrgID), h.orgs.requestToJoin)
	handle("GET "+paths.Account, h.account.showAccount)

	// JSON API (Bearer tokens).
	handle("GET "+paths.APIMe, h.api.apiMe)

	// Inside an organization: RequireUser, then the tenant (the URL's slug
	// for pages, the token's active organization for the API; members
	// only, 404 otherwise), then the route's permission (403 naming it).
	memory := middleware.OrgMemory{Sessions: h.pages.sessions, Record: h.orgs.recordLastOrg, Log: h.pages.log}
	pages := middleware.RequireOrgMember(h.tenants.bySlug, memory, h.pages.renderError)
	api := middleware.RequireActiveOrg(h.tenants.byOrg, h.pages.renderError)
	for _, rt := range h.tenantRoutes() {
		var next http.Handler = rt.handler
		if rt.permission != "" {
			next = middleware.RequirePermission(rt.permission, h.pages.renderError)(next)
		}
		if isAPI(rt.pattern) {
			next = api(next)
		} else {
			next = pages(next)
		}
		mux.Handle(rt.pattern, requireUser(next))
	}
}

// tenantRoute is a route that works inside one organization: every request
// runs as that tenant, and permission (if any) is required.
type tenantRoute struct {
	pattern    string
	permission string
	handler    http.HandlerFunc
}

// tenantRoutes is the table of every tenant route, pages and API. Routes
// added here are walked by the cross-tenant test automatically. Their
// patterns are built by internal/paths, whose test spells each one out.
func (h *Handlers) tenantRoutes() []tenantRoute {
	const (
		read   = models.PermProjectsRead
		manage = models.PermProjectsManage
	)
	const slug, id, taskID = paths.Slug, paths.ID, paths.TaskID
	p, m, st := &h.projects, &h.members, &h.settings
	return []tenantRoute{
		// Pages: /orgs/{slug}/…
		{"GET " + paths.Org(slug), "", h.dashboard.dashboard},
		{"GET " + paths.Projects(slug), read, p.listProjects},
		{"POST " + paths.Projects(slug), manage, p.createProject},
		{"GET " + paths.NewProject(slug), manage, p.newProject},
		{"GET " + paths.Project(slug, id), read, p.showProject},
		{"GET " + paths.EditProject(slug, id), manage, p.editProject},
		{"POST " + paths.EditProject(slug, id), manage, p.updateProject},
		{"GET " + paths.DeleteProject(slug, id), manage, p.confirmDeleteProject},
		{"POST " + paths.DeleteProject(slug, id), manage, p.deleteProject},
		{"GET " + paths.Tasks(slug, id), read, p.listTasks},
		{"POST " + paths.Tasks(slug, id), manage, p.createTask},
		{"GET " + paths.Task(slug, id, taskID), read, p.showTask},
		{"POST " + paths.ToggleTask(slug, id, taskID), manage, p.toggleTask},
		{"POST " + paths.AssignTask(slug, id, taskID), manage, p.assignTask},
		{"GET " + paths.EditTask(slug, id, taskID), manage, p.editTask},
		{"POST " + paths.EditTask(slug, id, taskID), manage, p.updateTask},
		{"POST " + paths.DeleteTask(slug, id, taskID), manage, p.deleteTask},
		{"POST " + paths.RestoreTask(slug, id, taskID), manage, p.restoreTask},
		{"GET " + paths.Members(slug), models.PermMembershipsRead, m.listMembers},
		{"POST " + paths.Invitations(slug), models.PermMembershipsManage, m.createInvitation},
		{"GET " + paths.RevokeInvitation(slug, paths.InvitationID), models.PermMembershipsManage, m.confirmRevokeInvitation},
		{"POST " + paths.RevokeInvitation(slug, paths.InvitationID), models.PermMembershipsManage, m.revokeInvitation},
		{"POST " + paths.AcceptRequest(slug, paths.RequestID), models.PermMembershipsManage, m.acceptRequest},
		{"POST " + paths.RejectRequest(slug, paths.RequestID), models.PermMembershipsManage, m.rejectRequest},
		{"POST " + paths.MemberRole(slug, paths.UserID), models.PermMembershipsManage, m.updateMemberRole},
		{"GET " + paths.RemoveMember(slug, paths.UserID), models.PermMembershipsManage, m.confirmRemoveMember},
		{"POST " + paths.RemoveMember(slug, paths.UserID), models.PermMembershipsManage, m.removeMember},
		// Anyone may leave: membership is the only right it needs.
		{"GET " + paths.LeaveOrg(slug), "", m.confirmLeave},
		{"POST " + paths.LeaveOrg(slug), "", m.leaveOrg},
		{"GET " + paths.Settings(slug), models.PermProfileManage, st.showSettings},
		{"POST " + paths.Settings(slug), models.PermProfileManage, st.updateSettings},
		{"POST " + paths.DeleteOrg(slug), models.PermProfileDelete, st.deleteOrg},
		{"GET " + paths.Domains(slug), models.PermDomainsRead, h.domains.showDomains},
		{"POST " + paths.Domains(slug), models.PermDomainsManage, h.domains.addDomain},
		{"GET " + paths.RemoveDomain(slug, paths.DomainID), models.PermDomainsManage, h.domains.confirmRemoveDomain},
		{"POST " + paths.RemoveDomain(slug, paths.DomainID), models.PermDomainsManage, h.domains.removeDomain},
		{"GET " + paths.Audit(slug), "", h.audit.listAudit},

		// JSON API: the token's active organization.
		{"GET " + paths.APIMembers, models.PermMembershipsRead, h.api.apiListMembers},
		{"GET " + paths.APIProjects, read, p.apiListProjects},
		{"POST " + paths.APIProjects, manage, p.apiCreateProject},
		{"GET " + paths.APIProject(id), read, p.apiGetProject},
		{"PATCH " + paths.APIProject(id), manage, p.apiUpdateProject},
		{"DELETE " + paths.APIProject(id), manage, p.apiDeleteProject},
		{"GET " + paths.APITasks(id), read, p.apiListTasks},
		{"POST " + paths.APITasks(id), manage, p.apiCreateTask},
		{"PATCH " + paths.APITask(id, taskID), manage, p.apiUpdateTask},
		{"DELETE " + paths.APITask(id, taskID), manage, p.apiDeleteTask},

		// scaffold:routes — `make resource` adds a resource's routes above this line.
	}
}

// TenantRoute describes a tenant route, for tests that must cover them all.
type TenantRoute struct {
	// Pattern is the ServeMux pattern, "METHOD /path/{wildcard}".
	Pattern string
	// Permission is required besides membership ("" for none).
	Permission string
}

// TenantRoutes lists every route that runs inside an organization.
func TenantRoutes() []TenantRoute {
	var out []TenantRoute
	for _, rt := range (&Handlers{}).tenantRoutes() {
		out = append(out, TenantRoute{Pattern: rt.pattern, Permission: rt.permission})
	}
	return out
}

func isAPI(pattern string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	return strings.HasPrefix(path, "/api/")
}
