package handlers_test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"example.com/saas/handlers"
	"example.com/saas/internal/apptest"
	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// send makes a request as a page would; form (if any) is posted urlencoded.
func send(t *testing.T, s *apptest.Stack, c *http.Client, method, path string, form url.Values) (int, string, *http.Response) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", s.URL)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp
}

func tenantSnapshot(t *testing.T, s *apptest.Stack, orgID string) string {
	t.Helper()
	var out []string
	for _, table := range []string{"projects", "tasks", "audit_events"} {
		var rows string
		err := s.DB.Raw("SELECT coalesce(string_agg(x::text, ';' ORDER BY x.id), '') FROM "+table+" x WHERE organization_id = ?", orgID).Scan(&rows).Error
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, table+": "+rows)
	}
	return strings.Join(out, "\n")
}

// fillPattern turns a route pattern into a method and a path.
func fillPattern(pattern, slug, projectID, taskID string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	r := strings.NewReplacer("{slug}", slug, "{id}", projectID, "{taskID}", taskID)
	return method, r.Replace(path)
}

// TestCrossTenantRoutes walks every tenant route (from handlers.TenantRoutes,
// so new routes are covered without editing this test) as carol, admin of
// globex only, aiming at acme's slug and acme's ids: every answer is a 404,
// nothing of acme's shows, nothing of acme's changes.
func TestCrossTenantRoutes(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	alice := apiToken(t, s, aliceID, acmeID)
	var secret apiProject
	if code, raw := apiCall(t, s, alice, "POST", "/api/v1/projects", map[string]any{"name": "Acme secret plan"}, &secret); code != 201 {
		t.Fatalf("seed project: %d %s", code, raw)
	}
	var task struct{ ID string }
	if code, raw := apiCall(t, s, alice, "POST", "/api/v1/projects/"+secret.ID+"/tasks", map[string]any{"title": "Acme secret task"}, &task); code != 201 {
		t.Fatalf("seed task: %d %s", code, raw)
	}
	before := tenantSnapshot(t, s, acmeID)

	follow, noFollow := s.SignedIn(t, "carol@example.com")
	carolAPI := apiToken(t, s, carolID, globexID)
	form := url.Values{"name": {"Hijacked"}, "title": {"Hijacked"}, "status": {"archived"},
		"organization_id": {acmeID}, "assignee_id": {carolID}, "description": {"x"}}
	jsonBody := map[string]any{"name": "Hijacked", "title": "Hijacked", "done": true, "organization_id": acmeID, "assignee_id": carolID}

	routes := handlers.TenantRoutes()
	if len(routes) < 20 {
		t.Fatalf("only %d tenant routes listed", len(routes))
	}
	for _, rt := range routes {
		hasIDs := strings.Contains(rt.Pattern, "{id}")
		if strings.Contains(rt.Pattern, " /api/") {
			if !hasIDs {
				continue // carol's own organization: covered by the body check below
			}
			method, path := fillPattern(rt.Pattern, "", secret.ID, task.ID)
			var body any
			if method == http.MethodPost || method == http.MethodPatch {
				body = jsonBody
			}
			code, raw := apiCall(t, s, carolAPI, method, path, body, nil)
			if code != http.StatusNotFound || strings.Contains(raw, "Acme secret") {
				t.Errorf("%s as carol = %d %.200s, want 404", rt.Pattern, code, raw)
			}
			continue
		}
		slugs := []string{"acme"}
		if hasIDs {
			slugs = append(slugs, "globex") // her own organization, acme's ids
		}
		for _, slug := range slugs {
			method, path := fillPattern(rt.Pattern, slug, secret.ID, task.ID)
			c, f := follow, url.Values(nil)
			if method != http.MethodGet {
				c, f = noFollow, form
			}
			code, raw, _ := send(t, s, c, method, path, f)
			if code != http.StatusNotFound || strings.Contains(raw, "Acme secret") || strings.Contains(raw, "Acme Inc") {
				t.Errorf("%s %s as carol = %d, want 404 without acme's data", method, path, code)
			}
		}
	}

	// Lists and creates on carol's own organization never show or touch acme.
	for _, path := range []string{"/api/v1/projects", "/api/v1/members"} {
		if code, raw := apiCall(t, s, carolAPI, "GET", path, nil, nil); code != 200 || strings.Contains(raw, "Acme secret") || strings.Contains(raw, bobID) {
			t.Errorf("GET %s as carol = %d %.300s", path, code, raw)
		}
	}
	if code, raw := apiCall(t, s, carolAPI, "POST", "/api/v1/projects", jsonBody, nil); code != 201 || !strings.Contains(raw, globexID) {
		t.Errorf("carol's create = %d %s, want 201 in globex", code, raw)
	}
	if after := tenantSnapshot(t, s, acmeID); after != before {
		t.Errorf("acme's rows changed:\nbefore %s\nafter  %s", before, after)
	}
}

