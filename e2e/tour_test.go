package e2e

import (
	"strings"
	"testing"
)

// stop is a page of the screenshot tour.
type stop struct {
	name string
	path string
	// status is the HTTP status the page must answer with.
	status int
	// ready is a selector that must be visible before the screenshot.
	ready string
}

// TestScreenshotTour visits every main page as a visitor, an admin and a
// member, checks each one renders (status, a landmark testid, no error page)
// without a console problem (journey 6), and saves light and dark, desktop
// and phone screenshots of each.
func TestScreenshotTour(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	// Three people, three browsers, side by side: the tour is the longest
	// browser test, and each part only reads what it made.
	t.Run("visitor", func(t *testing.T) {
		t.Parallel()
		visitor := NewBrowser(t, s.URL, s.EmuURL).Tab()
		visit(t, visitor,
			stop{name: "landing", path: "/", status: 200, ready: tid("landing")},
			stop{name: "hosted-sign-in", path: "/sign-in", status: 200, ready: tid("clerkdev-sign-in")},
			stop{name: "hosted-sign-up", path: "/sign-up", status: 200, ready: tid("clerkdev-sign-up")},
			stop{name: "404", path: "/no-such-page", status: 404, ready: tid("error-page")},
		)
	})

	// Alice, admin of Acme, with a project and tasks so lists are not empty.
	t.Run("admin", func(t *testing.T) {
		t.Parallel()
		alice := NewBrowser(t, s.URL, s.EmuURL).Tab()
		signIn(t, alice, "alice@example.com", "/orgs")
		project := createProject(t, alice, "acme", "Website relaunch", "New look, same great anvils.")
		addTask(t, alice, "Draft the copy")
		addTask(t, alice, "Pick a palette")
		toggleTask(t, alice, "Draft the copy")
		// The pages a browser without JavaScript gets instead of the
		// in-place edit and the confirmation dialogs.
		taskEdit := alice.Attr(tid("task-item")+" "+tid("task-edit"), "href")
		alice.Open("/orgs/acme/members")
		removeBob := alice.Attr(memberRow(t, alice, "bob@example.com")+" "+tid("member-remove"), "href")
		visit(t, alice,
			stop{name: "orgs", path: "/orgs", status: 200, ready: tid("org-list")},
			stop{name: "dashboard", path: "/orgs/acme", status: 200, ready: tid("dashboard-stats")},
			stop{name: "projects", path: "/orgs/acme/projects", status: 200, ready: tid("project-list")},
			stop{name: "project", path: project, status: 200, ready: tid("task-list")},
			stop{name: "project-new", path: "/orgs/acme/projects/new", status: 200, ready: tid("project-form")},
			stop{name: "project-edit", path: project + "/edit", status: 200, ready: tid("project-form")},
			stop{name: "project-delete", path: project + "/delete", status: 200, ready: tid("delete-form")},
			stop{name: "task-edit", path: taskEdit, status: 200, ready: tid("task-edit-page-form")},
			stop{name: "members", path: "/orgs/acme/members", status: 200, ready: tid("member-list")},
			stop{name: "member-remove", path: removeBob, status: 200, ready: tid("confirm-form")},
			stop{name: "leave", path: "/orgs/acme/members/leave", status: 200, ready: "main h1"},
			stop{name: "settings", path: "/orgs/acme/settings", status: 200, ready: tid("settings-form")},
			stop{name: "audit", path: "/orgs/acme/audit", status: 200, ready: tid("audit-list")},
			stop{name: "account", path: "/account", status: 200, ready: tid("account-profile")},
			stop{name: "404-org", path: "/orgs/no-such-org", status: 404, ready: tid("error-page")},
		)
	})

	// Bob, a member of Acme, may not open its settings.
	t.Run("member", func(t *testing.T) {
		t.Parallel()
		bob := NewBrowser(t, s.URL, s.EmuURL).Tab()
		signIn(t, bob, "bob@example.com", "/orgs/acme")
		visit(t, bob, stop{name: "403", path: "/orgs/acme/settings", status: 403, ready: tid("error-page")})
		// In words for the member, the key in a detail line for developers.
		if got := bob.Text(tid("error-message")); !strings.Contains(got, "Only admins can change this organization's settings.") {
			t.Errorf("403 page says %q, want it in words", got)
		}
		if got := bob.Text(tid("error-permission")); got != "org:sys_profile:manage" {
			t.Errorf("403 page names permission %q, want org:sys_profile:manage", got)
		}

		// The theme toggle overrides the system scheme and is remembered
		// (bob's profile, after his screenshots, so it cannot leak into them).
		bob.Open("/orgs/acme")
		bob.setScheme("light")
		light := pageBackground(bob)
		bob.ClickInPlace(tid("theme-toggle"))
		if got := Eval[string](bob, `document.documentElement.dataset.theme || ""`); got != "dark" {
			t.Errorf("after the theme toggle data-theme = %q, want dark", got)
		}
		bob.Open("/orgs/acme/projects")
		if dark := pageBackground(bob); dark == light {
			t.Errorf("the dark theme kept the light background %s after a reload", light)
		}
	})
}

// pageBackground is the page's computed background color (set on <html>).
func pageBackground(tab *Tab) string {
	return Eval[string](tab, `getComputedStyle(document.documentElement).backgroundColor`)
}

// visit opens each tour stop in turn, checks it and takes its screenshots.
func visit(t *testing.T, tab *Tab, stops ...stop) {
	t.Helper()
	for _, st := range stops {
		visitStop(t, tab, st)
	}
}

func visitStop(t *testing.T, tab *Tab, st stop) {
	t.Helper()
	if st.status != 200 {
		tab.allowStatus(st.status)
	}
	got := tab.Open(st.path)
	if int(got) != st.status {
		t.Errorf("%s (%s) = %d, want %d", st.name, st.path, got, st.status)
	}
	tab.WaitVisible(st.ready)
	if st.status >= 400 {
		assertErrorPage(t, tab, st.status)
	} else if n := tab.Count(tid("error-page")); n != 0 {
		t.Errorf("%s (%s) shows an error page", st.name, st.path)
	}
	tab.Screenshot(st.name)
	tab.checkAccessibilityBothSchemes(st.name)
	tab.CheckConsole()
}
