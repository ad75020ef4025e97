package handlers_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/paths"
)

// TestTaskHtmxAndFallbacks: each task action answers htmx with its row
// alone (the pages loaded with "Load more" stay) and a plain form post
// with a redirect; a stale htmx request after sign-out gets HX-Redirect to
// sign-in.
func TestTaskHtmxAndFallbacks(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	_, noFollow := s.SignedIn(t, "alice@example.com")
	alice := apiToken(t, s, aliceID, acmeID)
	var p apiProject
	apiCall(t, s, alice, "POST", "/api/v1/projects", map[string]any{"name": "Site"}, &p)
	var task struct{ ID string }
	apiCall(t, s, alice, "POST", "/api/v1/projects/"+p.ID+"/tasks", map[string]any{"title": "Copy"}, &task)
	base := paths.Task("acme", p.ID, task.ID)

	htmx := func(path string, form url.Values) (int, string, *http.Response) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Current-URL", s.URL+paths.Project("acme", p.ID))
		req.Header.Set("Origin", s.URL)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw), resp
	}
	for _, c := range []struct {
		action string
		form   url.Values
		check  func(body string) bool
	}{
		{"/toggle", url.Values{}, func(b string) bool { return strings.Contains(b, `data-done="true"`) }},
		{"/assign", url.Values{"assignee_id": {bobID}}, func(b string) bool {
			return doc(t, b).Find(`option[selected][value="`+bobID+`"]`).Length() == 1
		}},
		{"/delete", url.Values{}, func(b string) bool {
			return len(testIDs(t, b, "empty-state")) == 1 && len(testIDs(t, b, "task-deleted")) == 1
		}},
	} {
		code, body, _ := htmx(base+c.action, c.form)
		if code != 200 || strings.Contains(body, "<html") || !strings.HasPrefix(strings.TrimSpace(body), `<li id="task-`+task.ID+`"`) || !c.check(body) {
			t.Errorf("htmx %s = %d %.200s, want the task's row alone", c.action, code, body)
		}
	}

	apiCall(t, s, alice, "POST", "/api/v1/projects/"+p.ID+"/tasks", map[string]any{"title": "Palette"}, &task)
	base = paths.Task("acme", p.ID, task.ID)
	for _, action := range []string{"/toggle", "/assign", "/delete"} {
		if code, _, resp := send(t, s, noFollow, "POST", base+action, url.Values{"assignee_id": {aliceID}}); code != http.StatusSeeOther || resp.Header.Get("Location") != paths.Project("acme", p.ID) {
			t.Errorf("plain %s = %d, want 303 back to the project", action, code)
		}
	}
	if code, _, _ := send(t, s, noFollow, "POST", base+"/delete", nil); code != http.StatusNotFound {
		t.Errorf("delete twice = %d, want 404", code)
	}

	// Signed out in another tab: the next htmx click goes to sign-in.
	if code, _, _ := send(t, s, noFollow, "POST", "/sign-out", nil); code != http.StatusSeeOther {
		t.Fatalf("sign-out = %d", code)
	}
	code, _, resp := htmx(base+"/toggle", url.Values{})
	if code != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/sign-in?redirect_url=") {
		t.Errorf("stale htmx = %d, HX-Redirect %q", code, resp.Header.Get("HX-Redirect"))
	}
}
