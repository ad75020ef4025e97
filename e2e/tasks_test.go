package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"example.com/saas/internal/apptest"
)

// acmeOrgID is Acme's id in the emulator's seed (internal/clerkdev/seed.go).
const acmeOrgID = "org_2acme0000000000000000000000"

// seedTasks adds n tasks ("Task 001"…) to a project in one statement, a
// second apart, oldest first: many tasks without as many form posts.
func seedTasks(t *testing.T, s *apptest.Stack, projectPath string, n int) {
	t.Helper()
	id := projectPath[strings.LastIndex(projectPath, "/")+1:]
	err := s.DB.Exec(`INSERT INTO tasks (organization_id, project_id, title, created_at, updated_at)
		SELECT ?, ?, format('Task %s', lpad(g::text, 3, '0')), now() - (1000 - g) * interval '1 second', now()
		FROM generate_series(1, ?) g`, acmeOrgID, id, n).Error
	if err != nil {
		t.Fatal(err)
	}
}

// taskIndex is the position of the row titled title among the rows, -1
// when it is not listed.
func taskIndex(tab *Tab, title string) int {
	return slices.Index(tab.Texts(tid("task-item")+" "+tid("task-title")), title)
}

// rowOf is a selector for the row titled title.
func rowOf(t *testing.T, tab *Tab, title string) string {
	t.Helper()
	id := Eval[string](tab, `(Array.from(document.querySelectorAll('[data-testid="task-item"]'))
		.find(li => li.querySelector('[data-testid="task-title"]')?.innerText.trim() === `+jsString(title)+`) || {}).id || ""`)
	if id == "" {
		t.Fatalf("%s: no task %q in %q", tab.name, title, tab.Texts(tid("task-title")))
	}
	return "#" + id
}

// TestTasksLoadMoreReachesEveryTask: a project of 130 tasks counts all of
// them and shows them 50 at a time; "Load more" appends the next rows in
// place, without leaving the page, until every one of the 130 is listed.
func TestTasksLoadMoreReachesEveryTask(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	signIn(t, tab, "alice@example.com", "/orgs/acme")
	project := createProject(t, tab, "acme", "Big launch", "Many steps.")
	seedTasks(t, s, project, 130)
	tab.Open(project)

	if got := tab.Text(tid("task-progress")); got != "0 of 130 done" {
		t.Errorf("progress = %q, want 0 of 130 done", got)
	}
	for _, want := range []int{50, 100, 130} {
		tab.WaitTrue(fmt.Sprintf(`document.querySelectorAll(%s).length === %d`, jsString(tid("task-item")), want))
		if want < 130 {
			tab.ClickInPlace(tid("task-more"))
		}
	}
	if n := tab.Count(tid("task-more")); n != 0 {
		t.Errorf("Load more still offered after the last page")
	}
	titles := tab.Texts(tid("task-title"))
	for i, title := range titles {
		if want := fmt.Sprintf("Task %03d", i+1); title != want {
			t.Fatalf("row %d = %q, want %q: every task once, in order", i, title, want)
		}
	}
	if tab.Path() != project || strings.Contains(tab.URL(), "after=") {
		t.Errorf("Load more left the page for %s", tab.URL())
	}
	if got := tab.Text(tid("task-progress")); got != "0 of 130 done" {
		t.Errorf("progress after loading every page = %q", got)
	}
}

