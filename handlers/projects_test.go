package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"example.com/saas/internal/apptest"
	"github.com/PuerkitoBio/goquery"
)

func testIDs(t *testing.T, body, testID string) []string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	doc.Find(`[data-testid="` + testID + `"]`).Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
	return out
}

// TestProjectPages walks the project and task pages as alice, admin of acme,
// without JavaScript: forms post, invalid input is re-rendered with 422,
// success redirects with a flash, and every write is audited.
func TestProjectPages(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "alice@example.com")

	code, body, _ := send(t, s, follow, "GET", "/orgs/acme/projects", nil)
	if code != 200 || len(testIDs(t, body, "empty-state")) != 1 {
		t.Fatalf("empty project list = %d, want the empty state", code)
	}
	code, body, _ = send(t, s, noFollow, "POST", "/orgs/acme/projects", url.Values{"name": {""}, "description": {"kept"}})
	if code != http.StatusUnprocessableEntity || len(testIDs(t, body, "error-name")) != 1 || !strings.Contains(body, ">kept</textarea>") {
		t.Errorf("invalid create = %d, want 422 with the input and a name error", code)
	}
	code, _, resp := send(t, s, noFollow, "POST", "/orgs/acme/projects", url.Values{"name": {"Website"}, "organization_id": {globexID}})
	projectURL := resp.Header.Get("Location")
	if code != http.StatusSeeOther || !strings.HasPrefix(projectURL, "/orgs/acme/projects/") {
		t.Fatalf("create = %d to %q", code, projectURL)
	}
	code, body, _ = send(t, s, follow, "GET", projectURL, nil)
	if code != 200 || len(testIDs(t, body, "flash")) != 1 || countRows(t, s, "projects", globexID) != 0 {
		t.Errorf("project page after create = %d, want 200 with a flash, nothing in globex", code)
	}

	// Tasks: add (invalid, then valid), assign, toggle, delete.
	if code, body, _ := send(t, s, noFollow, "POST", projectURL+"/tasks", url.Values{"title": {strings.Repeat("t", 201)}}); code != 422 || len(testIDs(t, body, "error-title")) != 1 {
		t.Errorf("over-long task = %d, want 422", code)
	}
	if code, _, _ := send(t, s, noFollow, "POST", projectURL+"/tasks", url.Values{"title": {"Design"}}); code != http.StatusSeeOther {
		t.Fatalf("add task = %d", code)
	}
	var taskID string
	s.DB.Raw("SELECT id::text FROM tasks WHERE organization_id = ?", acmeID).Scan(&taskID)
	taskURL := projectURL + "/tasks/" + taskID
	if code, _, _ := send(t, s, noFollow, "POST", taskURL+"/assign", url.Values{"assignee_id": {bobID}}); code != http.StatusSeeOther {
		t.Errorf("assign to bob = %d", code)
	}
	if code, _, _ := send(t, s, noFollow, "POST", taskURL+"/assign", url.Values{"assignee_id": {carolID}}); code != http.StatusUnprocessableEntity {
		t.Errorf("assign to carol (not in acme) = %d, want 422", code)
	}
	if code, _, _ := send(t, s, noFollow, "POST", taskURL+"/toggle", nil); code != http.StatusSeeOther {
		t.Errorf("toggle = %d", code)
	}
	code, body, _ = send(t, s, follow, "GET", projectURL, nil)
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
	item := doc.Find(`[data-testid="task-item"]`)
	if done, _ := item.Attr("data-done"); code != 200 || done != "true" || item.Find(`option[selected][value="`+bobID+`"]`).Length() != 1 {
		t.Errorf("task after toggle and assign: done=%q, assigned to bob: %d", done, item.Find(`option[selected][value="`+bobID+`"]`).Length())
	}

	// htmx gets the task list alone.
	req, _ := http.NewRequest("POST", s.URL+taskURL+"/toggle", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("Origin", s.URL)
	if resp, err := noFollow.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("htmx toggle = %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}

	if code, _, _ := send(t, s, noFollow, "POST", taskURL+"/delete", nil); code != http.StatusSeeOther || liveTasks(t, s, acmeID) != 0 {
		t.Errorf("delete task = %d", code)
	}

	// Edit: invalid status re-renders, valid saves.
	if code, _, _ := send(t, s, follow, "GET", projectURL+"/edit", nil); code != 200 {
		t.Errorf("edit form = %d", code)
	}
	if code, _, _ := send(t, s, noFollow, "POST", projectURL+"/edit", url.Values{"name": {"Site"}, "status": {"deleted"}}); code != 422 {
		t.Errorf("invalid status = %d, want 422", code)
	}
	if code, _, _ := send(t, s, noFollow, "POST", projectURL+"/edit", url.Values{"name": {"Site"}, "status": {"archived"}}); code != http.StatusSeeOther {
		t.Errorf("save = %d", code)
	}
	code, body, _ = send(t, s, follow, "GET", "/orgs/acme/projects?q=sit", nil)
	if names := testIDs(t, body, "project-item"); code != 200 || len(names) != 1 || !strings.Contains(names[0], "Site") {
		t.Errorf("search ?q=sit = %d %v", code, names)
	}
	if _, body, _ := send(t, s, follow, "GET", "/orgs/acme/projects?q=zzz", nil); len(testIDs(t, body, "project-item")) != 0 {
		t.Error("search ?q=zzz found projects")
	}

	// The dashboard counts and shows the activity; then delete with confirmation.
	code, body, _ = send(t, s, follow, "GET", "/orgs/acme", nil)
	if got := testIDs(t, body, "stat-projects"); code != 200 || len(got) != 1 || got[0] != "1" {
		t.Errorf("dashboard projects stat = %v (%d)", got, code)
	}
	if code, _, _ := send(t, s, follow, "GET", projectURL+"/delete", nil); code != 200 {
		t.Errorf("confirm page = %d", code)
	}
	if code, _, resp := send(t, s, noFollow, "POST", projectURL+"/delete", nil); code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs/acme/projects" {
		t.Errorf("delete = %d", code)
	}
	if _, body, _ := send(t, s, follow, "GET", "/orgs/acme/projects", nil); !strings.Contains(strings.Join(testIDs(t, body, "flash"), ""), "Deleted project “") {
		t.Errorf("flash after deleting = %q, want it to name the project", testIDs(t, body, "flash"))
	}
	if code, _, _ := send(t, s, follow, "GET", projectURL, nil); code != http.StatusNotFound {
		t.Errorf("deleted project = %d, want 404", code)
	}
	if code, _, _ := send(t, s, follow, "GET", "/orgs/acme/projects/not-a-uuid", nil); code != http.StatusNotFound {
		t.Errorf("invalid id = %d, want 404", code)
	}
	// project.created, task.created, task.assigned, task.completed, task.reopened (htmx), task.deleted, project.updated, project.deleted
	if n := countRows(t, s, "audit_events", acmeID); n != 8 {
		t.Errorf("audit events = %d, want 8", n)
	}
}
