package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// The templates are a second copy of the projects area: this test keeps
// the two in step. It renders the scaffold for a project-like widget in
// memory and compares it, after renaming Project to Widget, with the
// hand-written code: per function, the helpers and methods it calls; the
// area struct; what the scaffold adds at each marker; the paths functions
// the views link with. A change to one side that the other lacks fails,
// naming the function and the calls that differ; an intended difference is
// listed in knownDifferences with its reason.

// side is where a function or a call is found.
type side string

const (
	projects side = "projects.go" // the hand-written projects area
	scaffold side = "scaffold"    // the templates, rendered for a widget
)

// difference is an intended difference: a function (call "") or a call of
// a function that only one side has, in that side's own names.
type difference struct {
	side     side
	fn, call string
}

// Reasons shared by several known differences.
const (
	noTasks = "projects have tasks; a scaffolded resource has none"
	ownPage = "a widget's page has no form: showWidget renders it, where showProject leaves it to renderProject, which re-renders it with the add-task form's errors"
	typed   = "typed fields (int, date) are converted from the model to the form by widgetFormOf; a project's fields are all strings, copied in place"
)

// knownDifferences are the intended differences, each with its reason.
// One that no longer occurs fails the test, so the list stays true.
var knownDifferences = map[difference]string{
	{projects, "projectHandlers.renderProject", ""}:              ownPage,
	{projects, "projectHandlers.showProject", "h.renderProject"}: ownPage,
	{scaffold, "widgetHandlers.showWidget", "h.widgetView"}:      ownPage,
	{scaffold, "widgetHandlers.showWidget", "h.renderError"}:     ownPage,
	{scaffold, "widgetHandlers.showWidget", "h.render"}:          ownPage,
	{scaffold, "widgetHandlers.showWidget", "h.orgPage"}:         ownPage,
	{scaffold, "widgetHandlers.showWidget", "views.Widget"}:      ownPage,
	{scaffold, "widgetHandlers.widgetView", ""}:                  "projects' counterpart, projectView, is in tasks.go: it also loads the tasks and the members",
	{scaffold, "widgetFormOf", ""}:                               typed,
	{scaffold, "widgetHandlers.editWidget", "widgetFormOf"}:      typed,
	{scaffold, "widgetHandlers.saveWidget", "widgetFormOf"}:      typed,
	{scaffold, "widgetItem", "strings.FieldsFunc"}:               "text fields are shown as paragraphs, one per line; a project's description is shown on one line",
	{projects, "CountProjects", ""}:                              "the dashboard counts projects; it shows no scaffolded resource",
	{projects, "projectHandlers.apiListTasks", ""}:               noTasks,
	{projects, "projectHandlers.apiCreateTask", ""}:              noTasks,
	{projects, "projectHandlers.apiUpdateTask", ""}:              noTasks,
	{projects, "projectHandlers.writeTask", ""}:                  noTasks,
	{projects, "projectHandlers.apiDeleteTask", ""}:              noTasks,
	{projects, "assigneeOf", ""}:                                 noTasks,
	{projects, "views/projects.templ", "paths.Tasks"}:            noTasks,
	{projects, "views/projects.templ", "paths.ToggleTask"}:       noTasks,
	{projects, "views/projects.templ", "paths.AssignTask"}:       noTasks,
	{projects, "views/projects.templ", "paths.DeleteTask"}:       noTasks,
	{projects, "views/projects.templ", "paths.EditTask"}:         noTasks,
	{projects, "views/projects.templ", "paths.Task"}:             noTasks,
	{projects, "views/projects.templ", "paths.WithQuery"}:        "the tasks' Load more carries its cursors; a scaffolded resource pages with Pagination",
}

// counterparts are the hand-written files and the templates that mirror them.
var counterparts = []struct{ hand, tmpl string }{
	{"handlers/projects.go", "handlers.go.tmpl"},
	{"handlers/projects_api.go", "api.go.tmpl"},
	{"models/project.go", "model.go.tmpl"},
}

// drift compares the two sides and records the known differences it met.
type drift struct {
	t        *testing.T
	rename   func(string) string // projects' names to the widget's
	unrename func(string) string // and back
	met      map[difference]bool
}

