package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/saas/internal/paths"
)

// Journey 1: a new visitor opens the landing page, signs up on the hosted
// page, comes back signed in with no organization, creates one, creates a
// project, adds two tasks and marks one done.
func TestNewVisitorSignsUpAndGetsToWork(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()

	if status := tab.Open("/"); status != 200 {
		t.Fatalf("landing = %d", status)
	}
	tab.WaitVisible(tid("landing"))
	assertSignedOut(t, tab)

	// Sign up on the hosted page.
	tab.Click(tid("landing") + " " + tid("sign-up"))
	onHostedPage(t, tab, "sign-up")
	email := fmt.Sprintf("nora.%d@example.com", time.Now().UnixNano())
	tab.Fill("#first_name", "Nora")
	tab.Fill("#last_name", "Newcomer")
	tab.Fill("#identifier", email)
	tab.Fill("#password", "correct-horse-42")
	if status := tab.Click(tid("sign-up-form") + " " + tid("submit")); status != 200 {
		t.Fatalf("sign-up landed on %s with %d", tab.URL(), status)
	}

	// Back in the app, signed in, with no organization yet: /app → /orgs.
	if got := tab.Path(); got != "/orgs" {
		t.Fatalf("after sign-up at %s, want /orgs (a new user has no organization)", got)
	}
	// The user reaches the app by webhook (user.created); until then the
	// menu says "Signed in".
	s.WaitForWebhooks(t)
	tab.Open("/orgs")
	assertSignedIn(t, tab, email)
	if n := tab.Count(tid("org-item")); n != 0 {
		t.Errorf("a new user's organization list has %d entries, want 0", n)
	}
	if got := tab.Text("main h1"); got != "Create your organization" {
		t.Errorf("/orgs of a new user is headed %q, want the one step: Create your organization", got)
	}

	// Create an organization.
	slug := createOrg(t, tab, "Northwind Labs")
	if got := tab.Text(tid("flash")); !strings.Contains(got, "Northwind Labs") {
		t.Errorf("flash after creating the organization = %q", got)
	}
	if got := tab.Text(tid("org-switcher-current")); got != "Northwind Labs" {
		t.Errorf("organization switcher shows %q, want Northwind Labs", got)
	}
	// The user is its admin: the settings entry is in the side navigation.
	if n := tab.Count(tid("side-nav") + " " + tid("nav-settings")); n != 1 {
		t.Errorf("the creator of %s sees no settings link", slug)
	}
	// The name from the sign-up form reached the app (user.created webhook),
	// and the account page lists the new organization.
	s.WaitForWebhooks(t)
	tab.ClickInPlace(tid("user-menu") + " summary")
	tab.Click(tid("user-menu-account"))
	if got := tab.Text(tid("account-name")); got != "Nora Newcomer" {
		t.Errorf("account name = %q, want Nora Newcomer", got)
	}
	if got := tab.Text(tid("account-email")); got != email {
		t.Errorf("account email = %q, want %s", got, email)
	}
	if got := tab.Texts(tid("account-org-item")); len(got) != 1 || !strings.Contains(got[0], "Northwind Labs") {
		t.Errorf("account organizations = %q, want Northwind Labs", got)
	}
	if got := tab.TextContent(tid("user-name")); got != "Nora Newcomer" {
		t.Errorf("user menu name = %q, want Nora Newcomer", got)
	}

	// Create a project, add two tasks, mark one done.
	createProject(t, tab, slug, "Spring launch", "Everything for the April release.")
	addTask(t, tab, "Write the announcement")
	addTask(t, tab, "Book the venue")
	toggleTask(t, tab, "Write the announcement")
	assertTasks(t, tab, map[string]bool{"Write the announcement": true, "Book the venue": false})

	// The state is stored, not just shown: a reload shows the same.
	tab.Open(tab.Path())
	assertTasks(t, tab, map[string]bool{"Write the announcement": true, "Book the venue": false})

	// The dashboard counts them.
	tab.Open(paths.Org(slug))
	for id, want := range map[string]string{"stat-projects": "1", "stat-open-tasks": "1", "stat-done-tasks": "1"} {
		if got := tab.Text(tid(id)); got != want {
			t.Errorf("dashboard %s = %q, want %s", id, got, want)
		}
	}
}

