package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// repository is the checkout the resource is added to.
type repository struct {
	root string
}

func (repo *repository) abs(p string) string { return filepath.Join(repo.root, filepath.FromSlash(p)) }

func (repo *repository) read(p string) ([]byte, error) {
	b, err := os.ReadFile(repo.abs(p))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

var migrationRE = regexp.MustCompile(`^(\d+)_.*\.sql$`)

// nextMigration names the migration after the highest-numbered one.
func (repo *repository) nextMigration(plural string) (string, error) {
	entries, err := os.ReadDir(repo.abs("migrations"))
	if err != nil {
		return "", fmt.Errorf("read migrations: %w", err)
	}
	last, width := 0, 5
	for _, e := range entries {
		m := migrationRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		last, width = max(last, n), len(m[1])
	}
	return fmt.Sprintf("%0*d_%s.sql", width, last+1, plural), nil
}

// needsDate reports whether models lacks the Date type of date fields (a
// resource made earlier may have written it). A Date of another kind is a
// clash.
func (repo *repository) needsDate() (bool, error) {
	decls, err := repo.declarations("models", "models")
	if err != nil {
		return false, err
	}
	switch {
	case decls["Date"] && decls["ParseDate"]:
		return false, nil
	case decls["Date"]:
		return false, refuse("models declares a Date type without ParseDate: date fields need the scaffold's models.Date")
	}
	return true, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

var createTableRE = regexp.MustCompile(`(?i)create\s+table\s+(?:if\s+not\s+exists\s+)?"?([a-z_][a-z0-9_]*)`)

// checkClashes refuses a resource whose files, table, route segments,
// navigation entry or Go names (its area's type and Handlers field among
// them) exist already.
func (repo *repository) checkClashes(r Resource, out output) error {
	for _, f := range out.files {
		if f.created && fileExists(repo.abs(f.path)) {
			return refuse("NAME %q clashes with the existing %s", r.Name, f.path)
		}
	}
	if view := out.generated[0]; fileExists(repo.abs(view)) { // what templ makes of the new view
		return refuse("NAME %q clashes with the existing %s", r.Name, view)
	}

	migrations, err := filepath.Glob(repo.abs("migrations/*.sql"))
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if strings.HasSuffix(filepath.Base(m), "_"+r.Plural+".sql") {
			return refuse("NAME %q clashes with the existing migrations/%s", r.Name, filepath.Base(m))
		}
		sql, err := os.ReadFile(m)
		if err != nil {
			return err
		}
		for _, t := range createTableRE.FindAllStringSubmatch(string(sql), -1) {
			if strings.EqualFold(t[1], r.Plural) {
				return refuse("NAME %q clashes with the table %s of migrations/%s", r.Name, t[1], filepath.Base(m))
			}
		}
	}

	// Every route's path segments are spelled in internal/paths.
	segment := regexp.MustCompile(`/` + regexp.QuoteMeta(r.KebabPlural) + `(["/ ]|$)`)
	pathsFile, err := repo.read("internal/paths/paths.go")
	if err != nil {
		return err
	}
	if segment.Match(pathsFile) {
		return refuse("NAME %q clashes with the routes under /%s in internal/paths/paths.go", r.Name, r.KebabPlural)
	}
	for _, p := range []string{"views/page.go"} {
		b, err := repo.read(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(strconv.Quote(r.KebabPlural))) {
			return refuse("NAME %q clashes with the navigation entry %q of %s", r.Name, r.KebabPlural, p)
		}
	}
	return repo.checkGoNames(r, out)
}

// checkGoNames refuses a resource whose generated Go declarations exist
// already in their package (model, handler, view or test names).
func (repo *repository) checkGoNames(r Resource, out output) error {
	type pkg struct{ dir, name string }
	wanted := map[pkg][]string{}
	for _, f := range out.files {
		if !f.created || path.Ext(f.path) != ".go" {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f.path, f.data, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("parse the rendered %s: %w", f.path, err)
		}
		k := pkg{path.Dir(f.path), af.Name.Name}
		wanted[k] = append(wanted[k], topLevel(af)...)
	}
	// The views are templ, which go/parser cannot read: these are the
	// names views.templ.tmpl declares.
	views := []string{r.GoPlural, r.Go + "Form", r.Go, "Delete" + r.Go, r.Go + "Item", r.Go + "ListView",
		r.Go + "FormView", r.Go + "View"}
	if r.Has(typeText) {
		views = append(views, r.Var+"TextArea")
	}
	wanted[pkg{"views", "views"}] = views
	// internal/paths gets its functions above its markers.
	wanted[pkg{"internal/paths", "paths"}] = []string{r.GoPlural, "New" + r.Go, r.Go, "Edit" + r.Go, "Delete" + r.Go, "API" + r.GoPlural, "API" + r.Go}

	keys := make([]pkg, 0, len(wanted))
	for k := range wanted {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].dir+keys[i].name < keys[j].dir+keys[j].name })
	declared := map[pkg]map[string]bool{}
	for _, k := range keys {
		have, err := repo.declarations(k.dir, k.name)
		if err != nil {
			return err
		}
		for _, n := range wanted[k] {
			if have[n] {
				return refuse("NAME %q clashes with %s, already declared in package %s (%s/)", r.Name, n, k.name, k.dir)
			}
		}
		declared[k] = have
	}
	// The area becomes a field of Handlers, which has no field or method
	// of that name yet.
	if declared[pkg{"handlers", "handlers"}]["Handlers."+r.VarPlural] {
		return refuse("NAME %q clashes with Handlers.%s, a method in package handlers", r.Name, r.VarPlural)
	}
	fields, err := repo.structFields("handlers/handlers.go", "Handlers")
	if err != nil {
		return err
	}
	if fields[r.VarPlural] {
		return refuse("NAME %q clashes with Handlers.%s, a field in handlers/handlers.go", r.Name, r.VarPlural)
	}
	// The resource's variable must not hide a package-level name that the
	// same functions call (orDefault, writeJSON, …).
	for _, k := range []pkg{{"handlers", "handlers"}, {"models", "models"}} {
		if declared[k][r.Var] {
			return refuse("NAME %q would make the variable %s hide %s.%s", r.Name, r.Var, k.name, r.Var)
		}
	}
	return nil
}

