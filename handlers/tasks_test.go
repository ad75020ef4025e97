package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/paths"
)

// liveTasks counts the organization's tasks that are not deleted.
func liveTasks(t *testing.T, s *apptest.Stack, orgID string) int64 {
	t.Helper()
	var n int64
	if err := s.DB.Raw("SELECT count(*) FROM tasks WHERE organization_id = ? AND deleted_at IS NULL", orgID).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// hxSend is send as htmx sends: HX-Request, and the page it came from.
func hxSend(t *testing.T, s *apptest.Stack, c *http.Client, method, path string, form url.Values) (int, string, *http.Response) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Current-URL", s.URL+"/orgs/acme/projects")
	req.Header.Set("Origin", s.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp
}

// seedTasks adds n tasks to acme's project, a second apart, the first done
// of them done, in one statement; it returns their ids oldest first.
func seedTasks(t *testing.T, s *apptest.Stack, projectID string, n, done int) []string {
	t.Helper()
	err := s.DB.Exec(`INSERT INTO tasks (organization_id, project_id, title, done, created_at, updated_at)
		SELECT ?, ?, format('Task %s', lpad(g::text, 3, '0')), g <= ?, now() - (1000 - g) * interval '1 second', now()
		FROM generate_series(1, ?) g`, acmeID, projectID, done, n).Error
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	s.DB.Raw("SELECT id::text FROM tasks WHERE project_id = ? ORDER BY created_at, id", projectID).Scan(&ids)
	return ids
}

// newProject creates an acme project through the API and returns its id.
func newProject(t *testing.T, s *apptest.Stack, name string) string {
	t.Helper()
	var p apiProject
	if code, raw := apiCall(t, s, apiToken(t, s, aliceID, acmeID), "POST", "/api/v1/projects", map[string]any{"name": name}, &p); code != 201 {
		t.Fatalf("create project: %d %s", code, raw)
	}
	return p.ID
}

// rowIDs are the ids of the task rows in body, in order.
func rowIDs(t *testing.T, body string) []string {
	t.Helper()
	var ids []string
	doc(t, body).Find(`[data-testid="task-item"]`).Each(func(_ int, s *goquery.Selection) {
		ids = append(ids, strings.TrimPrefix(s.AttrOr("id", ""), "task-"))
	})
	return ids
}

// TestTaskPagination: a project of 130 tasks shows them 50 at a time; the
// counts and the delete question count all 130; "Load more" (htmx) and its
// link (no JavaScript) reach every task once, in order; a task added
// between two pages is answered at once and not listed again.
func TestTaskPagination(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, _ := s.SignedIn(t, "alice@example.com")
	projectID := newProject(t, s, "Big")
	want := seedTasks(t, s, projectID, 130, 3)
	project := paths.Project("acme", projectID)

	code, body, _ := send(t, s, follow, "GET", project, nil)
	if got := testIDs(t, body, "task-progress"); code != 200 || len(got) != 1 || got[0] != "3 of 130 done" {
		t.Fatalf("project page = %d, progress %q, want 3 of 130 done", code, got)
	}
	if _, body, _ := send(t, s, follow, "GET", paths.DeleteProject("acme", projectID), nil); !strings.Contains(strings.Join(strings.Fields(doc(t, body).Find(`[data-testid="delete-question"]`).Text()), " "), "Delete Big and its 130 tasks?") {
		t.Errorf("delete question = %q", doc(t, body).Find(`[data-testid="delete-question"]`).Text())
	}

	// Without JavaScript: each page links to the next.
	var seen []string
	for page := body; ; {
		seen = append(seen, rowIDs(t, page)...)
		d := doc(t, page)
		after, ok := d.Find(`[data-testid="task-more"]`).Closest("form").Find(`input[name="after"]`).Attr("value")
		if !ok {
			break
		}
		code, page, _ = send(t, s, follow, "GET", project+"?after="+url.QueryEscape(after), nil)
		if code != 200 || len(testIDs(t, page, "task-first")) != 1 {
			t.Fatalf("page after %s = %d, want 200 with a way back to the first", after, code)
		}
	}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("no-JS pages listed %d tasks, want all 130 in order", len(seen))
	}

	// With htmx: the first page, then a task added, then "Load more" to
	// the end, each page the rows and the next "Load more".
	first := rowIDs(t, body)
	_, form, _ := hxSend(t, s, follow, "POST", paths.Tasks("acme", projectID), url.Values{"title": {"Added late"}})
	added := rowIDs(t, form)
	if len(first) != 50 || len(added) != 1 || !strings.Contains(form, `id="task-rows" hx-swap-oob="beforeend"`) || !strings.Contains(form, "3 of 131 done") {
		t.Fatalf("first page %d rows; htmx add answered %d rows: %.300s", len(first), len(added), form)
	}
	seen = first
	next := doc(t, body).Find(`[data-testid="task-more"]`).AttrOr("hx-get", "")
	for next != "" {
		code, page, _ := hxSend(t, s, follow, "GET", next, nil)
		if code != 200 || strings.Contains(page, "<html") {
			t.Fatalf("load more %s = %d", next, code)
		}
		seen = append(seen, rowIDs(t, page)...)
		next = doc(t, page).Find(`[data-testid="task-more"]`).AttrOr("hx-get", "")
	}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("Load more listed %d tasks (the one added %v among them?), want the 130 in order", len(seen), strings.Contains(strings.Join(seen, ","), added[0]))
	}

	// The list alone (fetched again when a row is gone) counts all rows too.
	if code, list, _ := hxSend(t, s, follow, "GET", paths.Tasks("acme", projectID), nil); code != 200 || !strings.HasPrefix(list, `<div id="task-list"`) || !strings.Contains(list, "3 of 131 done") {
		t.Errorf("task list fragment = %d %.200s", code, list)
	}
	if code, _, _ := send(t, s, follow, "GET", project+"?after=bogus", nil); code != http.StatusBadRequest {
		t.Errorf("a made-up cursor = %d, want 400", code)
	}
}

