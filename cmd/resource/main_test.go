package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"example.com/saas/internal/repotest"
	"example.com/saas/internal/testenv"
)

// TestScaffoldInvoice scaffolds an invoice in a copy of the repository and
// checks that the result is formatted, builds, vets, keeps the templ views
// current, uses only CSS classes the built stylesheet has, and passes its
// own tests and the route-table cross-tenant test against the test
// Postgres; and that refused requests write nothing.
func TestScaffoldInvoice(t *testing.T) {
	dir := repotest.Copy(t)
	bin := filepath.Join(t.TempDir(), "resource")
	repotest.Go(t, dir, nil, "build", "-o", bin, "./cmd/resource")

	pristine := snapshot(t, dir)
	refused := []struct{ name, plural, fields, want string }{
		{"project", "", "name:string", `"project" clashes with the app's own`},
		{"project_form", "", "name:string", "ProjectForm, already declared in package views"},
		{"auth", "", "name:string", "authHandlers, already declared in package handlers"},
		{"base", "base_url", "name:string", "Handlers.baseURL, a field in handlers/handlers.go"},
		{"bus", "busy", "name:string", "Handlers.busy, a method in package handlers"},
		{"assignment", "assign", "name:string", "routes under /assign in internal/paths/paths.go"},
		{"invoice", "", "number:money", `unknown type "money"`},
		{"invoice", "", "id:string", `"id" is reserved`},
		{"invoice", "", "", "FIELDS is required"},
	}
	for _, tt := range refused {
		code, stderr := generate(t, bin, dir, "-name", tt.name, "-plural", tt.plural, "-fields", tt.fields)
		checkRefused(t, tt.name+" "+tt.fields, code, stderr, tt.want)
	}
	if !maps.Equal(snapshot(t, dir), pristine) {
		t.Fatal("a refused request changed the repository")
	}

	if code, stderr := generate(t, bin, dir, "-name", "invoice", "-fields", "number:string amount:int due:date paid:bool notes:text"); code != 0 {
		t.Fatalf("generate = exit %d: %s", code, stderr)
	}
	scaffolded := snapshot(t, dir)
	var changed []string
	for p, sum := range scaffolded {
		if pristine[p] != sum {
			changed = append(changed, p)
		}
	}
	slices.Sort(changed)
	want := []string{"api/openapi.yaml", "handlers/handlers.go", "handlers/invoices.go", "handlers/invoices_api.go", "handlers/invoices_test.go", "handlers/routes.go",
		"internal/paths/paths.go", "migrations/" + nextMigration(t, pristine), "models/date.go", "models/date_test.go", "models/invoice.go",
		"views/invoices.templ", "views/invoices_templ.go", "views/page.go"}
	if !slices.Equal(changed, want) {
		t.Fatalf("changed files = %v, want %v", changed, want)
	}

	code, stderr := generate(t, bin, dir, "-name", "invoice", "-fields", "number:string")
	checkRefused(t, "invoice again", code, stderr, "clashes with the existing")
	if !maps.Equal(snapshot(t, dir), scaffolded) {
		t.Fatal("the refused second invoice changed the repository")
	}

	for _, p := range changed {
		if !strings.HasSuffix(p, ".go") {
			continue
		}
		src, _ := os.ReadFile(filepath.Join(dir, p))
		if out, err := format.Source(src); err != nil || !bytes.Equal(out, src) {
			t.Errorf("%s is not gofmt-formatted (%v)", p, err)
		}
		if bytes.Contains(src, []byte("TODO")) {
			t.Errorf("%s has a TODO", p)
		}
	}
	checkClasses(t, dir, "views/invoices.templ")

	// vet type-checks every package and test (the build links nothing).
	repotest.Go(t, dir, nil, "vet", "./...")
	repotest.Go(t, dir, nil, "tool", "templ", "generate", "-check", "-path", "views")
	repotest.Go(t, dir, []string{"TEST_DATABASE_URL=" + testenv.ServerURL(t)}, "test", "-race", "-count=1",
		"-run", "^(TestInvoice.*|TestCrossTenantRoutes|TestDate|TestMigrationsUpDownUp)$",
		"./handlers/", "./models/", "./internal/database/")
}

// nextMigration is the migration an invoice should get in the repository
// of files: the number after the highest.
func nextMigration(t *testing.T, files map[string][32]byte) string {
	t.Helper()
	last := ""
	for p := range files {
		if m := regexp.MustCompile(`^migrations/(\d+)_`).FindStringSubmatch(p); m != nil && m[1] > last {
			last = m[1]
		}
	}
	n, err := strconv.Atoi(last)
	if err != nil {
		t.Fatalf("no migrations: %v", err)
	}
	return fmt.Sprintf("%0*d_invoices.sql", len(last), n+1)
}

// generate runs the generator in dir and returns its exit code and stderr.
func generate(t *testing.T, bin, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

func checkRefused(t *testing.T, what string, code int, stderr, want string) {
	t.Helper()
	if code != 2 || !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line with %q", what, code, stderr, want)
	}
}

// snapshot maps every file under dir to a hash of its content.
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = sha256.Sum256(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	classAttr = regexp.MustCompile(`class=(?:"([^"]*)"|\{([^}]*)\})`)
	quoted    = regexp.MustCompile(`"([^"]*)"`)
)

// checkClasses: every class the templ file names literally is in the
// built static/css/app.css, so no Tailwind rebuild is needed.
func checkClasses(t *testing.T, dir, templ string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, templ))
	if err != nil {
		t.Fatal(err)
	}
	css, err := os.ReadFile(filepath.Join(dir, "static/css/app.css"))
	if err != nil {
		t.Fatal(err)
	}
	escape := strings.NewReplacer(":", `\:`, "/", `\/`, ".", `\.`, "[", `\[`, "]", `\]`)
	for _, m := range classAttr.FindAllStringSubmatch(string(src), -1) {
		lists := []string{m[1]}
		for _, q := range quoted.FindAllStringSubmatch(m[2], -1) {
			lists = append(lists, q[1])
		}
		for _, class := range strings.Fields(strings.Join(lists, " ")) {
			if !bytes.Contains(css, []byte("."+escape.Replace(class))) {
				t.Errorf("%s uses the class %s, which static/css/app.css lacks", templ, class)
			}
		}
	}
}
