// Package views holds the templ components. Pages take view-model structs
// with display-ready fields; they never query the database.
package views

import "strings"

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
	Org         *OrgNav
	Orgs        []OrgNav
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
func (u UserNav) Initials() string {
	var out []rune
	for _, f := range strings.Fields(u.Name) {
		out = append(out, []rune(strings.ToUpper(f))[0])
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 && u.Email != "" {
		out = append(out, []rune(strings.ToUpper(u.Email))[0])
	}
	return string(out)
}

// OrgNav is an organization in the switcher and side navigation.
type OrgNav struct {
	Name    string
	Slug    string
	Role    string
	IsAdmin bool
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

func (p Page) asset(name string) string {
	if p.Assets == nil {
		return "/static/" + name
	}
	return p.Assets.URL(name)
}

func (p Page) title() string {
	if p.Title == "" {
		return "SaaS Starter"
	}
	return p.Title + " · SaaS Starter"
}