// known reports whether d is a known difference, and records that it met it.
func (d *drift) known(s side, fn, call string) bool {
	k := difference{s, fn, call}
	if _, ok := knownDifferences[k]; ok {
		d.met[k] = true
		return true
	}
	return false
}

// TestTemplatesFollowProjects fails when the templates and the projects
// area, which they copy, have drifted apart.
func TestTemplatesFollowProjects(t *testing.T) {
	root := filepath.Join("..", "..")
	r, rendered := renderWidget(t, root)
	d := &drift{
		t:        t,
		rename:   strings.NewReplacer("Project", r.Go, "project", r.Var).Replace,
		unrename: strings.NewReplacer(r.Go, "Project", r.Var, "project").Replace,
		met:      map[difference]bool{},
	}

	for _, c := range counterparts {
		hand := parseGo(t, c.hand, readFile(t, filepath.Join(root, c.hand)))
		gen := parseGo(t, d.rename(c.hand), rendered[d.rename(c.hand)])
		d.compareFuncs(c.hand, c.tmpl, hand, gen)
		d.compareAreas(c.hand, c.tmpl, hand, gen)
	}
	for _, p := range []string{"handlers/handlers.go", "handlers/routes.go", "views/page.go", "internal/paths/paths.go"} {
		d.compareMarkerEntries(p, markerEntries(parseGo(t, p, rendered[p])))
	}
	d.compareCalls("views/projects.templ", "views.templ.tmpl", "views/"+r.Plural+".templ",
		viewPaths(readFile(t, filepath.Join(root, "views/projects.templ"))), viewPaths(rendered["views/"+r.Plural+".templ"]))

	for k, reason := range knownDifferences {
		if !d.met[k] {
			t.Errorf("known difference %v (%s) no longer occurs: remove it from knownDifferences", k, reason)
		}
	}
}

// renderWidget renders the scaffold of a widget with a project's kind of
// fields (a title and a long text) into memory, by path.
func renderWidget(t *testing.T, root string) (Resource, map[string][]byte) {
	t.Helper()
	r, err := newResource(modfile.ModulePath(readFile(t, filepath.Join(root, "go.mod"))), "widget", "", "name:string description:text")
	if err != nil {
		t.Fatal(err)
	}
	repo := &repository{root: root}
	if r.Migration, err = repo.nextMigration(r.Plural); err != nil {
		t.Fatal(err)
	}
	out, err := render(repo, r)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range out.files {
		files[f.path] = f.data
	}
	return r, files
}

// compareFuncs pairs the functions of a hand-written file with those the
// template renders, and compares what each pair calls.
func (d *drift) compareFuncs(hand, tmpl string, handFile, genFile *ast.File) {
	handFns, genFns := funcDecls(handFile), funcDecls(genFile)
	handPkgs, genPkgs := imports(handFile), imports(genFile)
	paired := map[string]bool{}
	for _, name := range sortedKeys(handFns) {
		gen, ok := genFns[d.rename(name)]
		if !ok {
			if !d.known(projects, name, "") {
				d.t.Errorf("%s (%s) has no counterpart %s in templates/%s: add one, or list the difference in knownDifferences with its reason", name, hand, d.rename(name), tmpl)
			}
			continue
		}
		paired[d.rename(name)] = true
		d.compareCalls(name, tmpl, d.rename(name), calls(handFns[name], handPkgs), calls(gen, genPkgs))
	}
	for _, name := range sortedKeys(genFns) {
		if !paired[name] && !d.known(scaffold, name, "") {
			d.t.Errorf("%s (templates/%s) has no counterpart in %s: add one there, remove it from the template, or list the difference in knownDifferences", name, tmpl, hand)
		}
	}
}

// compareCalls reports the calls only one of two counterparts makes.
func (d *drift) compareCalls(handName, tmpl, genName string, hand, gen map[string]bool) {
	renamed := map[string]bool{}
	var onlyHand, onlyGen []string
	for _, c := range sortedKeys(hand) {
		renamed[d.rename(c)] = true
		if !gen[d.rename(c)] && !d.known(projects, handName, c) {
			onlyHand = append(onlyHand, c)
		}
	}
	for _, c := range sortedKeys(gen) {
		if !renamed[c] && !d.known(scaffold, genName, c) {
			onlyGen = append(onlyGen, c)
		}
	}
	if len(onlyHand)+len(onlyGen) > 0 {
		d.t.Errorf("%s and its copy %s in templates/%s have drifted apart:\n\tonly %s calls: %s\n\tonly the template calls: %s\n"+
			"Make the template follow the hand-written code, or list the difference in knownDifferences with its reason.",
			handName, genName, tmpl, handName, orNone(onlyHand), orNone(onlyGen))
	}
}