// createOrg creates an organization on /orgs and returns its slug.
func createOrg(t *testing.T, tab *Tab, name string) string {
	t.Helper()
	if tab.Path() != "/orgs" {
		tab.Open("/orgs")
	}
	form := tid("create-org-form")
	tab.Fill(form+` input[name="name"]`, name)
	if status := tab.Click(tid("create-org-submit")); status != 200 {
		t.Fatalf("create organization %q: %d at %s", name, status, tab.URL())
	}
	path := tab.Path()
	slug, ok := strings.CutPrefix(path, "/orgs/")
	if !ok || slug == "" || strings.Contains(slug, "/") {
		t.Fatalf("after creating %q at %s, want its dashboard /orgs/{slug}", name, path)
	}
	tab.WaitVisible(tid("dashboard-stats"))
	return slug
}

// createProject creates a project from the organization's project list and
// leaves the tab on the project's page; it returns the project's path.
func createProject(t *testing.T, tab *Tab, slug, name, description string) string {
	t.Helper()
	tab.Open(paths.Projects(slug))
	tab.Click(tid("new-project"))
	form := tid("project-form")
	tab.Fill(form+` input[name="name"]`, name)
	tab.Fill(form+` textarea[name="description"]`, description)
	if status := tab.Click(form + " " + tid("project-save")); status != 200 {
		t.Fatalf("create project %q: %d at %s", name, status, tab.URL())
	}
	path := tab.Path()
	if !strings.HasPrefix(path, paths.Projects(slug)+"/") {
		t.Fatalf("after creating project %q at %s, want its page", name, path)
	}
	if got := tab.Text("main h1"); got != name {
		t.Errorf("project page heading = %q, want %q", got, name)
	}
	if got := tab.Text(tid("flash")); !strings.Contains(got, name) {
		t.Errorf("flash after creating the project = %q", got)
	}
	return path
}

// addTask adds a task on the project page the tab shows (an htmx post
// that appends the row in place).
func addTask(t *testing.T, tab *Tab, title string) {
	t.Helper()
	before := tab.Count(tid("task-item"))
	form := tid("task-form")
	tab.Fill(form+` input[name="title"]`, title)
	tab.ClickInPlace(form + " " + tid("task-add"))
	tab.WaitTrue(fmt.Sprintf(`document.querySelectorAll(%s).length === %d`, jsString(tid("task-item")), before+1))
	if titles := tab.Texts(tid("task-title")); !slices.Contains(titles, title) {
		t.Fatalf("task %q not listed: %q", title, titles)
	}
}

// toggleTask presses a task's Done/Reopen button (an htmx request that
// swaps the list) and waits for its new state.
func toggleTask(t *testing.T, tab *Tab, title string) {
	t.Helper()
	row := taskRow(t, tab, title)
	was := tab.Attr(row, "data-done")
	tab.ClickInPlace(row + " " + tid("task-toggle"))
	want := map[string]string{"true": "false", "false": "true"}[was]
	tab.WaitVisible(row + `[data-done="` + want + `"]`)
}

// taskRow returns a selector for the task titled title.
func taskRow(t *testing.T, tab *Tab, title string) string {
	t.Helper()
	texts := tab.Texts(tid("task-item") + " " + tid("task-title"))
	for i, text := range texts {
		if text == title {
			return fmt.Sprintf(`%s:nth-of-type(%d)`, tid("task-item"), i+1)
		}
	}
	t.Fatalf("no task %q in %q", title, texts)
	return ""
}

// assertTasks checks the project page lists exactly these tasks with these
// done states.
func assertTasks(t *testing.T, tab *Tab, want map[string]bool) {
	t.Helper()
	got := Eval[map[string]bool](tab, `Object.fromEntries(Array.from(
		document.querySelectorAll('[data-testid="task-item"]'),
		li => [li.querySelector('[data-testid="task-title"]').innerText.trim(), li.dataset.done === "true"]))`)
	if len(got) != len(want) {
		t.Errorf("tasks = %v, want %v", got, want)
		return
	}
	for title, done := range want {
		if g, ok := got[title]; !ok || g != done {
			t.Errorf("tasks = %v, want %v", got, want)
			return
		}
	}
}

func contains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
