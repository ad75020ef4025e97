// Package handlers holds the HTTP handlers, one file per page area, and the
// router that wires them with the middleware.
package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/session"
	"gorm.io/gorm"

	"example.com/saas/internal/live"
	"example.com/saas/middleware"
	"example.com/saas/models"
	"example.com/saas/views"
)

// Handlers holds the dependencies every handler needs.
type Handlers struct {
	Log    *slog.Logger
	DB     *gorm.DB
	Assets views.AssetURLs
	// Ready reports whether the database is reachable and migrated.
	Ready func(ctx context.Context) error
	// Webhooks verifies and applies Clerk webhook deliveries.
	Webhooks *WebhookHandler
	// Sessions is the app's cookie store (app session and flash messages).
	Sessions *middleware.SessionStore
	// Clerk holds the Backend API clients and hosted-page URLs.
	Clerk Clerk
	// BaseURL is the app's public URL.
	BaseURL *url.URL
	// Directory answers tenant and top-bar lookups of the synced tables.
	Directory *live.Directory
	// Revocations learns at once the sessions this instance signs out.
	Revocations *live.Revocations
	// Memberships reads from Clerk a membership a token names that the
	// local tables lack (nil: a miss is a miss).
	Memberships *MembershipReadThrough

	// pageBuffers holds rendered pages' buffers between requests.
	pageBuffers sync.Pool
	// DBTenantRole is the role every tenant transaction runs as
	// (DB_TENANT_ROLE), so row-level security applies.
	DBTenantRole string
}

// Clerk is what handlers need from the Clerk instance.
type Clerk struct {
	Sessions      *session.Client
	Organizations *organization.Client
	Memberships   *organizationmembership.Client
	Invitations   *organizationinvitation.Client
	SignInURL     string
	SignUpURL     string
	// UserProfileURL is the hosted user profile (Account Portal /user).
	UserProfileURL string
	// Development instances (pk_test_) use the dev browser.
	Development bool
}

// page builds the layout's view model for r: the signed-in user from the
// local users table (never from Clerk's API) and the pending flash messages.
func (h *Handlers) page(w http.ResponseWriter, r *http.Request, title string) views.Page {
	p := views.Page{Title: title, Assets: h.Assets}
	if h.Sessions != nil {
		for _, f := range h.Sessions.Flashes(w, r) {
			p.Flashes = append(p.Flashes, views.Flash{Kind: f.Kind, Message: f.Message})
		}
	}
	id, ok := models.IdentityFrom(r.Context())
	if !ok {
		return p
	}
	p.User = &views.UserNav{ID: id.UserID, Name: "Signed in"}
	u, orgs, err := h.Directory.UserAndOrganizations(r.Context(), id.UserID)
	if err != nil {
		h.Log.WarnContext(r.Context(), "top bar", slog.Any("error", err))
	}
	if u != nil {
		p.User = &views.UserNav{ID: u.ID, Name: u.DisplayName(), Email: u.Email, ImageURL: u.ImageURL}
	}
	h.orgNav(r, &p, orgs)
	return p
}

// orgPage is page for a page inside the request's organization: active
// names the side-navigation entry, which also heads the breadcrumbs.
func (h *Handlers) orgPage(w http.ResponseWriter, r *http.Request, title, active string) views.Page {
	p := h.page(w, r, title)
	p.Active = active
	return p
}

// orgNav fills the organization switcher from the local tables and, on a
// tenant page, the side navigation's organization.
func (h *Handlers) orgNav(r *http.Request, p *views.Page, orgs []models.UserOrganization) {
	if t, ok := models.TenantFrom(r.Context()); ok {
		p.Org = &views.OrgNav{Name: t.Name, Slug: t.Slug, Role: roleLabel(t.Role), IsAdmin: t.IsAdmin(), CanManageSettings: t.Can(models.PermProfileManage)}
	}
	for _, o := range orgs {
		if o.Slug != "" {
			p.Orgs = append(p.Orgs, views.OrgNav{Name: o.Name, Slug: string(o.Slug), Role: roleLabel(o.Role), IsAdmin: models.NormalizeRole(o.Role) == models.RoleAdmin})
		}
	}
}

// roleLabel is a role as users read it: "org:admin" → "admin".
func roleLabel(role string) string {
	return strings.TrimPrefix(models.NormalizeRole(role), "org:")
}