// TestTasksInPlace: adding, editing, toggling, assigning and deleting
// tasks happen in place: the focus stays where the next keystroke goes, a
// control in flight is disabled and busy, Undo restores a deleted task in
// its place, and a task deleted elsewhere is reported and taken off.
func TestTasksInPlace(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	b := NewBrowser(t, s.URL, s.EmuURL)
	tab := b.Tab()
	signIn(t, tab, "alice@example.com", "/orgs/acme")
	project := createProject(t, tab, "acme", "Website", "The relaunch.")

	// Three tasks typed in a row, each ended with Enter: the title field
	// keeps the focus and comes back empty, the page stays.
	title := tid("task-form") + ` input[name="title"]`
	tab.Fill(title, "")
	for i, name := range []string{"Draft the copy", "Pick a palette", "Book the photographer"} {
		if i > 0 && !Eval[bool](tab, `document.activeElement && document.activeElement.matches(`+jsString(title)+`)`) {
			t.Fatalf("before %q the focus is on %s, want the title field", name, Eval[string](tab, `document.activeElement.outerHTML.slice(0, 120)`))
		}
		tab.Do("type "+name, chromedp.KeyEvent(name+kb.Enter))
		tab.WaitTrue(fmt.Sprintf(`document.querySelectorAll(%s).length === %d`, jsString(tid("task-item")), i+1))
		tab.WaitTrue(`document.activeElement && document.activeElement.matches(` + jsString(title) + `) && document.activeElement.value === ""`)
	}
	if got := tab.Texts(tid("task-title")); !slices.Equal(got, []string{"Draft the copy", "Pick a palette", "Book the photographer"}) {
		t.Errorf("tasks = %q", got)
	}
	if got := tab.Text(tid("task-progress")); got != "0 of 3 done" {
		t.Errorf("progress = %q, want 0 of 3 done", got)
	}
	if tab.Path() != project || tab.URL() != s.URL+project {
		t.Errorf("adding tasks moved the page to %s", tab.URL())
	}

	// An empty title: 422, the error shown in place at the field.
	tab.allowStatus(422)
	tab.Do("submit an empty title", chromedp.KeyEvent(kb.Enter))
	tab.WaitVisible(tid("error-title"))
	if got := tab.Attr(title, "aria-invalid"); got != "true" || !strings.Contains(tab.Attr(title, "aria-describedby"), "error-title") {
		t.Errorf("invalid title field aria-invalid=%q aria-describedby=%q", got, tab.Attr(title, "aria-describedby"))
	}
	if tab.URL() != s.URL+project || tab.Count(tid("task-item")) != 3 {
		t.Errorf("an invalid title moved to %s or added a row", tab.URL())
	}

	// A toggle in flight: its button is disabled and busy until the answer.
	paused := make(chan fetch.RequestID, 1)
	if err := chromedp.Listen(tab.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- e.RequestID:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	Call(tab, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/toggle"}}})
	row := rowOf(t, tab, "Pick a palette")
	tab.ClickInPlace(row + " " + tid("task-toggle"))
	var id fetch.RequestID
	select {
	case id = <-paused:
	case <-time.After(waitTimeout):
		t.Fatal("the toggle request was not sent")
	}
	button := `document.querySelector(` + jsString(row+" "+tid("task-toggle")) + `)`
	if !Eval[bool](tab, button+`.disabled`) || Eval[string](tab, button+`.getAttribute("aria-busy")`) != "true" {
		t.Errorf("while the toggle is in flight: disabled=%v aria-busy=%q", Eval[bool](tab, button+`.disabled`), Eval[string](tab, button+`.getAttribute("aria-busy")`))
	}
	Call(tab, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id})
	tab.WaitVisible(row + `[data-done="true"]`)
	if Eval[bool](tab, button+`.disabled`) || Eval[bool](tab, button+`.hasAttribute("aria-busy")`) {
		t.Error("the toggle button is still disabled or busy after the answer")
	}
	Call(tab, fetch.Disable, struct{}{})
	if got := tab.Text(tid("task-progress")); got != "1 of 3 done" {
		t.Errorf("progress after the toggle = %q, want 1 of 3 done", got)
	}

	// The assignee saves on change; the Assign button is for no-JS only.
	if n := Eval[int](tab, `document.querySelectorAll('[data-testid="task-assign"]').length`); n != 0 {
		t.Errorf("%d Assign buttons with JavaScript on", n)
	}
	row = rowOf(t, tab, "Draft the copy")
	bob := Eval[string](tab, `Array.from(document.querySelector(`+jsString(row+" "+tid("task-assignee"))+`).options).find(o => o.text.includes("Bob")).value`)
	tab.Do("choose Bob", chromedp.SetValue(chromedp.CSS(row+" "+tid("task-assignee")), bob),
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(row+" "+tid("task-assignee"))+`).dispatchEvent(new Event("change", {bubbles: true}))`))
	waitSaved := func() string {
		var got string
		for range 100 {
			s.DB.Raw("SELECT coalesce(assignee_id, '') FROM tasks WHERE title = 'Draft the copy'").Scan(&got)
			if got == bob {
				break
			}
			time.Sleep(30 * time.Millisecond)
		}
		return got
	}
	if got := waitSaved(); got != bob {
		t.Errorf("assignee after the change = %q, want %q", got, bob)
	}

	// Inline edit: Enter saves, Escape cancels.
	row = rowOf(t, tab, "Book the photographer")
	tab.ClickInPlace(row + " " + tid("task-edit"))
	input := row + " " + tid("task-title-input")
	tab.WaitVisible(input)
	tab.WaitTrue(`document.activeElement && document.activeElement.matches(` + jsString(input) + `)`)
	tab.Do("rename", chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`), chromedp.KeyEvent("Book the venue"+kb.Enter))
	tab.WaitVisible(row + " " + tid("task-edit"))
	if got := tab.Text(row + " " + tid("task-title")); got != "Book the venue" {
		t.Errorf("title after the inline edit = %q", got)
	}
	tab.ClickInPlace(row + " " + tid("task-edit"))
	tab.WaitVisible(input)
	tab.Do("type and escape", chromedp.KeyEvent(" later"), chromedp.KeyEvent(kb.Escape))
	tab.WaitVisible(row + " " + tid("task-edit"))
	if got := tab.Text(row + " " + tid("task-title")); got != "Book the venue" {
		t.Errorf("title after Escape = %q, want it unchanged", got)
	}

	// Delete, then Undo: the task is back in its place.
	at := taskIndex(tab, "Pick a palette")
	row = rowOf(t, tab, "Pick a palette")
	tab.ClickInPlace(row + " " + tid("task-delete"))
	tab.WaitVisible(tid("toast-undo"))
	if got := tab.Text(tid("toasts")); !strings.Contains(got, "Deleted task “Pick a palette”.") {
		t.Errorf("toast = %q", got)
	}
	if taskIndex(tab, "Pick a palette") != -1 || tab.Text(tid("task-progress")) != "0 of 2 done" {
		t.Errorf("after delete: rows %q, progress %q", tab.Texts(tid("task-title")), tab.Text(tid("task-progress")))
	}
	tab.ClickInPlace(tid("toast-undo"))
	tab.WaitVisible(row + " " + tid("task-title"))
	if got := taskIndex(tab, "Pick a palette"); got != at || tab.Attr(row, "data-done") != "true" {
		t.Errorf("after Undo the task is at %d (done %q), want at %d, done", got, tab.Attr(row, "data-done"), at)
	}
	if got := tab.Text(tid("task-progress")); got != "1 of 3 done" {
		t.Errorf("progress after Undo = %q", got)
	}
	tab.WaitTrue(`!document.querySelector('[data-testid="toast-undo"]')`)

	// Deleted in another tab: the toggle here is a 404, said in a toast,
	// and the row goes, the list fetched again.
	other := b.NewTab()
	other.Open(project)
	other.ClickInPlace(rowOf(t, other, "Draft the copy") + " " + tid("task-delete"))
	other.WaitVisible(tid("toast-undo"))
	tab.allowStatus(404)
	tab.AllowLog(`Response Status Error Code 404 from .*/toggle`) // htmx's own report of it
	tab.ClickInPlace(rowOf(t, tab, "Draft the copy") + " " + tid("task-toggle"))
	tab.WaitVisible(tid("toasts") + ` [data-kind="error"]`)
	if got := tab.Text(tid("toasts") + ` [data-kind="error"]`); !strings.Contains(got, "could not find") {
		t.Errorf("error toast = %q", got)
	}
	tab.WaitTrue(`!Array.from(document.querySelectorAll('[data-testid="task-title"]')).some(e => e.innerText.trim() === "Draft the copy")`)
	tab.WaitTrue(`document.querySelector('[data-testid="task-progress"]').innerText.trim() === "1 of 2 done"`)
}
