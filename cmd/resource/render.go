package main

import (
	"bytes"
	"embed"
	"fmt"
	"go/format"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"text/template"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.tmpl"))

// file is one file to write: a new one, or the new content of an existing
// one (a scaffold marker's insertion).
type file struct {
	path    string // slash-separated, relative to the repository
	data    []byte
	created bool
}

// output is every file of one resource, rendered and formatted.
type output struct {
	files []file
	// generated are the templ views the written .templ files become.
	generated []string
}

func (o output) paths() []string {
	var out []string
	for _, f := range o.files {
		out = append(out, f.path)
	}
	return append(out, o.generated...)
}

// render renders every file of r in memory: Go formatted as gofmt does,
// templ as templ fmt does, markers' insertions made. A template that
// renders invalid code is an error here, before anything is written.
func render(repo *repository, r Resource) (output, error) {
	var out output
	add := func(tmpl, p string) error {
		var buf bytes.Buffer
		if err := templates.ExecuteTemplate(&buf, tmpl, r); err != nil {
			return fmt.Errorf("render %s: %w", p, err)
		}
		data, err := formatFile(repo.root, p, buf.Bytes())
		if err != nil {
			return err
		}
		out.files = append(out.files, file{path: p, data: data, created: true})
		return nil
	}
	// In the order docs/architecture.md describes: each builds on the one before.
	type step struct{ tmpl, path string }
	view := "views/" + r.Plural + ".templ"
	steps := []step{
		{"migration.sql.tmpl", "migrations/" + r.Migration},
		{"model.go.tmpl", "models/" + r.Name + ".go"},
	}
	if r.Has(typeDate) {
		need, err := repo.needsDate()
		if err != nil {
			return out, err
		}
		if need {
			steps = append(steps, step{"date.go.tmpl", "models/date.go"}, step{"date_test.go.tmpl", "models/date_test.go"})
		}
	}
	steps = append(steps,
		step{"handlers.go.tmpl", "handlers/" + r.Plural + ".go"},
		step{"api.go.tmpl", "handlers/" + r.Plural + "_api.go"},
		step{"views.templ.tmpl", view},
	)
	for _, s := range steps {
		if err := add(s.tmpl, s.path); err != nil {
			return out, err
		}
	}
	out.generated = []string{strings.TrimSuffix(view, ".templ") + "_templ.go"}

	edited, err := applyMarkerEdits(repo, markerEdits(r))
	if err != nil {
		return out, err
	}
	out.files = append(out.files, edited...)
	if err := add("handlers_test.go.tmpl", "handlers/"+r.Plural+"_test.go"); err != nil {
		return out, err
	}
	return out, nil
}

// formatFile formats Go with go/format (gofmt's own code) and templ with
// `go tool templ fmt`, reading standard input, so nothing touches the disk.
func formatFile(root, p string, src []byte) ([]byte, error) {
	switch path.Ext(p) {
	case ".go":
		out, err := format.Source(src)
		if err != nil {
			return nil, fmt.Errorf("format %s: %w", p, err)
		}
		return out, nil
	case ".templ":
		cmd := exec.Command("go", "tool", "templ", "fmt")
		cmd.Dir = root
		cmd.Stdin = bytes.NewReader(src)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("templ fmt %s: %v: %s", p, err, strings.TrimSpace(stderr.String()))
		}
		return stdout.Bytes(), nil
	default:
		return src, nil
	}
}

// funcs are the templates' helpers: the per-type parts of each file.
var funcs = template.FuncMap{
	"stringMax":  func() int { return stringMax },
	"textMax":    func() int { return textMax },
	"overLong":   func() int { return stringMax + 1 },
	"lowerCamel": lowerCamel,
	"column":     column,
	"goType": func(f Field) string {
		return map[string]string{typeString: "string", typeText: "string", typeInt: "int64", typeBool: "bool", typeDate: "Date"}[f.Type]
	},
	"formType": func(f Field) string {
		if f.Type == typeBool {
			return "bool"
		}
		return "string"
	},
	"itemType": func(f Field) string {
		switch f.Type {
		case typeBool:
			return "bool"
		case typeText:
			return "[]string" // lines, shown as paragraphs
		default:
			return "string"
		}
	},
	"inputType": func(f Field) string {
		return map[string]string{typeString: "string", typeText: "string", typeInt: "int64", typeBool: "bool", typeDate: "string"}[f.Type]
	},
	"valueOf": valueOf,
	"ddClass": func(f Field) string {
		if f.Type == typeText {
			return "mt-1 space-y-2 break-words"
		}
		return "mt-1 break-words"
	},
	"formSample": func(f Field) string { return strconv.Quote(sample(f).form) },
	"jsonSample": func(f Field) string { return sample(f).json },
	"jsonWant":   func(f Field) string { return sample(f).want },
	"showSample": func(f Field) string { return sample(f).shown },
}

// column is a field's SQL column definition; the limits match Validate.
func column(f Field) string {
	switch f.Type {
	case typeString:
		if f.Title {
			return fmt.Sprintf("text NOT NULL CHECK (length(%s) BETWEEN 1 AND %d)", f.Name, stringMax)
		}
		return fmt.Sprintf("text NOT NULL DEFAULT '' CHECK (length(%s) <= %d)", f.Name, stringMax)
	case typeText:
		return fmt.Sprintf("text NOT NULL DEFAULT '' CHECK (length(%s) <= %d)", f.Name, textMax)
	case typeInt:
		return "bigint NOT NULL DEFAULT 0"
	case typeBool:
		return "boolean NOT NULL DEFAULT false"
	default:
		return "date"
	}
}

// valueOf is the templ markup showing field f of the item expression x:
// booleans as badges, long text as paragraphs (their data-testid is
// testID-line), empty optional values as a muted dash.
func valueOf(f Field, x, testID string) string {
	v := x + "." + f.Go
	switch {
	case f.Type == typeBool:
		return "\nif " + v + " {\n@Badge(\"Yes\", \"green\")\n} else {\n@Badge(\"No\", \"\")\n}\n"
	case f.Title || f.Type == typeInt:
		return "{ " + v + " }"
	case f.Type == typeText:
		return "\nfor _, line := range " + v + " {\n<p data-testid=\"" + testID + "-line\">{ line }</p>\n}\nif len(" + v + ") == 0 {\n<span class={ mutedText }>—</span>\n}\n"
	default:
		return "\nif " + v + " != \"\" {\n{ " + v + " }\n} else {\n<span class={ mutedText }>—</span>\n}\n"
	}
}

// sampleValue is a valid value of a field as the generated tests use it:
// posted in a form, sent and expected in JSON, and shown on the page.
type sampleValue struct {
	form, json, want, shown string
}

func sample(f Field) sampleValue {
	switch f.Type {
	case typeInt:
		return sampleValue{"42", "42", "42.0", "42"}
	case typeBool:
		return sampleValue{"true", "true", "true", "Yes"}
	case typeDate:
		return sampleValue{"2026-01-31", `"2026-01-31"`, `"2026-01-31"`, "Jan 31, 2026"}
	case typeText:
		s := "Line one\nLine two"
		return sampleValue{s, strconv.Quote(s), strconv.Quote(s), s}
	default:
		s := "Sample " + f.Lower()
		return sampleValue{s, strconv.Quote(s), strconv.Quote(s), s}
	}
}
