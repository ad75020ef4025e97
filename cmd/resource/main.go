// Command resource scaffolds a tenant-owned resource the way projects are
// built by hand, for
//
//	make resource NAME=invoice FIELDS="number:string amount:int due:date"
//
// It writes a goose migration (composite key led by organization_id,
// row-level security, grants), the GORM model with audited writes, the
// resource's handler area (pages and JSON API, as handlers/projects.go),
// templ views and tests, and adds at the scaffold markers the area to
// handlers/handlers.go, its paths to internal/paths/paths.go, its routes to
// handlers/routes.go, its navigation entry to views/page.go and its API to
// api/openapi.yaml. Field
// types: string, text, int, bool, date; the first string field is the
// resource's title.
//
// A name that clashes with the app's own, or invalid fields, are refused
// with one line and exit status 2, before anything is written. See
// docs/architecture.md, "Adding a resource".
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
)

func main() {
	name := flag.String("name", "", "singular snake_case name, such as invoice or line_item")
	fields := flag.String("fields", "", `fields as name:type, such as "number:string amount:int due:date" (types: `+strings.Join(fieldTypes, ", ")+`)`)
	plural := flag.String("plural", "", "the plural of -name, when adding s, es or ies is wrong (person: people)")
	root := flag.String("root", ".", "the repository (the directory of go.mod)")
	flag.Parse()

	r, written, err := run(*root, *name, *plural, *fields)
	if err != nil {
		fmt.Fprintln(os.Stderr, "resource:", err)
		var ref *refusal
		if errors.As(err, &ref) {
			os.Exit(2)
		}
		os.Exit(1)
	}
	fmt.Printf("Scaffolded %s:\n", r.PluralLower())
	for _, f := range written {
		fmt.Println("  " + f)
	}
	fmt.Printf(`
Next: go test ./handlers/ -run '%[1]s'   (make run applies the migration)
make api regenerates the Go API client (api/client) from api/openapi.yaml.
Admins hold org:%[2]s:read and org:%[2]s:manage; grant them to other roles in
the Clerk Dashboard (Organizations > Roles & Permissions).
`, "Test"+r.Go, r.Plural)
}

// run scaffolds the resource in the repository at root and returns the
// files it wrote or changed. Everything is rendered and checked in memory
// first, so a refusal or a template error writes nothing.
func run(root, name, plural, fields string) (Resource, []string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return Resource{}, nil, fmt.Errorf("run it from the repository root: %w", err)
	}
	module := modfile.ModulePath(data)
	if module == "" {
		return Resource{}, nil, errors.New("go.mod has no module line")
	}
	r, err := newResource(module, name, plural, fields)
	if err != nil {
		return Resource{}, nil, err
	}
	repo := &repository{root: root}
	if r.Migration, err = repo.nextMigration(r.Plural); err != nil {
		return r, nil, err
	}
	out, err := render(repo, r)
	if err != nil {
		return r, nil, err
	}
	if err := repo.checkClashes(r, out); err != nil {
		return r, nil, err
	}
	if err := repo.write(out); err != nil {
		return r, nil, err
	}
	return r, out.paths(), nil
}
