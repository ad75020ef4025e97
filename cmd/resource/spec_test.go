package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	tests := []struct {
		name, plural, goName, goPlural, variable, kebab, label string
	}{
		{"invoice", "invoices", "Invoice", "Invoices", "invoice", "invoices", "Invoice"},
		{"line_item", "line_items", "LineItem", "LineItems", "lineItem", "line-items", "Line item"},
		{"category", "categories", "Category", "Categories", "category", "categories", "Category"},
		{"day", "days", "Day", "Days", "day", "days", "Day"},
		{"box", "boxes", "Box", "Boxes", "box", "boxes", "Box"},
		{"batch", "batches", "Batch", "Batches", "batch", "batches", "Batch"},
		{"api_key", "api_keys", "APIKey", "APIKeys", "apiKey", "api-keys", "API key"},
		{"v2_report", "v2_reports", "V2Report", "V2Reports", "v2Report", "v2-reports", "V2 report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := newResource("example.com/m", tt.name, "", "title:string")
			if err != nil {
				t.Fatal(err)
			}
			got := []string{r.Plural, r.Go, r.GoPlural, r.Var, r.KebabPlural, r.Label}
			want := []string{tt.plural, tt.goName, tt.goPlural, tt.variable, tt.kebab, tt.label}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
	if r, err := newResource("example.com/m", "person", "people", "name:string"); err != nil || r.GoPlural != "People" || r.An() != "a person" {
		t.Errorf("-plural people = %+v, %v", r, err)
	}
	if r, _ := newResource("example.com/m", "invoice", "", "number:string customer_id:string"); r.Fields[1].Go != "CustomerID" || r.Fields[1].Label != "Customer ID" || r.An() != "an invoice" {
		t.Errorf("customer_id = %+v", r.Fields[1])
	}
}

func TestTitleIsFirstStringField(t *testing.T) {
	r, err := newResource("example.com/m", "invoice", "", "amount:int, number:string notes:string")
	if err != nil {
		t.Fatal(err)
	}
	if r.Title.Name != "number" || !r.Fields[1].Title || r.Fields[2].Title || len(r.Others()) != 2 {
		t.Errorf("title = %+v, fields %+v", r.Title, r.Fields)
	}
}

// TestRefusals: invalid names and fields are refusals (exit status 2), each
// explained in one line.
func TestRefusals(t *testing.T) {
	tests := []struct {
		name, plural, fields, want string
	}{
		{"", "", "a:string", "NAME is required"},
		{"Invoice", "", "a:string", "snake_case"},
		{"x", "", "a:string", "2 to 30"},
		{"in_voice_", "", "a:string", "snake_case"},
		{"project", "", "a:string", "app's own"},
		{"member", "", "a:string", "app's own"},
		{"static", "", "a:string", "app's own"},
		{"func", "", "a:string", "Go keyword"},
		{"string", "", "a:string", "predeclared"},
		{"strconv", "", "a:string", "package"},
		{"paths", "", "a:string", "package"},
		{"selection", "select", "a:string", "SQL reserved word"},
		{"bill_linux", "", "a:string", "build constraint"},
		{"bill_test", "", "a:string", "build constraint"},
		{"person", "Person", "a:string", "plural"},
		{"invoice", "", "", "FIELDS is required"},
		{"invoice", "", "number", "name:type"},
		{"invoice", "", "number:money", `unknown type "money"`},
		{"invoice", "", "Number:string", "snake_case"},
		{"invoice", "", "id:string", "reserved"},
		{"invoice", "", "organization_id:string", "reserved"},
		{"invoice", "", "created_at:date", "reserved"},
		{"invoice", "", "slug:string", "reserved"},
		{"invoice", "", "number:string select:string", "SQL reserved word"},
		{"invoice", "", "number:string number:int", "listed twice"},
		{"invoice", "", "a1:string a_1:string", "both be A1"},
		{"invoice", "", "amount:int paid:bool", "needs a string field"},
		{"invoice", "", "number:string " + strings.Repeat("n", 41) + ":int", "at most 40"},
	}
	for _, tt := range tests {
		_, err := newResource("example.com/m", tt.name, tt.plural, tt.fields)
		var ref *refusal
		if !errors.As(err, &ref) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("newResource(%q, %q, %q) = %v, want a one-line refusal with %q", tt.name, tt.plural, tt.fields, err, tt.want)
		}
	}
}

func TestInsertAtMarker(t *testing.T) {
	src := "list := []string{\n\t\"a\",\n\t// scaffold:x — above this line.\n}\n"
	got, err := insertAtMarker([]byte(src), "scaffold:x", []string{`"b",`, ""})
	want := "list := []string{\n\t\"a\",\n\t\"b\",\n\n\t// scaffold:x — above this line.\n}\n"
	if err != nil || string(got) != want {
		t.Errorf("insertAtMarker = %q, %v; want %q", got, err, want)
	}
	if _, err := insertAtMarker([]byte("no marker"), "scaffold:x", nil); err == nil {
		t.Error("a missing marker was accepted")
	}
}

// TestWriteRollsBack: when templ generate fails after the files were
// written, the new files go and the changed ones are restored.
func TestWriteRollsBack(t *testing.T) {
	root := t.TempDir()
	for p, content := range map[string]string{
		"go.mod":                 "module example.com/broken\n\ngo 1.26\n", // no templ tool: generate fails
		"handlers/routes.go":     "package handlers\n",
		"views/layout_templ.go":  "package views\n",
		"views/layout.templ":     "package views\n",
		"migrations/00001_a.sql": "-- +goose Up\n",
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := output{
		files: []file{
			{path: "models/thing.go", data: []byte("package models\n"), created: true},
			{path: "handlers/routes.go", data: []byte("package handlers // changed\n")},
		},
		generated: []string{"views/things_templ.go", "views/layout_templ.go"},
	}
	if err := (&repository{root: root}).write(out); err == nil || !strings.Contains(err.Error(), "templ generate") {
		t.Fatalf("write = %v, want templ generate to fail", err)
	}
	if _, err := os.Stat(filepath.Join(root, "models/thing.go")); err == nil {
		t.Error("the new file was left behind")
	}
	if b, _ := os.ReadFile(filepath.Join(root, "handlers/routes.go")); string(b) != "package handlers\n" {
		t.Errorf("routes.go = %q, want it restored", b)
	}
}
