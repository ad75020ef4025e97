package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"example.com/saas/internal/paths"
)

// An invalid field is marked so a person sees it (its computed border
// colour is not a valid field's, in the built CSS), a screen reader hears
// it (aria-invalid, aria-describedby naming the error) and the keyboard is
// on it (focus); the form is re-rendered in place, so the address bar keeps
// the form's URL and a reload re-sends nothing.
func TestInvalidFieldIsMarkedAndFocused(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	signIn(t, tab, "alice@example.com", "/orgs/acme")

	tab.allowStatus(422) // the form's answer, shown in place
	newProject := paths.NewProject("acme")
	tab.Open(newProject)
	form := tid("project-form")
	valid := fieldBorder(tab, "#field-name")
	tab.Fill(form+" #field-description", "Kept after the error")
	tab.ClickInPlace(form + " " + tid("project-save"))
	tab.WaitVisible(tid("error-name"))

	if got := tab.Path(); got != newProject {
		t.Errorf("after a failed create the address bar shows %s, want the form's %s", got, newProject)
	}
	for _, scheme := range schemes {
		tab.setScheme(scheme)
		invalid := fieldBorder(tab, "#field-name")
		okField := fieldBorder(tab, "#field-description")
		if invalid == okField {
			t.Errorf("%s: the invalid name field's border %s is the valid description's", scheme, invalid)
		}
		if scheme == "light" && invalid == valid {
			t.Errorf("the name field's border %s did not change when it became invalid", invalid)
		}
	}
	tab.setScheme("light")
	if got := tab.Attr("#field-name", "aria-invalid"); got != "true" {
		t.Errorf("invalid name: aria-invalid = %q", got)
	}
	if got := tab.Attr("#field-name", "aria-describedby"); !strings.Contains(got, "error-name") {
		t.Errorf("invalid name: aria-describedby = %q, want it to name error-name", got)
	}
	if got := Eval[string](tab, `document.activeElement ? document.activeElement.id : ""`); got != "field-name" {
		t.Errorf("focus is on %q after the failed create, want field-name", got)
	}
	if got := Eval[string](tab, `document.querySelector("#field-description").value`); got != "Kept after the error" {
		t.Errorf("description after the failed create = %q, want the user's input kept", got)
	}

	// Corrected, the same form creates the project and leaves the form.
	tab.Fill(form+" #field-name", "Corrected")
	tab.Click(form + " " + tid("project-save"))
	if got := tab.Text("main h1"); got != "Corrected" {
		t.Errorf("after correcting the name the page heading = %q", got)
	}
}

// fieldBorder is the computed border colour of the element matching css.
func fieldBorder(tab *Tab, css string) string {
	return Eval[string](tab, `getComputedStyle(document.querySelector(`+jsString(css)+`)).borderTopColor`)
}

// A success toast goes by itself after a few seconds; an error stays until
// its close button is pressed.
func TestToastsGoByThemselvesErrorsStay(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	signIn(t, tab, "alice@example.com", "/orgs/acme")
	createProject(t, tab, "acme", "Toast test", "")
	Eval[bool](tab, `(window.app.toast({kind: "error", message: "Stays until closed"}), true)`)

	success := tid("flash") + `[data-kind="success"]`
	tab.Do("wait for the success toast to go", waitGone(success))
	if got := tab.Texts(tid("flash") + `[data-kind="error"]`); len(got) != 1 || got[0] != "Stays until closed" {
		t.Fatalf("error toasts after the success one went = %q, want the one error", got)
	}
	tab.ClickInPlace(tid("flash") + `[data-kind="error"] ` + tid("flash-close"))
	if n := tab.Count(tid("flash")); n != 0 {
		t.Errorf("%d toasts after closing the error, want 0", n)
	}
}

// longWord is what a pasted URL or a mistyped key looks like to the layout:
// one unbroken word, cut to each field's limit.
func longWord(n int) string { return strings.Repeat("W", n) }

