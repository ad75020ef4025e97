package handlers

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// storable is what every accepted text value must be: valid UTF-8 without
// NUL, which Postgres would refuse with a 500.
func storable(t *testing.T, field, s string, max int) {
	t.Helper()
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || utf8.RuneCountInString(s) > max {
		t.Fatalf("%s %q accepted but not storable", field, s)
	}
}

func FuzzProjectForm(f *testing.F) {
	f.Add("Website", "Relaunch", "active")
	f.Add("", "", "")
	f.Add("<script>alert(1)</script>", "x\x00y", "archived")
	f.Add(strings.Repeat("é", 101), "\xff", "deleted")
	f.Fuzz(func(t *testing.T, name, description, status string) {
		form := projectForm{Name: name, Description: description, Status: status}
		if len(form.Validate()) > 0 {
			return
		}
		storable(t, "name", name, 100)
		storable(t, "description", description, 2000)
		if status != "active" && status != "archived" {
			t.Fatalf("status %q accepted", status)
		}
	})
}

func FuzzOrgForm(f *testing.F) {
	f.Add("Acme Inc")
	f.Add("")
	f.Add("\u202eevil")
	f.Fuzz(func(t *testing.T, name string) {
		if len((orgForm{Name: name}).Validate()) == 0 {
			storable(t, "name", name, 100)
		}
	})
}

func FuzzTaskTitle(f *testing.F) {
	f.Add("Write the launch post")
	f.Add("a\nb")
	f.Fuzz(func(t *testing.T, title string) {
		if taskTitleErr(title) == "" {
			storable(t, "title", title, 200)
			if strings.ContainsAny(title, "\n\r") {
				t.Fatalf("multi-line title %q accepted", title)
			}
		}
	})
}