// compareAreas compares the area structs field by field, embedded fields
// included. (The model, form and input structs differ in their fields by
// design: a project's are not a widget's.)
func (d *drift) compareAreas(hand, tmpl string, handFile, genFile *ast.File) {
	genStructs := structTypes(genFile)
	for name, fields := range structTypes(handFile) {
		if !strings.HasSuffix(name, "Handlers") {
			continue
		}
		if got, want := genStructs[d.rename(name)], d.rename(fields); got != want {
			d.t.Errorf("%s (%s) is struct{%s}, but templates/%s renders %s as struct{%s}", name, hand, fields, tmpl, d.rename(name), got)
		}
	}
}

// compareMarkerEntries compares what the scaffold adds at the markers of a
// file with the projects' entries next to it: the area's field and its
// construction, the routes, the navigation entry, the paths functions.
func (d *drift) compareMarkerEntries(file string, entries map[string]string) {
	for _, key := range sortedKeys(entries) {
		if hand := d.unrename(key); hand != key {
			if _, ok := entries[hand]; !ok && !d.known(scaffold, key, "") {
				d.t.Errorf("%s: the scaffold adds %s, and the projects have no %s (markers.go writes it)", file, key, hand)
			}
			continue
		}
		gen := d.rename(key)
		if gen == key {
			continue // not the projects'
		}
		got, ok := entries[gen]
		switch {
		case !ok:
			if !d.known(projects, key, "") {
				d.t.Errorf("%s: the scaffold adds no counterpart %s to the projects' %s (markers.go writes them)", file, gen, key)
			}
		case got != d.rename(entries[key]):
			d.t.Errorf("%s: the scaffold adds %s as\n\t%s\nbut the projects' %s is\n\t%s\n(markers.go writes it)", file, gen, got, key, entries[key])
		}
	}
}

// funcDecls are a file's functions, methods named Type.Method.
func funcDecls(f *ast.File) map[string]*ast.FuncDecl {
	out := map[string]*ast.FuncDecl{}
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok {
			out[funcName(fn)] = fn
		}
	}
	return out
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	return embeddedName(fn.Recv.List[0].Type) + "." + fn.Name.Name
}

// calls are what fn calls: package-level functions (parseForm), functions
// of the packages its file imports (models.GetProject), methods of the
// receiver and its fields (h.flashAndRedirect, h.sessions.AddFlash), and
// other methods by name alone (.Validate). Builtins are left out.
func calls(fn *ast.FuncDecl, pkgs map[string]bool) map[string]bool {
	recv := ""
	if fn.Recv != nil && len(fn.Recv.List[0].Names) > 0 {
		recv = fn.Recv.List[0].Names[0].Name
	}
	out := map[string]bool{}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if name := callee(call.Fun, recv, pkgs); name != "" {
				out[name] = true
			}
		}
		return true
	})
	return out
}

// callee names the function a call expression calls ("" for a builtin).
func callee(fun ast.Expr, recv string, pkgs map[string]bool) string {
	switch e := fun.(type) {
	case *ast.IndexExpr: // a generic function: takeOne[T]
		return callee(e.X, recv, pkgs)
	case *ast.IndexListExpr:
		return callee(e.X, recv, pkgs)
	case *ast.ParenExpr:
		return callee(e.X, recv, pkgs)
	case *ast.Ident:
		if types.Universe.Lookup(e.Name) != nil {
			return ""
		}
		return e.Name
	case *ast.SelectorExpr:
		chain := printed(e)
		root, _, _ := strings.Cut(chain, ".")
		if isIdentChain(e) && (root == recv || pkgs[root]) {
			return chain
		}
		return "." + e.Sel.Name
	}
	return ""
}

// isIdentChain reports whether e is a.b.c, without calls or indexes.
func isIdentChain(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return true
	case *ast.SelectorExpr:
		return isIdentChain(e.X)
	}
	return false
}