// render writes a templ component with status.
func (h *Handlers) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	// Rendered into a pooled buffer and sent in one write with its
	// Content-Length: streaming templ's output made a write system call
	// every 4 KB (a chunked response), and a failed render could only
	// truncate a page whose status was already sent; now it is a 500.
	buf, _ := h.pageBuffers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= 1<<20 { // do not keep the odd huge page
			buf.Reset()
			h.pageBuffers.Put(buf)
		}
	}()
	if err := c.Render(r.Context(), buf); err != nil {
		level := slog.LevelError
		if r.Context().Err() != nil {
			level = slog.LevelWarn // the client went away mid-page; nothing to fix here
		}
		h.Log.Log(r.Context(), level, "render page", slog.Any("error", err))
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// httpError is an error with the status and message a user may see.
type httpError struct {
	status  int
	code    string
	message string
}

func (e *httpError) Error() string { return e.message }

// classify maps an error to the status, code and message shown to users;
// internals never leave the server.
func classify(err error) httpError {
	var he *httpError
	var pe *models.PermissionError
	switch {
	case errors.As(err, &he):
		return *he
	case errors.As(err, &pe):
		return httpError{http.StatusForbidden, "missing_permission", "You need the " + pe.Permission + " permission to do that. Ask an admin of this organization if you need it."}
	case errors.Is(err, models.ErrNoActiveOrganization):
		return httpError{http.StatusForbidden, "no_active_organization", "This session has no active organization. Select one (Clerk setActive) and use a fresh session token."}
	case errors.Is(err, models.ErrInvalidCursor):
		return httpError{http.StatusBadRequest, "invalid_cursor", "The page cursor is not valid. Start again from the first page."}
	case errors.Is(err, models.ErrNotFound), errors.Is(err, gorm.ErrRecordNotFound):
		return httpError{http.StatusNotFound, "not_found", "We could not find that page. It may have moved, or you may not have access to it."}
	case errors.Is(err, models.ErrForbidden), errors.Is(err, models.ErrNoTenant):
		return httpError{http.StatusForbidden, "forbidden", "You do not have permission to do that."}
	case clerkUnavailable(err):
		return httpError{http.StatusServiceUnavailable, "clerk_unavailable", "We could not reach Clerk, our sign-in provider, so nothing was changed. Please try again in a moment."}
	default:
		return httpError{http.StatusInternalServerError, "internal", "Something went wrong on our side. Please try again in a moment."}
	}
}

// clerkUnavailable reports a Backend API call that got no answer (network
// error, timeout) or a 5xx: Clerk is down, not the request wrong.
func clerkUnavailable(err error) bool {
	var apiErr *clerk.APIErrorResponse
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode >= 500
	}
	var urlErr *url.Error
	return errors.As(err, &urlErr)
}

// renderError is the one way from an error to a response: it logs 5xx at
// error and 4xx at warn with the request's ids, and answers JSON under /api/
// and a friendly page elsewhere.
func (h *Handlers) renderError(w http.ResponseWriter, r *http.Request, err error) {
	he := classify(err)
	level := slog.LevelWarn
	if he.status >= 500 && he.code != codeBusy { // overload is expected, not a fault
		level = slog.LevelError
	}
	h.Log.Log(r.Context(), level, "request failed", slog.Int("status", he.status), slog.Any("error", err))
	if wantsJSON(r) {
		writeJSONError(w, he.status, he.code, he.message)
		return
	}
	reqID, _ := models.RequestIDFrom(r.Context())
	ev := views.ErrorView{Status: he.status, Title: statusTitle(he.status), Message: he.message, RequestID: reqID}
	var pe *models.PermissionError
	if errors.As(err, &pe) {
		ev.Permission = pe.Permission
	}
	h.render(w, r, he.status, views.ErrorPage(h.page(w, r, statusTitle(he.status)), ev))
}

// RenderError is renderError for middleware (recovery, auth) that must answer
// with the same pages.
func (h *Handlers) RenderError(w http.ResponseWriter, r *http.Request, err error) {
	h.renderError(w, r, err)
}

func statusTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusForbidden:
		return "Access denied"
	case http.StatusUnauthorized:
		return "Please sign in"
	case http.StatusServiceUnavailable:
		return "Temporarily unavailable"
	default:
		if status >= 500 {
			return "Something went wrong"
		}
		return http.StatusText(status)
	}
}

func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/")
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeJSONError writes the API's error envelope.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message}})
}

// notFound renders the 404 page for unknown routes.
func (h *Handlers) notFound(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, models.ErrNotFound)
}
