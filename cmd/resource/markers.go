package main

import (
	"fmt"
	"strings"
)

// markerEdit adds lines above a scaffold marker of an existing file.
type markerEdit struct {
	path, marker string
	lines        []string
}

// markerEdits are a resource's additions to the app's own files: its area
// in handlers/handlers.go, its routes, its navigation entry, its paths and
// its API in the OpenAPI document.
func markerEdits(r Resource) []markerEdit {
	area := r.VarPlural
	return append([]markerEdit{
		{"handlers/handlers.go", "scaffold:areas", []string{area + " " + r.Var + "Handlers"}},
		{"handlers/handlers.go", "scaffold:new", []string{area + ": " + r.Var + "Handlers{tp},"}},
		{"handlers/routes.go", "scaffold:routes", routeLines(r)},
		{"views/page.go", "scaffold:nav", []string{
			fmt.Sprintf(`{key: %q, label: %q, url: paths.%s},`, r.KebabPlural, r.PluralLabel, r.GoPlural),
		}},
		{"internal/paths/paths.go", "scaffold:paths", pagePaths(r)},
		{"internal/paths/paths.go", "scaffold:api-paths", apiPaths(r)},
	}, openAPIEdits(r)...)
}

// routeLines are a resource's entries of tenantRoutes, written as the
// projects' are: the pattern from its paths function, the permission, and
// the handler of its area.
func routeLines(r Resource) []string {
	read, manage := "models."+r.PermRead(), "models."+r.PermManage()
	route := func(method, path, perm, handler string) string {
		return fmt.Sprintf("{%q + paths.%s, %s, h.%s.%s},", method+" ", path, perm, r.VarPlural, handler)
	}
	list, one := r.GoPlural+"(slug)", "(slug, id)"
	return []string{
		fmt.Sprintf("// %s: pages and JSON API (make resource).", r.PluralLabel),
		route("GET", list, read, "list"+r.GoPlural),
		route("POST", list, manage, "create"+r.Go),
		route("GET", "New"+r.Go+"(slug)", manage, "new"+r.Go),
		route("GET", r.Go+one, read, "show"+r.Go),
		route("GET", "Edit"+r.Go+one, manage, "edit"+r.Go),
		route("POST", "Edit"+r.Go+one, manage, "update"+r.Go),
		route("GET", "Delete"+r.Go+one, manage, "confirmDelete"+r.Go),
		route("POST", "Delete"+r.Go+one, manage, "delete"+r.Go),
		route("GET", "API"+r.GoPlural, read, "apiList"+r.GoPlural),
		route("POST", "API"+r.GoPlural, manage, "apiCreate"+r.Go),
		route("GET", "API"+r.Go+"(id)", read, "apiGet"+r.Go),
		route("PATCH", "API"+r.Go+"(id)", manage, "apiUpdate"+r.Go),
		route("DELETE", "API"+r.Go+"(id)", manage, "apiDelete"+r.Go),
		"",
	}
}

// applyMarkerEdits makes the edits, several to one file in turn, and
// returns each edited file once, formatted.
func applyMarkerEdits(repo *repository, edits []markerEdit) ([]file, error) {
	var order []string
	text := map[string][]byte{}
	for _, m := range edits {
		old, ok := text[m.path]
		if !ok {
			var err error
			if old, err = repo.read(m.path); err != nil {
				return nil, err
			}
			order = append(order, m.path)
		}
		data, err := insertAtMarker(old, m.marker, m.lines)
		if err != nil {
			return nil, refuse("%s: %v", m.path, err)
		}
		text[m.path] = data
	}
	files := make([]file, 0, len(order))
	for _, p := range order {
		data, err := formatFile(repo.root, p, text[p])
		if err != nil {
			return nil, err
		}
		files = append(files, file{path: p, data: data})
	}
	return files, nil
}

// pagePaths are the path functions of a resource's pages, written as
// internal/paths writes the projects'.
func pagePaths(r Resource) []string {
	return []string{
		fmt.Sprintf("// %s is an organization's %s list (GET) and new %s (POST).", r.GoPlural, r.Lower(), r.PluralLower()),
		fmt.Sprintf("func %s(slug string) string { return Org(slug) + %q }", r.GoPlural, "/"+r.KebabPlural),
		"",
		fmt.Sprintf("// New%s is the create-%s form.", r.Go, r.Kebab),
		fmt.Sprintf("func New%s(slug string) string { return %s(slug) + \"/new\" }", r.Go, r.GoPlural),
		"",
		fmt.Sprintf("// %s is %s's page.", r.Go, r.An()),
		fmt.Sprintf("func %s(slug, id string) string { return %s(slug) + \"/\" + segment(id) }", r.Go, r.GoPlural),
		"",
		fmt.Sprintf("// Edit%s is %s's edit form (GET) and its update (POST).", r.Go, r.An()),
		fmt.Sprintf("func Edit%s(slug, id string) string { return %s(slug, id) + \"/edit\" }", r.Go, r.Go),
		"",
		fmt.Sprintf("// Delete%s is %s's delete confirmation (GET) and its deletion (POST).", r.Go, r.An()),
		fmt.Sprintf("func Delete%s(slug, id string) string { return %s(slug, id) + \"/delete\" }", r.Go, r.Go),
		"",
	}
}

// apiPaths are the path constant and function of a resource's JSON API.
func apiPaths(r Resource) []string {
	return []string{
		fmt.Sprintf("// API%s lists (GET) and creates (POST) %s.", r.GoPlural, r.PluralLower()),
		fmt.Sprintf("const API%s = API + %q", r.GoPlural, "/"+r.KebabPlural),
		"",
		fmt.Sprintf("// API%s reads, changes and deletes one %s.", r.Go, r.Lower()),
		fmt.Sprintf("func API%s(id string) string { return API%s + \"/\" + segment(id) }", r.Go, r.GoPlural),
		"",
	}
}

// insertAtMarker inserts lines above the line holding marker, indented as
// that line is.
func insertAtMarker(src []byte, marker string, lines []string) ([]byte, error) {
	text := string(src)
	at := strings.Index(text, marker)
	if at < 0 {
		return nil, fmt.Errorf("no %q marker comment (make resource inserts above it)", marker)
	}
	if strings.Count(text, marker) > 1 {
		return nil, fmt.Errorf("more than one %q marker", marker)
	}
	start := strings.LastIndex(text[:at], "\n") + 1
	indent := text[start : start+len(text[start:])-len(strings.TrimLeft(text[start:], " \t"))]
	var b strings.Builder
	b.WriteString(text[:start])
	for _, l := range lines {
		if l != "" {
			b.WriteString(indent + l)
		}
		b.WriteString("\n")
	}
	b.WriteString(text[start:])
	return []byte(b.String()), nil
}