// structFields are the field names of the struct typeName declared in the
// file p (an embedded field is named by its type).
func (repo *repository) structFields(p, typeName string) (map[string]bool, error) {
	src, err := repo.read(p)
	if err != nil {
		return nil, err
	}
	af, err := parser.ParseFile(token.NewFileSet(), p, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	out := map[string]bool{}
	ast.Inspect(af, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != typeName {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		for _, f := range st.Fields.List {
			for _, n := range f.Names {
				out[n.Name] = true
			}
			if len(f.Names) == 0 {
				out[embeddedName(f.Type)] = true
			}
		}
		return false
	})
	return out, nil
}

// embeddedName is the field name of an embedded type: T, *T, pkg.T.
func embeddedName(t ast.Expr) string {
	switch t := t.(type) {
	case *ast.StarExpr:
		return embeddedName(t.X)
	case *ast.SelectorExpr:
		return t.Sel.Name
	case *ast.Ident:
		return t.Name
	}
	return ""
}

// declarations are the top-level names of package pkgName in dir, methods
// as Type.Method.
func (repo *repository) declarations(dir, pkgName string) (map[string]bool, error) {
	out := map[string]bool{}
	err := filepath.WalkDir(repo.abs(dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != repo.abs(dir) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		af, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("parse %s: %w", p, err)
		}
		if af.Name.Name == pkgName {
			for _, n := range topLevel(af) {
				out[n] = true
			}
		}
		return nil
	})
	return out, err
}

// topLevel lists a file's top-level names; methods as Type.Method.
func topLevel(f *ast.File) []string {
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil || len(d.Recv.List) == 0 {
				out = append(out, d.Name.Name)
				continue
			}
			t := d.Recv.List[0].Type
			if star, ok := t.(*ast.StarExpr); ok {
				t = star.X
			}
			if id, ok := t.(*ast.Ident); ok {
				out = append(out, id.Name+"."+d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					out = append(out, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						out = append(out, n.Name)
					}
				}
			}
		}
	}
	return out
}

// write writes every file, then has templ generate the views' Go code. If
// anything fails, the repository is put back as it was.
func (repo *repository) write(out output) (err error) {
	restore := map[string][]byte{}
	var created []string
	defer func() {
		if err == nil {
			return
		}
		for _, p := range created {
			os.Remove(repo.abs(p))
		}
		for p, b := range restore {
			os.WriteFile(repo.abs(p), b, 0o644)
		}
	}()
	// templ generate rewrites views/*_templ.go: keep them to restore.
	generated, err := filepath.Glob(repo.abs("views/*_templ.go"))
	if err != nil {
		return err
	}
	for _, g := range generated {
		rel, _ := filepath.Rel(repo.root, g)
		if restore[filepath.ToSlash(rel)], err = os.ReadFile(g); err != nil {
			return err
		}
	}
	for _, f := range out.files {
		if !f.created {
			if restore[f.path], err = repo.read(f.path); err != nil {
				return err
			}
			if err := os.WriteFile(repo.abs(f.path), f.data, 0o644); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(repo.abs(f.path)), 0o755); err != nil {
			return err
		}
		w, err := os.OpenFile(repo.abs(f.path), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		created = append(created, f.path)
		_, err = w.Write(f.data)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	created = append(created, out.generated[0]) // the new view's Go code, removed on failure
	cmd := exec.Command("go", "tool", "templ", "generate", "-path", "views")
	cmd.Dir = repo.root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("templ generate: %w\n%s", err, b)
	}
	if !fileExists(repo.abs(out.generated[0])) {
		return errors.New("templ generate did not write " + out.generated[0])
	}
	return nil
}
