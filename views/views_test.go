package views

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// render renders c and parses it; a Render error fails the test.
func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	if strings.Contains(buf.String(), " style=") || strings.Contains(buf.String(), " hx-on") || strings.Contains(buf.String(), "<script>") {
		t.Errorf("output has an inline style, hx-on or inline script, which the CSP forbids")
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func tid(id string) string { return `[data-testid="` + id + `"]` }

func texts(doc *goquery.Document, sel string) []string {
	var out []string
	doc.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, strings.Join(strings.Fields(s.Text()), " ")) })
	return out
}

func orgPage(active, title string, admin bool) Page {
	org := OrgNav{Name: "Acme Inc", Slug: "acme", Role: "admin", IsAdmin: admin, CanManageSettings: admin}
	if !admin {
		org.Role = "member"
	}
	return Page{
		Title: title, Active: active,
		User: &UserNav{ID: "user_1", Name: "Alice Admin", Email: "alice@example.com", ImageURL: "http://127.0.0.1:8081/__clerkdev/img/user_1.svg"},
		Org:  &org, Orgs: []OrgNav{org, {Name: "Globex", Slug: "globex", Role: "member"}},
		Flashes: []Flash{{Kind: "success", Message: "Saved."}},
	}
}

// TestLayoutShell: the top bar, switcher, user menu, side navigation with
// aria-current, breadcrumbs and flashes of an organization's page.
func TestLayoutShell(t *testing.T) {
	t.Parallel()
	doc := render(t, Projects(orgPage("projects", "Projects", true), ProjectListView{Slug: "acme", CanManage: true}))

	if got := doc.Find("title").Text(); got != "Projects · Acme Inc · SaaS Starter" {
		t.Errorf("title = %q", got)
	}
	if n := doc.Find(tid("org-switcher-item")).Length(); n != 2 {
		t.Errorf("switcher items = %d, want 2", n)
	}
	if cur := doc.Find(tid("org-switcher-item") + `[aria-current]`); cur.Length() != 1 || !strings.Contains(cur.Text(), "Acme Inc") {
		t.Errorf("current organization not marked in the switcher")
	}
	if got := texts(doc, tid("user-name")); len(got) != 1 || got[0] != "Alice Admin" {
		t.Errorf("user-name = %v", got)
	}
	// The emulator's http avatar would be blocked by the CSP: initials instead.
	if doc.Find(tid("user-menu")+" img").Length() != 0 || !strings.Contains(doc.Find(tid("user-menu")+" summary").Text(), "AA") {
		t.Errorf("user menu should show initials for a non-https avatar")
	}
	if doc.Find(tid("sign-out")).Length() != 1 || doc.Find(tid("user-menu-account")).AttrOr("href", "") != "/account" {
		t.Error("user menu lacks sign-out or account")
	}
	nav := doc.Find(`nav[aria-label="Organization"]`)
	if nav.Length() != 1 || nav.Find(`a[href="/orgs/acme/settings"]`).Length() != 1 {
		t.Errorf("side nav: %d navs, settings links %d", nav.Length(), nav.Find(`a[href="/orgs/acme/settings"]`).Length())
	}
	if cur := nav.Find(`a[aria-current="page"]`); cur.Length() != 1 || cur.AttrOr("data-testid", "") != "nav-projects" {
		t.Errorf("aria-current on %q", cur.AttrOr("data-testid", ""))
	}
	if got := texts(doc, tid("breadcrumbs")+" li"); strings.Join(got, "|") != "Acme Inc|/ Projects" {
		t.Errorf("breadcrumbs = %q", got)
	}
	if got := texts(doc, tid("flash")); len(got) != 1 || got[0] != "Saved." {
		t.Errorf("flash = %v", got)
	}
	if doc.Find("main#main").Length() != 1 || doc.Find(`header nav[aria-label="Main"]`).Length() != 1 {
		t.Error("landmarks missing")
	}
	if doc.Find(tid("theme-toggle")+`[data-theme-toggle]`).Length() != 1 {
		t.Error("no theme toggle")
	}

	member := render(t, Projects(orgPage("projects", "Projects", false), ProjectListView{Slug: "acme"}))
	if member.Find(`a[href="/orgs/acme/settings"]`).Length() != 0 || member.Find(tid("new-project")).Length() != 0 {
		t.Error("a member sees settings or new project")
	}
}

