// Package views holds the templ components. Pages take view-model structs
// with display-ready fields; they never query the database.
package views

import (
	"context"
	"strings"
	"unicode"

	"github.com/a-h/templ"

	"example.com/saas/internal/paths"
)

// AssetURLs builds cache-busting URLs for files under static/.
type AssetURLs interface {
	URL(name string) string
}

// Page is what the layout needs on every page.
type Page struct {
	Title   string
	Assets  AssetURLs
	User    *UserNav
	Flashes []Flash
	// Org is the organization the page belongs to, if any; Orgs fills the switcher.
	Org  *OrgNav
	Orgs []OrgNav
	// Breadcrumbs overrides the trail derived from Org, Active and Title.
	Breadcrumbs []Crumb
	// Active names the side-navigation entry to highlight.
	Active string
}

// UserNav is the signed-in user as the top bar shows them.
type UserNav struct {
	ID       string
	Name     string
	Email    string
	ImageURL string
}

// Initials are shown when the user has no image.
func (u UserNav) Initials() string { return Initials(u.Name, u.Email) }

// Initials are up to two capital letters from name, else from email.
func Initials(name, email string) string {
	var out []rune
	for _, f := range strings.Fields(name) {
		r := []rune(f)[0]
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		out = append(out, unicode.ToUpper(r))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 && email != "" {
		out = append(out, unicode.ToUpper([]rune(email)[0]))
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// loadableImage reports whether an avatar URL may be shown under the CSP
// (img-src 'self' data: https:); others (such as the local Clerk emulator's
// http images) fall back to initials instead of a blocked image.
func loadableImage(u string) bool {
	return strings.HasPrefix(u, "https://") || (strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//"))
}

// OrgNav is an organization in the switcher and side navigation.
type OrgNav struct {
	Name    string
	Slug    string
	Role    string
	IsAdmin bool
	// CanManageSettings shows the Settings entry (org:sys_profile:manage).
	CanManageSettings bool
	// CanReadDomains shows the Domains entry (org:sys_domains:read).
	CanReadDomains bool
}

// Flash is a one-time message shown after a redirect.
type Flash struct {
	Kind    string // "success", "error" or "info"
	Message string
}

// Crumb is one breadcrumb; the last has no URL.
type Crumb struct {
	Label string
	URL   string
}

// navSection is an entry of the side navigation, which also heads the
// breadcrumbs of its pages.
type navSection struct {
	key, label string
	url        func(slug string) string
	// settings entries are shown to those who may manage the organization,
	// domains entries to those who may read its domains.
	settings bool
	domains  bool
}

// sections are the side navigation's entries, in order.
var sections = []navSection{
	{key: "dashboard", label: "Dashboard", url: paths.Org},
	{key: "projects", label: "Projects", url: paths.Projects},
	// scaffold:nav — `make resource` adds a resource's section above this line.
	{key: "members", label: "Members", url: paths.Members},
	{key: "audit", label: "Audit log", url: paths.Audit},
	{key: "settings", label: "Settings", url: paths.Settings, settings: true},
	{key: "domains", label: "Domains", url: paths.Domains, domains: true},
}

// navSections are the sections the page's user sees.
func (p Page) navSections() []navSection {
	out := make([]navSection, 0, len(sections))
	for _, s := range sections {
		if (!s.settings || p.Org.CanManageSettings) && (!s.domains || p.Org.CanReadDomains) {
			out = append(out, s)
		}
	}
	return out
}

// crumbs is the breadcrumb trail: Breadcrumbs when set, else on an
// organization's page "Org / Section / Title" (the current page last,
// without a link).
func (p Page) crumbs() []Crumb {
	if len(p.Breadcrumbs) > 0 || p.Org == nil || p.Active == "" || p.Active == "dashboard" {
		return p.Breadcrumbs
	}
	out := []Crumb{{Label: p.Org.Name, URL: paths.Org(p.Org.Slug)}}
	for _, s := range sections {
		if s.key != p.Active {
			continue
		}
		out = append(out, Crumb{Label: s.label, URL: s.url(p.Org.Slug)})
		if p.Title == s.label || p.Title == "" {
			out[len(out)-1].URL = ""
			return out
		}
	}
	return append(out, Crumb{Label: p.Title})
}

// assetsKey carries the AssetURLs in a render's context, for the
// components that have no Page: the icons of htmx fragments.
type assetsKey struct{}

// WithAssets returns ctx carrying a, which icons use to name the sprite
// (handlers render every page and fragment with it).
func WithAssets(ctx context.Context, a AssetURLs) context.Context {
	return context.WithValue(ctx, assetsKey{}, a)
}

// iconHref points at symbol name of the sprite static/icons.svg; without
// AssetURLs in ctx (tests), at the bare file name, which is served too.
func iconHref(ctx context.Context, name string) string {
	if a, ok := ctx.Value(assetsKey{}).(AssetURLs); ok && a != nil {
		return a.URL("icons.svg") + "#" + name
	}
	return "/static/icons.svg#" + name
}

func (p Page) asset(name string) string {
	if p.Assets == nil {
		return "/static/" + name
	}
	return p.Assets.URL(name)
}

func (p Page) title() string {
	switch {
	case p.Title == "":
		return "SaaS Starter"
	case p.Org != nil && p.Title != p.Org.Name:
		return p.Title + " · " + p.Org.Name + " · SaaS Starter"
	default:
		return p.Title + " · SaaS Starter"
	}
}

func joinSpace(s []string) string { return strings.Join(s, " ") }

// hxForm makes a form post through htmx: a 422 answer (the same page with the
// field errors) replaces <main> in place, so the address bar keeps the
// page's URL and a reload re-sends nothing; success answers HX-Redirect
// (handlers' flashAndRedirect). Without JavaScript the form posts as usual.
func hxForm(action string) templ.Attributes {
	return templ.Attributes{"hx-post": action, "hx-target": "#main", "hx-select": "#main", "hx-swap": "outerHTML"}
}
