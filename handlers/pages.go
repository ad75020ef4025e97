package handlers

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/a-h/templ"

	"example.com/saas/internal/live"
	"example.com/saas/middleware"
	"example.com/saas/models"
	"example.com/saas/views"
)

// pages renders the app's pages: every area's handlers embed it for the
// layout's view model, templ rendering, flash messages and error pages.
type pages struct {
	log       *slog.Logger
	sessions  *middleware.SessionStore
	assets    views.AssetURLs
	directory *live.Directory
	// buffers holds rendered pages' buffers between requests.
	buffers sync.Pool
}

// page builds the layout's view model for r: the signed-in user from the
// local users table (never from Clerk's API) and the pending flash messages.
func (p *pages) page(w http.ResponseWriter, r *http.Request, title string) views.Page {
	v := p.pageWithoutDB(w, r, title)
	id, ok := models.IdentityFrom(r.Context())
	if !ok {
		return v
	}
	u, orgs, err := p.directory.UserAndOrganizations(r.Context(), id.UserID)
	if err != nil {
		p.log.WarnContext(r.Context(), "top bar", slog.Any("error", err))
	}
	if u != nil {
		v.User = &views.UserNav{ID: u.ID, Name: u.DisplayName(), Email: u.Email, ImageURL: u.ImageURL}
	}
	orgNav(&v, orgs)
	return v
}

// pageWithoutDB is page without the local tables: the user is "Signed in",
// the organization switcher empty, and on a tenant page the side
// navigation shows the request's organization. The 503 page of a database outage
// uses it, so it answers at once.
func (p *pages) pageWithoutDB(w http.ResponseWriter, r *http.Request, title string) views.Page {
	v := views.Page{Title: title, Assets: p.assets}
	if p.sessions != nil {
		for _, f := range p.sessions.Flashes(w, r) {
			v.Flashes = append(v.Flashes, views.Flash{Kind: f.Kind, Message: f.Message})
		}
	}
	if id, ok := models.IdentityFrom(r.Context()); ok {
		v.User = &views.UserNav{ID: id.UserID, Name: "Signed in"}
	}
	if t, ok := models.TenantFrom(r.Context()); ok {
		v.Org = &views.OrgNav{Name: t.Name, Slug: t.Slug, Role: models.RoleLabel(t.Role), IsAdmin: t.IsAdmin(), CanManageSettings: t.Can(models.PermProfileManage),
			CanReadDomains: t.Can(models.PermDomainsRead)}
	}
	return v
}

// orgPage is page for a page inside the request's organization: active
// names the side-navigation entry, which also heads the breadcrumbs.
func (p *pages) orgPage(w http.ResponseWriter, r *http.Request, title, active string) views.Page {
	v := p.page(w, r, title)
	v.Active = active
	return v
}

// orgNav fills the organization switcher from the local tables.
func orgNav(v *views.Page, orgs []models.UserOrganization) {
	for _, o := range orgs {
		if o.Slug != "" {
			v.Orgs = append(v.Orgs, views.OrgNav{Name: o.Name, Slug: string(o.Slug), Role: models.RoleLabel(o.Role), IsAdmin: models.NormalizeRole(o.Role) == models.RoleAdmin})
		}
	}
}

// render writes a templ component with status.
func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	// Rendered into a pooled buffer and sent in one write with its
	// Content-Length: streaming templ's output made a write system call
	// every 4 KB (a chunked response), and a failed render could only
	// truncate a page whose status was already sent; now it is a 500.
	buf := p.buffer()
	defer p.release(buf)
	if err := c.Render(views.WithAssets(r.Context(), p.assets), buf); err != nil {
		level := slog.LevelError
		if r.Context().Err() != nil {
			level = slog.LevelWarn // the client went away mid-page; nothing to fix here
		}
		p.log.Log(r.Context(), level, "render page", slog.Any("error", err))
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// buffer is a pooled buffer for a page or an API answer; release returns
// it.
func (p *pages) buffer() *bytes.Buffer {
	if buf, ok := p.buffers.Get().(*bytes.Buffer); ok {
		return buf
	}
	return new(bytes.Buffer)
}

func (p *pages) release(buf *bytes.Buffer) {
	if buf.Cap() <= 1<<20 { // do not keep the odd huge page
		buf.Reset()
		p.buffers.Put(buf)
	}
}

// flashAndRedirect adds a flash message and answers 303 to url, as every
// successful form post does. A form posted by htmx gets HX-Redirect
// instead: the XMLHttpRequest would follow a 303 itself and swap the next
// page into the form.
func (p *pages) flashAndRedirect(w http.ResponseWriter, r *http.Request, kind, message, url string) {
	p.sessions.AddFlash(w, r, kind, message)
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", url)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
}

// home renders the landing page at exactly "/"; other unknown paths, which
// the "/" pattern also matches, get the 404 page.
func (p *pages) home(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		p.notFound(w, r)
		return
	}
	p.render(w, r, http.StatusOK, views.Home(p.page(w, r, "")))
}