// TestTaskTitleEdit: the title form opens in the row (htmx) or as a page;
// a valid title is saved and audited, an invalid one is answered 422 with
// the field error and writes nothing, another tenant's task is a 404.
func TestTaskTitleEdit(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "alice@example.com")
	projectID := newProject(t, s, "Site")
	taskID := seedTasks(t, s, projectID, 1, 0)[0]
	edit := paths.EditTask("acme", projectID, taskID)
	title := func() string {
		var got string
		s.DB.Raw("SELECT title FROM tasks WHERE id = ?", taskID).Scan(&got)
		return got
	}

	code, body, _ := hxSend(t, s, follow, "GET", edit, nil)
	if code != 200 || doc(t, body).Find(`[data-testid="task-title-input"][value="Task 001"][autofocus]`).Length() != 1 || doc(t, body).Find("[data-inline-cancel]").AttrOr("hx-get", "") != paths.Task("acme", projectID, taskID) {
		t.Fatalf("inline edit = %d %.300s", code, body)
	}
	if code, body, _ := send(t, s, follow, "GET", edit, nil); code != 200 || len(testIDs(t, body, "task-edit-page-form")) != 1 {
		t.Errorf("edit page = %d", code)
	}
	audits := countRows(t, s, "audit_events", acmeID)
	for _, bad := range []string{"", "   ", strings.Repeat("x", 201), "tab\there"} {
		code, body, _ := hxSend(t, s, noFollow, "POST", edit, url.Values{"title": {bad}})
		input := doc(t, body).Find(`[data-testid="task-title-input"]`)
		if code != http.StatusUnprocessableEntity || input.AttrOr("aria-invalid", "") != "true" || input.AttrOr("aria-describedby", "") != "error-title-"+taskID ||
			!strings.Contains(input.AttrOr("class", ""), "input-invalid") || len(testIDs(t, body, "error-title-"+taskID)) != 1 {
			t.Errorf("title %q = %d %.300s, want 422 with the field error", bad, code, body)
		}
	}
	if code, body, _ := send(t, s, noFollow, "POST", edit, url.Values{"title": {""}}); code != 422 || len(testIDs(t, body, "error-title")) != 1 {
		t.Errorf("no-JS empty title = %d, want 422 with the error", code)
	}
	if got := title(); got != "Task 001" || countRows(t, s, "audit_events", acmeID) != audits {
		t.Fatalf("after invalid titles: %q, %d audit events more", got, countRows(t, s, "audit_events", acmeID)-audits)
	}

	code, body, _ = hxSend(t, s, noFollow, "POST", edit, url.Values{"title": {"  Write the copy  "}})
	row := doc(t, body).Find(`[data-testid="task-item"]`)
	if code != 200 || strings.TrimSpace(row.Find(`[data-testid="task-title"]`).Text()) != "Write the copy" || row.Find(`[data-testid="task-edit"][autofocus]`).Length() != 1 || title() != "Write the copy" {
		t.Errorf("save = %d %.300s", code, body)
	}
	var summary string
	s.DB.Raw("SELECT summary FROM audit_events WHERE organization_id = ? AND action = 'task.updated' AND target_id = ?", acmeID, taskID).Scan(&summary)
	if summary != `Renamed task "Task 001" to "Write the copy"` {
		t.Errorf("audit summary = %q", summary)
	}
	if code, _, resp := send(t, s, noFollow, "POST", edit, url.Values{"title": {"Copy"}}); code != http.StatusSeeOther || resp.Header.Get("Location") != paths.Project("acme", projectID) || title() != "Copy" {
		t.Errorf("no-JS save = %d", code)
	}
	if code, body, _ := hxSend(t, s, follow, "GET", paths.Task("acme", projectID, taskID), nil); code != 200 || len(rowIDs(t, body)) != 1 {
		t.Errorf("row (Cancel) = %d", code)
	}

	// Carol, of globex only, aims at acme's task from her organization.
	carol, _ := s.SignedIn(t, "carol@example.com")
	for _, slug := range []string{"globex", "acme"} {
		for _, form := range []url.Values{{"title": {"Hijacked"}}, {"title": {""}}} {
			if code, _, _ := hxSend(t, s, carol, "POST", paths.EditTask(slug, projectID, taskID), form); code != http.StatusNotFound {
				t.Errorf("carol's edit under %s (%q) = %d, want 404", slug, form.Get("title"), code)
			}
		}
	}
	if got := title(); got != "Copy" {
		t.Errorf("carol changed the title to %q", got)
	}
}