// TestSignedOutTopBar keeps the landing page's sign-in links.
func TestSignedOutTopBar(t *testing.T) {
	t.Parallel()
	doc := render(t, Home(Page{}))
	for _, id := range []string{"nav-sign-in", "nav-sign-up", "landing", "sign-in", "sign-up"} {
		if doc.Find(tid(id)).Length() != 1 {
			t.Errorf("missing %s", id)
		}
	}
	if doc.Find(tid("user-menu")).Length() != 0 || doc.Find(tid("org-switcher")).Length() != 0 {
		t.Error("signed-out page shows the user menu or switcher")
	}
}

// TestFormFieldErrors: inputs are labelled, errors linked and marked
// invalid, and the user's input is kept.
func TestFormFieldErrors(t *testing.T) {
	t.Parallel()
	doc := render(t, ProjectForm(orgPage("projects", "New project", true), ProjectFormView{
		Slug: "acme", Action: "/orgs/acme/projects", CancelURL: "/orgs/acme/projects",
		Name: "<b>x</b>", Description: "kept", Errors: map[string]string{"name": "Enter a name."},
	}))
	in := doc.Find(`input[name="name"]`)
	if in.AttrOr("value", "") != "<b>x</b>" || in.AttrOr("aria-invalid", "") != "true" || in.AttrOr("aria-describedby", "") != "error-name" {
		t.Errorf("name input = %v", in.Nodes[0].Attr)
	}
	if doc.Find(`label[for="`+in.AttrOr("id", "?")+`"]`).Length() != 1 {
		t.Error("name input has no label")
	}
	if got := texts(doc, tid("error-name")); len(got) != 1 || got[0] != "Enter a name." {
		t.Errorf("error-name = %v", got)
	}
	if doc.Find("textarea").Text() != "kept" || doc.Find(tid("form-error")).Length() != 1 {
		t.Error("description not kept or no form error summary")
	}
	doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if s.AttrOr("type", "") != "hidden" && (id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0) {
			t.Errorf("%s %s has no label", goquery.NodeName(s), s.AttrOr("name", ""))
		}
	})
}

// TestTaskListHtmx: task actions post (no JavaScript) and carry hx-post to
// swap their row; the toggle is each row's first form button; the counts
// are the project's, not the page's; a page with more after it ends in
// "Load more", a link without JavaScript.
func TestTaskListHtmx(t *testing.T) {
	t.Parallel()
	v := ProjectView{Slug: "acme", Project: ProjectItem{ID: "p1", Name: "Site"}, CanManage: true, Total: 130, Done: 3,
		Members: []MemberOption{{UserID: "user_b", Name: "Bob"}},
		Tasks:   []TaskItem{{ID: "t1", Title: "Copy", Done: true, AssigneeID: "user_b", Assignee: "Bob"}, {ID: "t2", Title: "Palette"}}}
	doc := render(t, TaskList(v))
	rows := doc.Find(tid("task-item"))
	if rows.Length() != 2 || rows.First().AttrOr("data-done", "") != "true" {
		t.Fatalf("rows = %d", rows.Length())
	}
	if _, ok := rows.First().Attr("data-gone-remove"); !ok || doc.Find("#task-list").AttrOr("data-refresh-url", "") != "/orgs/acme/projects/p1/tasks" {
		t.Error("rows lack data-gone-remove, or the list its data-refresh-url")
	}
	if got := texts(doc, tid("task-title")); strings.Join(got, "|") != "Copy|Palette" {
		t.Errorf("titles = %v", got)
	}
	first := rows.First().Find("form button").First()
	if first.AttrOr("data-testid", "") != "task-toggle" || first.AttrOr("aria-label", "") != "Reopen Copy" {
		t.Errorf("first form button = %v", first.AttrOr("data-testid", ""))
	}
	rows.First().Find("form").Each(func(_ int, f *goquery.Selection) {
		if f.AttrOr("method", "") != "post" || f.AttrOr("action", "") == "" || f.AttrOr("hx-post", "") != f.AttrOr("action", "") || f.AttrOr("hx-target", "") != "closest li" {
			t.Errorf("task form %q lacks the post fallback or htmx", f.AttrOr("action", ""))
		}
	})
	if rows.First().Find(`option[selected][value="user_b"]`).Length() != 1 {
		t.Error("assignee not selected")
	}
	if rows.First().Find(`noscript`).Length() != 1 || rows.First().Find(`[hx-trigger="change"]`).Length() != 1 {
		t.Error("the assignee select does not save on change, or its Assign button is not for no-JS only")
	}
	v.Fragment = true
	if n := render(t, TaskList(v)).Find("noscript").Length(); n != 0 {
		t.Errorf("an htmx answer has %d <noscript> fallbacks, which htmx would show", n)
	}
	v.Fragment = false
	if got := texts(doc, tid("task-progress")); len(got) != 1 || got[0] != "3 of 130 done" {
		t.Errorf("progress = %v", got)
	}
	if doc.Find(tid("task-more")).Length() != 0 {
		t.Error("Load more on the last page")
	}

	v.Next, v.Until = "c2", "c9"
	more := render(t, TaskList(v)).Find(tid("task-more"))
	if more.AttrOr("hx-get", "") != "/orgs/acme/projects/p1/tasks?after=c2&until=c9" ||
		more.Closest("form").AttrOr("action", "") != "/orgs/acme/projects/p1" || more.Closest("form").Find(`input[name="after"][value="c2"]`).Length() != 1 {
		t.Errorf("Load more = %v", more.Closest("form").Nodes)
	}

	v.CanManage = false
	ro := render(t, TaskList(v))
	if ro.Find("form[method=post]").Length() != 0 || !strings.Contains(ro.Text(), "Bob") {
		t.Error("read-only task list has forms or hides the assignee")
	}
	v.Tasks, v.Total, v.Done, v.Next = nil, 0, 0, ""
	if render(t, TaskList(v)).Find(tid("empty-state")).Length() != 1 {
		t.Error("no empty state")
	}
}