// TestMemberPermissions: bob, a member of acme, manages projects, and is
// refused (403 naming the permission) wherever his membership falls short.
func TestMemberPermissions(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "bob@example.com")
	bobAPI := apiToken(t, s, bobID, acmeID)
	member := models.Tenant{Role: models.RoleMember, Permissions: models.DefaultPermissions(models.RoleMember)}
	for _, rt := range handlers.TenantRoutes() {
		if rt.Permission == "" || member.Can(rt.Permission) || strings.Contains(rt.Pattern, "{id}") {
			continue
		}
		method, path := fillPattern(rt.Pattern, "acme", "", "")
		var code int
		var raw string
		if strings.HasPrefix(path, "/api/") {
			code, raw = apiCall(t, s, bobAPI, method, path, map[string]any{}, nil)
		} else {
			code, raw, _ = send(t, s, noFollow, method, path, url.Values{})
		}
		if code != http.StatusForbidden || !strings.Contains(raw, rt.Permission) {
			t.Errorf("bob %s = %d, want 403 naming %s", rt.Pattern, code, rt.Permission)
		}
	}
	if code, _, resp := send(t, s, noFollow, "POST", "/orgs/acme/projects", url.Values{"name": {"Bob's"}}); code != http.StatusSeeOther {
		t.Fatalf("bob creates a project = %d, want 303", code)
	} else if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/orgs/acme/projects/") {
		t.Errorf("redirect to %q", loc)
	}

	// Without org:projects:manage (a custom role), writes are refused by name.
	s.DB.Exec("UPDATE memberships SET role = 'org:viewer', permissions = '{org:projects:read}' WHERE user_id = ?", bobID)
	testenv.Eventually(t, "the new role reaches the app", func() bool {
		code, _, _ := send(t, s, noFollow, "GET", "/orgs/acme/projects/new", nil)
		return code == http.StatusForbidden
	})
	code, raw, _ := send(t, s, noFollow, "POST", "/orgs/acme/projects", url.Values{"name": {"Again"}})
	if code != http.StatusForbidden || !strings.Contains(raw, "org:projects:manage") {
		t.Errorf("viewer creates a project = %d, want 403 naming org:projects:manage", code)
	}
	var e apiError
	code, _ = apiCall(t, s, apiToken(t, s, bobID, acmeID), "POST", "/api/v1/projects", map[string]any{"name": "x"}, &e)
	if code != http.StatusForbidden || e.Error.Code != "missing_permission" || !strings.Contains(e.Error.Message, "org:projects:manage") {
		t.Errorf("viewer's API create = %d %+v", code, e)
	}
	if code, _, _ := send(t, s, follow, "GET", "/orgs/acme/projects", nil); code != 200 {
		t.Errorf("viewer lists projects = %d, want 200", code)
	}
	if n := countRows(t, s, "projects", acmeID); n != 1 {
		t.Errorf("acme has %d projects, want bob's one", n)
	}
}

