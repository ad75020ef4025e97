package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"gorm.io/gorm"

	"example.com/saas/internal/clerksync"
	"example.com/saas/models"
	"example.com/saas/views"
)

// httpError is an error with the status and message a user may see.
type httpError struct {
	status  int
	code    string
	message string
}

func (e *httpError) Error() string { return e.message }

// codeDBUnavailable is the error code of a request the database could not
// serve: its connection was lost (and the work could not run again), it
// could not be reached, or a statement ran past DB_STATEMENT_TIMEOUT.
const codeDBUnavailable = "database_unavailable"

// classify maps an error to the status, code and message shown to users;
// internals never leave the server. ctx is the request's.
func classify(ctx context.Context, err error) httpError {
	var he *httpError
	var pe *models.PermissionError
	var refusal *clerksync.Refusal
	switch {
	case errors.As(err, &he):
		return *he
	case errors.As(err, &pe):
		return httpError{http.StatusForbidden, "missing_permission", permissionMessage(pe.Permission) + " Ask an admin of this organization if you need it."}
	case errors.Is(err, models.ErrNoActiveOrganization):
		return httpError{http.StatusForbidden, "no_active_organization", "This session has no active organization. Select one (Clerk setActive) and use a fresh session token."}
	case errors.Is(err, models.ErrInvalidCursor):
		return httpError{http.StatusBadRequest, "invalid_cursor", "The page cursor is not valid. Start again from the first page."}
	case errors.Is(err, models.ErrNotFound), errors.Is(err, gorm.ErrRecordNotFound):
		return httpError{http.StatusNotFound, "not_found", "We could not find that page. It may have moved, or you may not have access to it."}
	case errors.Is(err, models.ErrForbidden), errors.Is(err, models.ErrNoTenant):
		return httpError{http.StatusForbidden, "forbidden", "You do not have permission to do that."}
	case errors.Is(err, clerksync.ErrUnavailable):
		return httpError{http.StatusServiceUnavailable, "clerk_unavailable", "We could not reach Clerk, our sign-in provider, so nothing was changed. Please try again in a moment."}
	// After Clerk's: a network error reaching Clerk looks like a lost
	// connection too.
	case models.IsConnectionLost(err), models.IsQueryTimeout(ctx, err):
		return httpError{http.StatusServiceUnavailable, codeDBUnavailable, "The service is briefly unavailable. Please try again in a moment."}
	case errors.As(err, &refusal):
		return httpError{http.StatusUnprocessableEntity, "clerk_refused", "Clerk, our sign-in provider, refused this change: " + refusal.Message}
	default:
		return httpError{http.StatusInternalServerError, "internal", "Something went wrong on our side. Please try again in a moment."}
	}
}

// permissionMessage says in words what a missing permission keeps the user
// from; the error page shows the key itself in a detail line for developers.
func permissionMessage(perm string) string {
	switch perm {
	case models.PermProfileManage:
		return "Only admins can change this organization's settings."
	case models.PermProfileDelete:
		return "Only admins can delete this organization."
	case models.PermMembershipsManage:
		return "Only admins can invite, remove or change the role of members."
	case models.PermMembershipsRead:
		return "Your role does not let you see this organization's members."
	case models.PermProjectsManage:
		return "Your role lets you see projects and tasks, not create, change or delete them."
	case models.PermProjectsRead:
		return "Your role does not let you see this organization's projects."
	default:
		return "Your role in this organization does not allow that."
	}
}

// renderError is the one way from an error to a response: it logs 5xx at
// error and 4xx at warn (with the request's ids, from the log handler), and
// answers JSON under /api/ and a friendly page elsewhere.
func (p *pages) renderError(w http.ResponseWriter, r *http.Request, err error) {
	he := p.failed(w, r, err)
	var pe *models.PermissionError
	isPerm := errors.As(err, &pe)
	if wantsJSON(r) {
		if isPerm { // an API client's developer needs the key
			he.message += " Missing permission: " + pe.Permission + "."
		}
		writeJSONError(w, he.status, he.code, he.message)
		return
	}
	reqID, _ := models.RequestIDFrom(r.Context())
	ev := views.ErrorView{Status: he.status, Title: statusTitle(he.status), Message: he.message, RequestID: reqID}
	if isPerm {
		ev.Permission = pe.Permission
	}
	var pv views.Page
	if he.code == codeDBUnavailable {
		pv = p.pageWithoutDB(w, r, statusTitle(he.status)) // the top bar would wait for the database too
	} else {
		pv = p.page(w, r, statusTitle(he.status))
	}
	p.render(w, r, he.status, views.ErrorPage(pv, ev))
}

// failed classifies and logs err, once, and on a 503 sets Retry-After: the
// first half of renderError, for handlers that answer the error themselves
// (a form shown again with its input, see keptForm).
func (p *pages) failed(w http.ResponseWriter, r *http.Request, err error) httpError {
	he := classify(r.Context(), err)
	level := slog.LevelWarn
	if he.status >= 500 && he.code != codeBusy { // overload is expected, not a fault
		level = slog.LevelError
	}
	p.log.Log(r.Context(), level, "request failed", slog.Int("status", he.status), slog.Any("error", err))
	if he.status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	return he
}

// keptForm reports whether a form that failed with err should be shown
// again with the user's input and message (status 503) instead of the
// error page: when the failure is passing (the database or Clerk
// unavailable), so the user can submit the same input again. It logs err
// and sets Retry-After; otherwise it does nothing, for renderError.
func (p *pages) keptForm(w http.ResponseWriter, r *http.Request, err error) (message string, ok bool) {
	if he := classify(r.Context(), err); he.status != http.StatusServiceUnavailable || he.code == codeBusy {
		return "", false
	}
	he := p.failed(w, r, err)
	return he.message + " Nothing was saved; your input is kept below.", true
}

// RenderError is renderError for middleware (recovery, auth) that must
// answer with the same pages.
func (h *Handlers) RenderError(w http.ResponseWriter, r *http.Request, err error) {
	h.pages.renderError(w, r, err)
}

// notFound renders the 404 page for unknown routes.
func (p *pages) notFound(w http.ResponseWriter, r *http.Request) {
	p.renderError(w, r, models.ErrNotFound)
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
