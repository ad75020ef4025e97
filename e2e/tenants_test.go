package e2e

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"example.com/saas/internal/paths"
)

// Journey 3: a member of two organizations (alice: admin of Acme, member of
// Globex) works in both at once in two tabs. Tenants are addressed by URL, so
// each tab stays in its organization, and neither ever shows the other's data.
func TestTwoOrganizationsInTwoTabsStayApart(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	b := NewBrowser(t, s.URL, s.EmuURL)
	acme := b.Tab()
	signIn(t, acme, "alice@example.com", "/orgs/acme")
	globex := b.NewTab()
	globex.Open("/orgs/globex")
	assertSignedIn(t, globex, "alice@example.com")

	// The switcher offers both organizations with alice's role in each.
	acme.ClickInPlace(tid("org-switcher-current"))
	acme.WaitVisible(tid("org-switcher-item"))
	items := acme.Texts(tid("org-switcher-item"))
	if len(items) != 2 || !contains(items, "Acme Inc") || !contains(items, "Globex") {
		t.Errorf("organization switcher items = %q, want Acme Inc and Globex", items)
	}

	// Interleave work in both tabs.
	acmePath := createProject(t, acme, "acme", "Rocket sled", "Acme's fastest product.")
	globexPath := createProject(t, globex, "globex", "Doomsday device", "Top secret.")
	addTask(t, acme, "Paint it red")
	addTask(t, globex, "Hire henchmen")
	toggleTask(t, globex, "Hire henchmen")

	// Each tab still works in its own organization after the other acted.
	acme.Click(tid("side-nav") + " " + tid("nav-projects"))
	globex.Click(tid("side-nav") + " " + tid("nav-projects"))
	assertOrg(t, acme, "Acme Inc")
	assertOrg(t, globex, "Globex")
	assertProjects(t, acme, "Rocket sled")
	assertProjects(t, globex, "Doomsday device")
	assertAbsent(t, acme, "Doomsday device", "Hire henchmen", "Top secret")
	assertAbsent(t, globex, "Rocket sled", "Paint it red", "fastest product")

	// Dashboards count and report only their own organization's work.
	for _, c := range []struct {
		tab        *Tab
		slug       string
		open, done string
		foreign    []string
	}{
		{acme, "acme", "1", "0", []string{"Doomsday device", "Hire henchmen"}},
		{globex, "globex", "0", "1", []string{"Rocket sled", "Paint it red"}},
	} {
		c.tab.Open(paths.Org(c.slug))
		for id, want := range map[string]string{"stat-projects": "1", "stat-open-tasks": c.open, "stat-done-tasks": c.done} {
			if got := c.tab.Text(tid(id)); got != want {
				t.Errorf("%s dashboard %s = %q, want %s", c.slug, id, got, want)
			}
		}
		assertAbsent(t, c.tab, c.foreign...)
	}

	// One organization's project under the other's URL is not found (not
	// forbidden: a 403 would confirm it exists).
	id := globexPath[strings.LastIndex(globexPath, "/")+1:]
	acme.allowStatus(404)
	if status := acme.Open(paths.Project("acme", id)); status != 404 {
		t.Errorf("Globex's project under /orgs/acme = %d, want 404", status)
	}
	assertErrorPage(t, acme, 404)
	assertAbsent(t, acme, "Doomsday device")
	// And both pages still open in their own organization.
	for _, c := range []struct {
		tab  *Tab
		path string
		name string
	}{{acme, acmePath, "Rocket sled"}, {globex, globexPath, "Doomsday device"}} {
		if status := c.tab.Open(c.path); status != 200 {
			t.Errorf("%s = %d, want 200", c.path, status)
		}
		if got := c.tab.Text("main h1"); got != c.name {
			t.Errorf("%s heading = %q, want %q", c.path, got, c.name)
		}
	}
}

// assertOrg checks the page belongs to the organization named name.
func assertOrg(t *testing.T, tab *Tab, name string) {
	t.Helper()
	if got := tab.Text(tid("org-switcher-current")); got != name {
		t.Errorf("%s: organization switcher shows %q, want %q", tab.name, got, name)
	}
}

// assertProjects checks the project list shows exactly these names.
func assertProjects(t *testing.T, tab *Tab, names ...string) {
	t.Helper()
	items := tab.Texts(tid("project-item") + " " + tid("project-name"))
	if len(items) != len(names) {
		t.Errorf("%s: projects = %q, want %q", tab.name, items, names)
		return
	}
	for _, n := range names {
		if !slices.Contains(items, n) {
			t.Errorf("%s: projects = %q, want %q", tab.name, items, names)
		}
	}
}

// assertAbsent checks none of the texts is anywhere on the page.
func assertAbsent(t *testing.T, tab *Tab, texts ...string) {
	t.Helper()
	body := tab.BodyText()
	for _, s := range texts {
		if strings.Contains(body, s) {
			t.Errorf("%s: %s shows %q, which belongs to another organization", tab.name, tab.URL(), s)
		}
	}
}

// assertErrorPage checks the page is the app's error page for status.
func assertErrorPage(t *testing.T, tab *Tab, status int) {
	t.Helper()
	tab.WaitVisible(tid("error-page"))
	if got := tab.Attr(tid("error-page"), "data-status"); got != itoa(status) {
		t.Errorf("%s: error page data-status = %q, want %d", tab.name, got, status)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