// taskRow is every column of a task, as text, to compare a restored task
// with what it was.
func taskRow(t *testing.T, s *apptest.Stack, id string) string {
	t.Helper()
	var row string
	s.DB.Raw("SELECT (to_jsonb(x) - 'deleted_at')::text FROM tasks x WHERE id = ?", id).Scan(&row)
	return row
}

// TestTaskDeleteAndRestore: a deleted task leaves lists and counts, the
// answer offers Undo in a toast naming it, and the restore brings back the
// very same row (id, place, assignee, state, timestamps); both are
// audited. Another tenant cannot restore it.
func TestTaskDeleteAndRestore(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "alice@example.com")
	projectID := newProject(t, s, "Site")
	ids := seedTasks(t, s, projectID, 3, 1)
	s.DB.Exec("UPDATE tasks SET assignee_id = ?, title = 'Café “menu”' WHERE id = ?", bobID, ids[1])
	s.DB.Exec("UPDATE tasks SET done = true WHERE id = ?", ids[1])
	before := taskRow(t, s, ids[1])
	project := paths.Project("acme", projectID)

	code, body, resp := hxSend(t, s, noFollow, "POST", paths.DeleteTask("acme", projectID, ids[1]), url.Values{})
	var trigger struct {
		Toast struct{ Kind, Message, UndoURL, UndoTarget string } `json:"app:toast"`
	}
	if err := json.Unmarshal([]byte(resp.Header.Get("HX-Trigger")), &trigger); err != nil || code != 200 {
		t.Fatalf("delete = %d, HX-Trigger %q: %v", code, resp.Header.Get("HX-Trigger"), err)
	}
	restore := paths.RestoreTask("acme", projectID, ids[1])
	if trigger.Toast.Message != "Deleted task “Café “menu””." || trigger.Toast.UndoURL != restore || trigger.Toast.UndoTarget != "#task-"+ids[1] {
		t.Errorf("toast = %+v", trigger.Toast)
	}
	if len(testIDs(t, body, "task-deleted")) != 1 || !strings.Contains(body, "1 of 2 done") {
		t.Errorf("delete answer %.300s, want the placeholder and 1 of 2 done", body)
	}
	if _, page, _ := send(t, s, follow, "GET", project, nil); strings.Join(rowIDs(t, page), ",") != ids[0]+","+ids[2] {
		t.Errorf("after delete the page lists %v", rowIDs(t, page))
	}
	if code, _, _ := hxSend(t, s, noFollow, "POST", paths.ToggleTask("acme", projectID, ids[1]), url.Values{}); code != http.StatusNotFound {
		t.Errorf("toggle of the deleted task = %d, want 404", code)
	}
	if _, dash, _ := send(t, s, follow, "GET", "/orgs/acme", nil); strings.Join(testIDs(t, dash, "stat-done-tasks"), "") != "1" {
		t.Errorf("dashboard done tasks after the delete = %q, want 1", testIDs(t, dash, "stat-done-tasks"))
	}

	carol, _ := s.SignedIn(t, "carol@example.com")
	for _, slug := range []string{"globex", "acme"} {
		if code, _, _ := hxSend(t, s, carol, "POST", paths.RestoreTask(slug, projectID, ids[1]), url.Values{}); code != http.StatusNotFound {
			t.Errorf("carol's restore under %s = %d, want 404", slug, code)
		}
	}
	if liveTasks(t, s, acmeID) != 2 {
		t.Fatal("carol restored acme's task")
	}

	code, body, _ = hxSend(t, s, noFollow, "POST", restore, url.Values{})
	if code != 200 || !strings.HasPrefix(body, `<li id="task-`+ids[1]+`"`) || !strings.Contains(body, "2 of 3 done") {
		t.Errorf("restore = %d %.300s", code, body)
	}
	if after := taskRow(t, s, ids[1]); after != before {
		t.Errorf("restored task differs:\nbefore %s\nafter  %s", before, after)
	}
	if _, page, _ := send(t, s, follow, "GET", project, nil); strings.Join(rowIDs(t, page), ",") != strings.Join(ids, ",") {
		t.Errorf("after restore the page lists %v, want %v", rowIDs(t, page), ids)
	}

	// Without JavaScript: a post and a redirect with a flash naming it.
	if code, _, resp := send(t, s, noFollow, "POST", paths.DeleteTask("acme", projectID, ids[0]), nil); code != http.StatusSeeOther || resp.Header.Get("Location") != project {
		t.Errorf("no-JS delete = %d", code)
	}
	if _, page, _ := send(t, s, follow, "GET", project, nil); !strings.Contains(strings.Join(testIDs(t, page, "flash"), " "), "Deleted task “Task 001”.") {
		t.Errorf("flash after no-JS delete = %q", testIDs(t, page, "flash"))
	}
	var actions []string
	s.DB.Raw("SELECT action FROM audit_events WHERE organization_id = ? AND target_type = 'task' ORDER BY created_at, id", acmeID).Scan(&actions)
	if strings.Join(actions, ",") != "task.deleted,task.restored,task.deleted" {
		t.Errorf("audit = %v", actions)
	}
}