// imports are the names a file's imports are known by.
func imports(f *ast.File) map[string]bool {
	out := map[string]bool{}
	for _, spec := range f.Imports {
		p, _ := strconv.Unquote(spec.Path.Value)
		name := path.Base(p)
		if spec.Name != nil {
			name = spec.Name.Name
		}
		out[name] = true
	}
	return out
}

// structTypes are the struct types of a file, each as its fields printed.
func structTypes(f *ast.File) map[string]string {
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok {
			if st, ok := ts.Type.(*ast.StructType); ok {
				out[ts.Name.Name] = fieldList(st)
			}
		}
		return true
	})
	return out
}

func fieldList(st *ast.StructType) string {
	var fields []string
	for _, f := range st.Fields.List {
		typ := printed(f.Type)
		if len(f.Names) == 0 {
			fields = append(fields, typ)
		}
		for _, n := range f.Names {
			fields = append(fields, n.Name+" "+typ)
		}
	}
	return strings.Join(fields, "; ")
}

// markerEntries are the entries of a file the markers add to, each by a
// key naming it: the Handlers fields and New's elements (handlers.go), the
// routes by their handler (routes.go), the navigation sections by key
// (page.go), and top-level functions and constants (paths.go).
func markerEntries(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, decl := range f.Decls {
		switch decl := decl.(type) {
		case *ast.FuncDecl:
			switch {
			case decl.Name.Name == "tenantRoutes":
				routeEntries(decl, out)
			case decl.Name.Name == "New":
				ast.Inspect(decl, func(n ast.Node) bool {
					if kv, ok := n.(*ast.KeyValueExpr); ok {
						out["New: "+printed(kv.Key)] = printed(kv)
					}
					return true
				})
			case decl.Recv == nil:
				body := *decl
				body.Doc = nil
				out["func "+decl.Name.Name] = printed(&body)
			}
		case *ast.GenDecl:
			ast.Inspect(decl, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.TypeSpec:
					if st, ok := n.Type.(*ast.StructType); ok && n.Name.Name == "Handlers" {
						for _, field := range st.Fields.List {
							for _, name := range field.Names {
								out["Handlers field "+name.Name] = printed(field.Type)
							}
						}
					}
				case *ast.ValueSpec:
					if n.Names[0].Name == "sections" {
						for _, e := range n.Values[0].(*ast.CompositeLit).Elts {
							key := printed(e.(*ast.CompositeLit).Elts[0])
							out["nav "+key] = printed(e)
						}
					} else if decl.Tok == token.CONST && len(n.Values) == 1 {
						out["const "+n.Names[0].Name] = printed(n)
					}
				}
				return true
			})
		}
	}
	return out
}

// routeEntries adds tenantRoutes' routes by handler name: each as its
// pattern and permission, with the function's local constants spelled out
// (read is models.PermProjectsRead).
func routeEntries(fn *ast.FuncDecl, out map[string]string) {
	consts := map[string]string{}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, name := range vs.Names {
				consts[name.Name] = printed(vs.Values[i])
			}
		}
		lit, ok := n.(*ast.CompositeLit)
		if !ok || len(lit.Elts) != 3 {
			return true
		}
		handler, ok := lit.Elts[2].(*ast.SelectorExpr)
		if !ok {
			return true
		}
		perm := printed(lit.Elts[1])
		if v, ok := consts[perm]; ok {
			perm = v
		}
		out["route to "+handler.Sel.Name] = printed(lit.Elts[0]) + ", " + perm
		return false
	})
}

var pathsCall = regexp.MustCompile(`\bpaths\.(\w+)`)

// viewPaths are the paths functions a templ file links with.
func viewPaths(src []byte) map[string]bool {
	out := map[string]bool{}
	for _, m := range pathsCall.FindAllSubmatch(src, -1) {
		out["paths."+string(m[1])] = true
	}
	return out
}

func parseGo(t *testing.T, name string, src []byte) *ast.File {
	t.Helper()
	if src == nil {
		t.Fatalf("%s: not rendered", name)
	}
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return f
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// printed is a node as gofmt writes it, on one line.
func printed(n any) string {
	var b bytes.Buffer
	if err := printer.Fprint(&b, token.NewFileSet(), n); err != nil {
		return "<" + err.Error() + ">"
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(nothing else)"
	}
	return strings.Join(s, ", ")
}