// TestDeleteProjectCountsTasks: the question counts every task, in words.
func TestDeleteProjectCountsTasks(t *testing.T) {
	t.Parallel()
	for total, want := range map[int]string{0: "Delete Site? It has no tasks.", 1: "Delete Site and its 1 task?", 130: "Delete Site and its 130 tasks?"} {
		v := ProjectView{Slug: "acme", Project: ProjectItem{ID: "p1", Name: "Site"}, Total: total}
		got := texts(render(t, DeleteProject(orgPage("projects", "Delete Site", true), v)), tid("delete-question"))
		if len(got) != 1 || !strings.HasPrefix(got[0], want) || strings.Contains(got[0], "(s)") {
			t.Errorf("%d tasks: %q, want %q…", total, got, want)
		}
	}
}

// TestMembersView: admins get the invite form, role selects, remove
// confirmations (disabled for the last admin, with the reason as text) and
// invitations; members a read-only list with their own leave confirmation.
// Every confirmation is a link to its own page (no JavaScript) and a modal
// dialog holding the real form.
func TestMembersView(t *testing.T) {
	t.Parallel()
	v := MembersView{Slug: "acme", OrgName: "Acme Inc", CanManage: true, Roles: []Option{{"org:member", "Member"}, {"org:admin", "Admin"}},
		Members: []MemberRow{
			{UserID: "user_a", Name: "Alice", Email: "a@x.com", Role: "org:admin", RoleLabel: "Admin", IsAdmin: true, IsSelf: true, LastAdmin: true, Error: "Alice is the only admin."},
			{UserID: "user_b", Name: "Bob", Email: "b@x.com", Role: "org:member", RoleLabel: "Member"},
		},
		Invitations: []InvitationRow{{ID: "orginv_1", Email: "new@x.com", RoleLabel: "Member", Sent: At(time.Now()), Expires: At(time.Now().Add(30 * 24 * time.Hour))}},
		Invite:      InviteForm{Email: "bad", Role: "org:admin", Errors: map[string]string{"email": "Enter a valid email address."}},
	}
	doc := render(t, Members(orgPage("members", "Members", true), v))
	if n := doc.Find(tid("member-row")).Length(); n != 2 {
		t.Fatalf("member rows = %d", n)
	}
	alice := doc.Find(tid("member-row") + `[data-user-id="user_a"]`)
	leave := alice.Find(tid("member-leave"))
	if !leave.Is("button[disabled]") || alice.Find(tid("member-leave-confirm")).Length() != 0 || alice.Find(tid("member-remove")).Length() != 0 {
		t.Error("the last admin's leave button is not disabled (or she can remove herself)")
	}
	reason := alice.Find(tid("member-locked"))
	if reason.Text() != LastAdminReason || reason.AttrOr("id", "") == "" {
		t.Errorf("the last admin's reason = %q, want %q", reason.Text(), LastAdminReason)
	}
	for _, sel := range []string{tid("member-role-select"), tid("member-role-save")} {
		if c := alice.Find(sel); c.AttrOr("disabled", "x") == "x" {
			t.Errorf("the last admin's %s is not disabled", sel)
		}
	}
	if id := reason.AttrOr("id", ""); alice.Find(tid("member-role-select")).AttrOr("aria-describedby", "") != id || leave.AttrOr("aria-describedby", "") != id {
		t.Error("the disabled controls are not described by the visible reason")
	}
	if alice.Find(tid("member-error")).Text() != "Alice is the only admin." || alice.Find(`option[selected]`).AttrOr("value", "") != "org:admin" {
		t.Error("row error or selected role missing")
	}
	if n := doc.Find(`[role="alert"]`).FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Text(), "only admin") }).Length(); n != 1 {
		t.Errorf("the refusal is shown %d times, want once", n)
	}
	bob := doc.Find(tid("member-row") + `[data-user-id="user_b"]`)
	opener := bob.Find(tid("member-remove"))
	dialog := bob.Find(tid("member-remove-dialog"))
	if !opener.Is("a") || opener.AttrOr("href", "") != "/orgs/acme/members/user_b/remove" || opener.AttrOr("data-dialog-open", "") != dialog.AttrOr("id", "-") {
		t.Errorf("bob's remove opener = %q, want a link to the confirmation page opening the dialog", opener.AttrOr("href", ""))
	}
	if !dialog.Is("dialog") || dialog.Find(tid("member-remove-cancel")).Length() != 1 || !strings.Contains(dialog.Text(), "Remove Bob") {
		t.Error("bob's remove dialog")
	}
	if f := bob.Find(tid("member-remove-confirm")).Closest("form"); f.AttrOr("action", "") != "/orgs/acme/members/user_b/remove" || f.AttrOr("method", "") != "post" {
		t.Errorf("bob's remove form = %q", f.AttrOr("action", ""))
	}
	if bob.Find(tid("member-role-form")).AttrOr("action", "") != "/orgs/acme/members/user_b/role" || bob.Find(tid("member-locked")).Length() != 0 {
		t.Error("bob's role form")
	}
	if got := texts(doc, tid("member-row")+`[data-user-id="user_b"] option`); strings.Join(got, "|") != "Member|Admin" {
		t.Errorf("role options = %v", got)
	}
	if doc.Find(tid("field-email")).AttrOr("value", "") != "bad" || doc.Find(tid("error-email")).Length() != 1 || doc.Find(`#field-role option[selected]`).AttrOr("value", "") != "org:admin" {
		t.Error("invite form lost the input or the error")
	}
	if got := texts(doc, tid("invitation-email")); len(got) != 1 || got[0] != "new@x.com" {
		t.Errorf("invitations = %v", got)
	}
	if doc.Find(tid("invitation-revoke-confirm")).Closest("form").AttrOr("action", "") != "/orgs/acme/members/invitations/orginv_1/revoke" ||
		doc.Find(tid("invitation-revoke")).AttrOr("href", "") != "/orgs/acme/members/invitations/orginv_1/revoke" {
		t.Error("revoke form or link")
	}
	ids := map[string]bool{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) {
		if id := s.AttrOr("id", ""); ids[id] {
			t.Errorf("duplicate id %q", id)
		} else {
			ids[id] = true
		}
	})

	// Bob's own view: read-only, but he may leave.
	v.CanManage, v.Invitations = false, nil
	v.Members[0].IsSelf, v.Members[1].IsSelf = false, true
	ro := render(t, Members(orgPage("members", "Members", false), v))
	if ro.Find(tid("invite-form")).Length() != 0 || ro.Find(tid("members-read-only")).Length() != 1 || ro.Find(tid("member-remove")).Length() != 0 || ro.Find(tid("member-role-form")).Length() != 0 {
		t.Error("read-only members page offers management")
	}
	if f := ro.Find(tid("member-leave-confirm")).Closest("form"); f.AttrOr("action", "") != "/orgs/acme/members/leave" || ro.Find(tid("member-leave")).AttrOr("href", "") != "/orgs/acme/members/leave" {
		t.Errorf("bob's leave form = %q", f.AttrOr("action", ""))
	}
	if got := texts(ro, tid("member-role")); strings.Join(got, "|") != "Admin|Member" {
		t.Errorf("roles = %v", got)
	}
}