// TestCreateOrganization: the organization and the admin membership are
// local as soon as the redirect lands, before any webhook; the webhooks
// then change nothing.
func TestCreateOrganization(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "carol@example.com")

	for _, name := range []string{"", "   ", strings.Repeat("n", 101)} {
		code, raw, _ := send(t, s, noFollow, "POST", "/orgs", url.Values{"name": {name}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(raw, `data-testid="error-name"`) {
			t.Errorf("name %q = %d, want 422 with a field error", name, code)
		}
	}

	code, _, resp := send(t, s, noFollow, "POST", "/orgs", url.Values{"name": {"Initech Labs!"}})
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs/initech-labs" {
		t.Fatalf("create = %d to %q, want 303 to /orgs/initech-labs", code, resp.Header.Get("Location"))
	}
	org, err := models.OrganizationBySlug(t.Context(), s.DB, "initech-labs")
	if err != nil {
		t.Fatalf("organization not local right after the redirect: %v", err)
	}
	m, err := models.MembershipFor(t.Context(), s.DB, org.ID, carolID)
	if err != nil || m.Role != models.RoleAdmin || !m.Has("org:sys_memberships:manage") {
		t.Fatalf("membership right after the redirect = %+v, %v; want admin", m, err)
	}
	code, body, _ := send(t, s, follow, "GET", "/orgs/initech-labs", nil)
	if code != 200 || !strings.Contains(body, "Initech Labs!") || !strings.Contains(body, `data-testid="flash"`) {
		t.Errorf("new organization's dashboard = %d", code)
	}

	s.WaitForWebhooks(t)
	again, err := models.MembershipFor(t.Context(), s.DB, org.ID, carolID)
	if err != nil || again.ID != m.ID || again.Role != models.RoleAdmin {
		t.Errorf("after the webhooks: %+v, %v; want the same admin membership", again, err)
	}
	if code, _, _ := send(t, s, follow, "GET", "/orgs/initech-labs", nil); code != 200 {
		t.Errorf("dashboard after the webhooks = %d", code)
	}

	// A slug Clerk holds but the local tables do not yet: Clerk's 422 shows on the form.
	s.CreateOrganization(t, "Hooli", "hooli", "")
	s.WaitForWebhooks(t)
	s.DB.Exec("UPDATE organizations SET slug = NULL WHERE slug = 'hooli'")
	code, raw, _ := send(t, s, noFollow, "POST", "/orgs", url.Values{"name": {"Hooli"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(raw, `data-testid="error-name"`) || !strings.Contains(raw, `value="Hooli"`) {
		t.Errorf("taken slug = %d, want 422 with the input and a field error", code)
	}
}

// TestOrgListAndApp: /orgs lists the user's organizations; /app opens the
// last one used, while the user is still a member, else the only one.
func TestOrgListAndApp(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "alice@example.com")
	code, body, _ := send(t, s, follow, "GET", "/orgs", nil)
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
	var names []string
	doc.Find(`[data-testid="org-item"] .font-medium`).Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
	if code != 200 || !slices.Equal(names, []string{"Acme Inc", "Globex"}) {
		t.Errorf("/orgs = %d %v, want Acme Inc and Globex", code, names)
	}
	if _, _, resp := send(t, s, noFollow, "GET", "/app", nil); resp.Header.Get("Location") != "/orgs" {
		t.Errorf("/app before any organization = %q, want /orgs", resp.Header.Get("Location"))
	}
	send(t, s, follow, "GET", "/orgs/globex", nil)
	if _, _, resp := send(t, s, noFollow, "GET", "/app", nil); resp.Header.Get("Location") != "/orgs/globex" {
		t.Errorf("/app after globex = %q, want /orgs/globex", resp.Header.Get("Location"))
	}
	// Left with acme alone, the user lands in it (the one organization).
	s.DB.Exec("DELETE FROM memberships WHERE user_id = ? AND organization_id = ?", aliceID, globexID)
	testenv.Eventually(t, "/app after leaving globex goes to acme, the only one left", func() bool {
		_, _, resp := send(t, s, noFollow, "GET", "/app", nil)
		return resp.Header.Get("Location") == "/orgs/acme"
	})
	if code, _, _ := send(t, s, follow, "GET", "/orgs/globex", nil); code != http.StatusNotFound {
		t.Errorf("former organization = %d, want 404", code)
	}
}