// TestTaskConcurrentActions: two Undos of one delete both answer the task
// and restore it once; a delete racing a toggle leaves the task deleted,
// and the toggle is either done before it (200, audited) or refused (404,
// nothing written).
func TestTaskConcurrentActions(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	_, noFollow := s.SignedIn(t, "alice@example.com")
	projectID := newProject(t, s, "Race")
	ids := seedTasks(t, s, projectID, 8, 0)
	both := func(a, b string) [2]int {
		var codes [2]int
		var wg sync.WaitGroup
		for i, path := range []string{a, b} {
			wg.Go(func() { codes[i], _, _ = hxSend(t, s, noFollow, "POST", path, url.Values{}) })
		}
		wg.Wait()
		return codes
	}

	for _, id := range ids[:4] {
		if code, _, _ := hxSend(t, s, noFollow, "POST", paths.DeleteTask("acme", projectID, id), url.Values{}); code != 200 {
			t.Fatalf("delete = %d", code)
		}
		restore := paths.RestoreTask("acme", projectID, id)
		if codes := both(restore, restore); codes != [2]int{200, 200} {
			t.Errorf("two restores = %v, want both 200", codes)
		}
	}
	var restored int64
	s.DB.Raw("SELECT count(*) FROM audit_events WHERE organization_id = ? AND action = 'task.restored'", acmeID).Scan(&restored)
	if restored != 4 || liveTasks(t, s, acmeID) != 8 {
		t.Errorf("%d restores recorded for 4 tasks, %d tasks live", restored, liveTasks(t, s, acmeID))
	}

	toggled := 0
	for _, id := range ids[4:] {
		codes := both(paths.DeleteTask("acme", projectID, id), paths.ToggleTask("acme", projectID, id))
		if codes[0] != 200 || (codes[1] != 200 && codes[1] != 404) {
			t.Errorf("delete and toggle = %v, want 200 and 200 or 404", codes)
		}
		var done bool
		s.DB.Raw("SELECT done FROM tasks WHERE id = ?", id).Scan(&done)
		if done != (codes[1] == 200) {
			t.Errorf("toggle answered %d but done = %v", codes[1], done)
		}
		if codes[1] == 200 {
			toggled++
		}
	}
	var completed int64
	s.DB.Raw("SELECT count(*) FROM audit_events WHERE organization_id = ? AND action = 'task.completed'", acmeID).Scan(&completed)
	if int(completed) != toggled || liveTasks(t, s, acmeID) != 4 {
		t.Errorf("%d completions recorded for %d toggles answered 200; %d tasks live, want 4", completed, toggled, liveTasks(t, s, acmeID))
	}
}