// TestConfirmPage: the no-JavaScript confirmation posts the real form, and
// a disabled one shows its reason instead.
func TestConfirmPage(t *testing.T) {
	t.Parallel()
	m := MemberRow{UserID: "user_b", Name: "Bob", Email: "b@x.com", IsSelf: true}
	v := MembersView{Slug: "acme", OrgName: "Acme Inc"}
	doc := render(t, ConfirmPage(orgPage("members", "Leave organization", false), LeaveConfirm(v, m), "/orgs/acme/members"))
	if f := doc.Find(tid("confirm-form")); f.AttrOr("action", "") != "/orgs/acme/members/leave" || f.AttrOr("method", "") != "post" || doc.Find(tid("confirm-cancel")).AttrOr("href", "") != "/orgs/acme/members" {
		t.Error("leave confirmation page")
	}
	m.LastAdmin = true
	doc = render(t, ConfirmPage(orgPage("members", "Leave organization", true), LeaveConfirm(v, m), "/orgs/acme/members"))
	if doc.Find(tid("confirm-form")).Length() != 0 || doc.Find(tid("confirm-reason")).Text() != LastAdminLeaveReason {
		t.Error("the last admin's leave page offers the form")
	}
}

// TestSettingsView: the profile form and the typed delete confirmation.
func TestSettingsView(t *testing.T) {
	t.Parallel()
	v := SettingsView{Slug: "acme", OrgName: "Acme Inc", CanDelete: true, BaseURL: "http://localhost:8080",
		Form: OrgSettingsForm{Name: "Acme", Slug: "Bad Slug", Errors: map[string]string{"slug": "Use lowercase letters."}}, Confirm: "acme", ConfirmError: "Type it exactly."}
	doc := render(t, Settings(orgPage("settings", "Settings", true), v))
	if doc.Find(tid("field-slug")).AttrOr("value", "") != "Bad Slug" || doc.Find(tid("error-slug")).Length() != 1 {
		t.Error("slug input or error lost")
	}
	if doc.Find(tid("delete-org-form")).AttrOr("action", "") != "/orgs/acme/settings/delete" || doc.Find(tid("delete-org-confirm")).AttrOr("value", "") != "acme" || doc.Find(tid("error-confirm")).Length() != 1 {
		t.Error("delete form")
	}
	v.CanDelete = false
	if render(t, Settings(orgPage("settings", "Settings", true), v)).Find(tid("danger-zone")).Length() != 0 {
		t.Error("danger zone without the delete permission")
	}
}