// No page is wider than its viewport when every text field holds a long
// unbroken word, on a desktop and on a phone.
func TestLongWordsNeverWidenAPage(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	signIn(t, tab, "alice@example.com", "/orgs")
	slug := createOrg(t, tab, longWord(100))
	project := createProject(t, tab, slug, longWord(100), longWord(300))
	postForm(t, tab, tid("task-form"), map[string]string{"title": longWord(200)})
	tab.Open(project)
	if n := tab.Count(tid("task-item")); n != 1 {
		t.Fatalf("the project shows %d tasks, want the long one", n)
	}

	pages := []string{
		"/orgs", paths.Org(slug), paths.Projects(slug), project, project + "/edit", project + "/delete",
		paths.Projects(slug) + "?q=" + longWord(100), paths.Members(slug), paths.Settings(slug),
		paths.Audit(slug), paths.Account,
	}
	for _, vp := range []viewport{desktop, phone} {
		tab.setViewport(vp)
		for _, p := range pages {
			tab.Open(p)
			tab.WaitVisible("main")
			if w := pageOverflow(tab); w != "" {
				t.Errorf("%s at %s: %s", p, vp.name, w)
			}
		}
	}
	tab.setViewport(desktop)
}

// pageOverflow describes how the page is wider than its viewport ("" when
// it is not), naming the innermost element whose content sticks out of it.
func pageOverflow(tab *Tab) string {
	return Eval[string](tab, `(() => {
		const root = document.documentElement, vw = root.clientWidth;
		if (root.scrollWidth <= vw) return "";
		let culprit = null;
		for (const el of document.body.querySelectorAll("*")) {
			if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible" && el.clientWidth > 0) culprit = el;
		}
		const name = culprit ? culprit.tagName.toLowerCase() + (culprit.dataset.testid ? "[" + culprit.dataset.testid + "]" : "") +
			" ." + String(culprit.className).split(" ").slice(0, 5).join(".") : "?";
		return "page is " + root.scrollWidth + "px wide in a " + vw + "px viewport; content sticks out of " + name;
	})()`)
}

// postForm submits the form matching css with values through fetch, the
// way a person's browser would (same origin, their cookies), without
// depending on how the page submits it.
func postForm(t *testing.T, tab *Tab, css string, values map[string]string) {
	t.Helper()
	status := Eval[int](tab, `(async () => {
		const form = document.querySelector(`+jsString(css)+`);
		const data = new FormData(form);
		for (const [k, v] of Object.entries(`+jsonValue(values)+`)) data.set(k, v);
		const r = await fetch(form.action, {method: "POST", body: new URLSearchParams(data)});
		return r.status;
	})()`)
	if status != 200 {
		t.Fatalf("post %s: %d", css, status)
	}
}

// waitGone waits until no element matches css.
func waitGone(css string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitNotPresent(chromedp.CSS(css))
}

func jsonValue(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Times are shown in the viewer's zone: relative while recent, the full
// local date and time in the title.
func TestTimesShowInTheViewersZone(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	Call(tab, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"})
	signIn(t, tab, "alice@example.com", "/orgs/acme")
	createProject(t, tab, "acme", "Zoned", "")
	for _, p := range []string{paths.Projects("acme"), paths.Audit("acme"), paths.Org("acme")} {
		tab.Open(p)
		got := Eval[[]string](tab, `(() => {
			const el = document.querySelector("main time[data-local-time]");
			if (!el) return [];
			const want = new Date(el.getAttribute("datetime")).toLocaleString("en", {dateStyle: "full", timeStyle: "short", timeZone: "Asia/Tokyo"});
			return [el.textContent.trim(), el.title, want];
		})()`)
		if len(got) != 3 {
			t.Errorf("%s shows no time", p)
			continue
		}
		if got[0] != "just now" && got[0] != "1 minute ago" {
			t.Errorf("%s: a time from a moment ago reads %q", p, got[0])
		}
		if got[1] != got[2] {
			t.Errorf("%s: the time's title is %q, want Tokyo's %q", p, got[1], got[2])
		}
	}
}

// On a phone every entry of the organization's navigation is on screen
// whole: the list wraps instead of scrolling sideways.
func TestPhoneNavigationShowsEveryEntry(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tab := NewBrowser(t, s.URL, s.EmuURL).Tab()
	signIn(t, tab, "alice@example.com", "/orgs/acme")
	tab.setViewport(phone)
	defer tab.setViewport(desktop)
	tab.Open(paths.Org("acme"))
	cut := Eval[[]string](tab, `Array.from(document.querySelectorAll('[data-testid="side-nav"] a'))
		.filter(a => { const r = a.getBoundingClientRect(); return r.left < 0 || r.right > innerWidth || r.width === 0; })
		.map(a => a.innerText.trim())`)
	if len(cut) != 0 {
		t.Errorf("navigation entries cut off or hidden on a phone: %q", cut)
	}
	if n := tab.Count(`[data-testid="side-nav"] a`); n < 5 {
		t.Errorf("an admin's navigation has %d entries, want dashboard, projects, members, audit and settings", n)
	}
}