// TestTaskConcurrentDone: people marking one task done at the same moment
// (each from a page showing it open) leave it done, written and audited
// once; a post saying "done" of a done task changes nothing.
func TestTaskConcurrentDone(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	_, noFollow := s.SignedIn(t, "alice@example.com")
	projectID := newProject(t, s, "Together")
	id := seedTasks(t, s, projectID, 1, 0)[0]
	toggle := paths.ToggleTask("acme", projectID, id)

	const people = 6
	codes := make([]int, people)
	var wg sync.WaitGroup
	for i := range people {
		wg.Go(func() { codes[i], _, _ = hxSend(t, s, noFollow, "POST", toggle, url.Values{"done": {"true"}}) })
	}
	wg.Wait()
	for i, code := range codes {
		if code != 200 {
			t.Errorf("person %d: mark done = %d, want 200", i, code)
		}
	}
	var done bool
	var completed int64
	s.DB.Raw("SELECT done FROM tasks WHERE id = ?", id).Scan(&done)
	s.DB.Raw("SELECT count(*) FROM audit_events WHERE organization_id = ? AND action = 'task.completed' AND target_id = ?", acmeID, id).Scan(&completed)
	if !done || completed != 1 {
		t.Errorf("after %d people marked it done: done = %v, %d completions audited, want true and 1", people, done, completed)
	}

	if code, _, _ := hxSend(t, s, noFollow, "POST", toggle, url.Values{"done": {"maybe"}}); code != http.StatusBadRequest {
		t.Errorf(`done = "maybe": %d, want 400`, code)
	}
	// Without "done" (a page from before the field), the task flips.
	if code, _, _ := hxSend(t, s, noFollow, "POST", toggle, url.Values{}); code != 200 {
		t.Fatalf("flip = %d", code)
	}
	s.DB.Raw("SELECT done FROM tasks WHERE id = ?", id).Scan(&done)
	if done {
		t.Error("a toggle without done did not reopen the done task")
	}
}