// TestAuditView: filters keep their values; rows and paging links render.
func TestAuditView(t *testing.T) {
	t.Parallel()
	v := AuditView{Slug: "acme", Actor: "user_b", Action: "task.created",
		Actors:   []Option{{"", "Everyone"}, {"user_a", "Alice"}, {"user_b", "Bob"}},
		Actions:  []Option{{"", "All actions"}, {"task.created", "task.created"}},
		Events:   []AuditRow{{When: At(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)), Actor: "Bob", Action: "task.created", Summary: "Added task"}},
		FirstURL: "/orgs/acme/audit?actor=user_b", NextURL: "/orgs/acme/audit?cursor=x"}
	doc := render(t, Audit(orgPage("audit", "Audit log", true), v))
	if doc.Find(`#field-actor option[selected]`).AttrOr("value", "") != "user_b" || doc.Find(`#field-action option[selected]`).AttrOr("value", "") != "task.created" {
		t.Error("filters lost their values")
	}
	if got := texts(doc, tid("audit-actor")); len(got) != 1 || got[0] != "Bob" {
		t.Errorf("actors = %v", got)
	}
	if doc.Find(tid("next-page")).AttrOr("href", "") != v.NextURL || doc.Find(tid("first-page")).AttrOr("href", "") != v.FirstURL || doc.Find(tid("audit-filter-clear")).Length() != 1 {
		t.Error("paging or clear link")
	}
	v.Events = nil
	if render(t, Audit(orgPage("audit", "Audit log", true), v)).Find(tid("empty-state")).Length() != 1 {
		t.Error("no empty state")
	}
}

// TestAccountAndErrorViews: the account page and a 403 naming the permission.
func TestAccountAndErrorViews(t *testing.T) {
	t.Parallel()
	p := orgPage("", "Your account", true)
	p.Org = nil
	doc := render(t, Account(p, AccountView{Name: "Alice Admin", Email: "alice@example.com", Initials: "AA", UserID: "user_1", Synced: true,
		Orgs: p.Orgs, ProfileURL: "https://accounts.example.com/user"}))
	if doc.Find(tid("account-name")).Text() != "Alice Admin" || doc.Find(tid("account-manage")).AttrOr("href", "") != "https://accounts.example.com/user" || doc.Find(tid("account-org-item")).Length() != 2 || doc.Find(tid("account-sign-out")).Length() != 1 {
		t.Error("account page")
	}
	e := render(t, ErrorPage(orgPage("", "Access denied", false), ErrorView{Status: 403, Title: "Access denied", Message: "You need org:sys_profile:manage.", Permission: "org:sys_profile:manage"}))
	if e.Find(tid("error-page")).AttrOr("data-status", "") != "403" || e.Find(tid("error-permission")).Text() != "org:sys_profile:manage" || e.Find(tid("error-back")).AttrOr("href", "") != "/orgs/acme" {
		t.Error("403 page")
	}
	if e.Find(tid("error-message")).Length() != 1 {
		t.Error("no error-message")
	}
}

// TestOrgsEmptyState: a new user sees one step, the create form, with no
// empty list and no second button to the same form; a user with
// organizations sees the list and the form beside it.
func TestOrgsEmptyState(t *testing.T) {
	t.Parallel()
	p := Page{Title: "Organizations", User: &UserNav{ID: "u", Name: "Nora"}}
	doc := render(t, Orgs(p, OrgsView{Form: OrgForm{Name: "x", Errors: map[string]string{"name": "Taken."}}}))
	if doc.Find(tid("first-org")).Length() != 1 || doc.Find(tid("create-org-form")).Length() != 1 || doc.Find(tid("error-name")).Length() != 1 {
		t.Error("a new user's create step or its form")
	}
	if got := doc.Find("main h1").Text(); got != "Create your organization" {
		t.Errorf("a new user's heading = %q, want Create your organization", got)
	}
	if n := doc.Find(tid("empty-state") + "," + tid("org-list") + "," + tid("org-switcher-create")).Length(); n != 0 {
		t.Errorf("a new user's page has %d empty states, lists or extra create links, want 0", n)
	}
	if got := doc.Find(tid("create-org-form")).AttrOr("hx-post", ""); got != "/orgs" {
		t.Errorf("create form hx-post = %q, want /orgs (a refused name keeps the URL)", got)
	}
	p.Orgs = []OrgNav{{Name: "Acme Inc", Slug: "acme", Role: "admin", IsAdmin: true}}
	doc = render(t, Orgs(p, OrgsView{Orgs: p.Orgs}))
	if got := texts(doc, tid("org-item")+" .font-medium"); strings.Join(got, "|") != "Acme Inc" {
		t.Errorf("org names = %v", got)
	}
	if doc.Find(tid("first-org")).Length() != 0 || doc.Find(tid("create-org-form")).Length() != 1 {
		t.Error("a user with organizations: want the list and one create form")
	}
}

func TestInitials(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, email, want string }{
		{"Alice Admin", "", "AA"}, {"bob", "", "B"}, {"", "carol@x.com", "C"}, {"", "", "?"}, {"Élodie van Dijk", "", "ÉV"},
	} {
		if got := Initials(c.name, c.email); got != c.want {
			t.Errorf("Initials(%q, %q) = %q, want %q", c.name, c.email, got, c.want)
		}
	}
}
