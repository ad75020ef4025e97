package handlers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// The emulator's default seed (internal/clerkdev/seed.go).
const (
	aliceID  = "user_2alice000000000000000000000"
	bobID    = "user_2bob00000000000000000000000"
	carolID  = "user_2carol000000000000000000000"
	acmeID   = "org_2acme0000000000000000000000"
	globexID = "org_2globex00000000000000000000"
)

// apiToken mints a session token for userID with orgID active ("" for none).
func apiToken(t *testing.T, s *apptest.Stack, userID, orgID string) string {
	t.Helper()
	_, tok := s.Session(t, userID, orgID)
	return tok
}

// apiCall sends a JSON request with the token and decodes the answer into
// out (when not nil); it returns the status and the raw body. It goes
// through apiClient, so every call is checked against api/openapi.yaml.
func apiCall(t *testing.T, s *apptest.Stack, token, method, path string, body any, out any) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		if str, ok := body.(string); ok {
			rd = strings.NewReader(str)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := apiClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, string(raw)
}

type apiProject struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	Status         string `json:"status"`
}

type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func countRows(t *testing.T, s *apptest.Stack, table, orgID string) int64 {
	t.Helper()
	var n int64
	if err := s.DB.Raw("SELECT count(*) FROM "+table+" WHERE organization_id = ?", orgID).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAPIProjectsAndTasks(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	bob := apiToken(t, s, bobID, acmeID)

	// A member creates a project; organization_id in the body is ignored.
	var p apiProject
	code, raw := apiCall(t, s, bob, "POST", "/api/v1/projects", map[string]any{"name": " Launch ", "description": "Q3", "organization_id": globexID, "extra": 1}, &p)
	if code != http.StatusCreated || p.Name != "Launch" || p.OrganizationID != acmeID || p.Status != "active" {
		t.Fatalf("create = %d %s, want 201 in acme", code, raw)
	}
	if n := countRows(t, s, "projects", globexID); n != 0 {
		t.Errorf("globex has %d projects after a body naming it", n)
	}

	var e apiError
	code, _ = apiCall(t, s, bob, "POST", "/api/v1/projects", map[string]any{"name": strings.Repeat("x", 101), "status": "gone"}, &e)
	if code != http.StatusUnprocessableEntity || e.Error.Code != "validation_failed" || e.Error.Fields["name"] == "" || e.Error.Fields["status"] == "" {
		t.Errorf("invalid create = %d %+v, want 422 with name and status errors", code, e)
	}
	if code, _ := apiCall(t, s, bob, "POST", "/api/v1/projects", `{"name":`, nil); code != http.StatusBadRequest {
		t.Errorf("malformed JSON = %d, want 400", code)
	}
	if code, _ := apiCall(t, s, bob, "POST", "/api/v1/projects", `{"name":"`+strings.Repeat("x", 70<<10)+`"}`, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("70 KiB body = %d, want 413", code)
	}

	var updated apiProject
	code, raw = apiCall(t, s, bob, "PATCH", "/api/v1/projects/"+p.ID, map[string]any{"status": "archived", "organization_id": globexID}, &updated)
	if code != 200 || updated.Status != "archived" || updated.Name != "Launch" || updated.OrganizationID != acmeID {
		t.Errorf("patch = %d %s", code, raw)
	}
	for _, id := range []string{"not-a-uuid", "00000000-0000-0000-0000-000000000000", p.ID + "x"} {
		if code, _ := apiCall(t, s, bob, "GET", "/api/v1/projects/"+id, nil, nil); code != http.StatusNotFound {
			t.Errorf("GET project %q = %d, want 404", id, code)
		}
	}

	// Tasks: create, assign to a member, refuse a non-member, complete.
	var task struct {
		ID         string  `json:"id"`
		Done       bool    `json:"done"`
		AssigneeID *string `json:"assignee_id"`
	}
	code, raw = apiCall(t, s, bob, "POST", "/api/v1/projects/"+p.ID+"/tasks", map[string]any{"title": "Write docs", "assignee_id": aliceID}, &task)
	if code != http.StatusCreated || task.AssigneeID == nil || *task.AssigneeID != aliceID {
		t.Fatalf("create task = %d %s", code, raw)
	}
	e = apiError{}
	code, _ = apiCall(t, s, bob, "PATCH", "/api/v1/projects/"+p.ID+"/tasks/"+task.ID, map[string]any{"assignee_id": carolID}, &e)
	if code != http.StatusUnprocessableEntity || e.Error.Fields["assignee_id"] == "" {
		t.Errorf("assign to a non-member = %d %+v, want 422", code, e)
	}
	code, raw = apiCall(t, s, bob, "PATCH", "/api/v1/projects/"+p.ID+"/tasks/"+task.ID, map[string]any{"done": true, "assignee_id": nil}, &task)
	if code != 200 || !task.Done || task.AssigneeID != nil {
		t.Errorf("complete and unassign = %d %s", code, raw)
	}
	e = apiError{}
	if code, _ := apiCall(t, s, bob, "POST", "/api/v1/projects/"+p.ID+"/tasks", map[string]any{"title": ""}, &e); code != 422 || e.Error.Fields["title"] == "" {
		t.Errorf("empty title = %d %+v", code, e)
	}

	var members struct {
		Data []struct {
			UserID string `json:"user_id"`
			Role   string `json:"role"`
		} `json:"data"`
	}
	if code, raw := apiCall(t, s, bob, "GET", "/api/v1/members", nil, &members); code != 200 || len(members.Data) != 2 {
		t.Errorf("members = %d %s, want acme's two", code, raw)
	}

	// Every write is in the audit log: project created, updated; task created, completed.
	if n := countRows(t, s, "audit_events", acmeID); n != 4 {
		t.Errorf("audit events = %d, want 4", n)
	}
	if code, _ := apiCall(t, s, bob, "DELETE", "/api/v1/projects/"+p.ID+"/tasks/"+task.ID, nil, nil); code != http.StatusNoContent {
		t.Errorf("delete task = %d", code)
	}
	if code, _ := apiCall(t, s, bob, "DELETE", "/api/v1/projects/"+p.ID, nil, nil); code != http.StatusNoContent {
		t.Errorf("delete project = %d", code)
	}
	if code, _ := apiCall(t, s, bob, "GET", "/api/v1/projects/"+p.ID, nil, nil); code != http.StatusNotFound {
		t.Errorf("deleted project = %d, want 404", code)
	}
	var actions []string
	s.DB.Raw("SELECT action FROM audit_events WHERE organization_id = ? ORDER BY created_at", acmeID).Scan(&actions)
	if n := len(actions); n != 6 || actions[5] != "project.deleted" {
		t.Errorf("audit actions = %v, want 6 ending with project.deleted", actions)
	}
}

func TestAPIPagination(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	alice := apiToken(t, s, aliceID, acmeID)
	for i := range 25 {
		if code, raw := apiCall(t, s, alice, "POST", "/api/v1/projects", map[string]any{"name": "P" + string(rune('a'+i))}, nil); code != 201 {
			t.Fatalf("create %d = %d %s", i, code, raw)
		}
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		var page struct {
			Data       []apiProject `json:"data"`
			NextCursor *string      `json:"next_cursor"`
		}
		path := "/api/v1/projects?limit=10"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if code, raw := apiCall(t, s, alice, "GET", path, nil, &page); code != 200 {
			t.Fatalf("page %d = %d %s", pages, code, raw)
		}
		pages++
		for _, p := range page.Data {
			if seen[p.ID] {
				t.Errorf("project %s on two pages", p.Name)
			}
			seen[p.ID] = true
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if len(seen) != 25 || pages != 3 {
		t.Errorf("paged through %d projects in %d pages, want 25 in 3", len(seen), pages)
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x"} {
		var e apiError
		if code, _ := apiCall(t, s, alice, "GET", "/api/v1/projects?"+q, nil, &e); code != 422 || e.Error.Fields["limit"] == "" {
			t.Errorf("?%s = %d, want 422 naming limit", q, code)
		}
	}
	if code, _ := apiCall(t, s, alice, "GET", "/api/v1/projects?cursor=garbage", nil, nil); code != http.StatusBadRequest {
		t.Errorf("bad cursor = %d, want 400", code)
	}
	var found struct{ Data []apiProject }
	if apiCall(t, s, alice, "GET", "/api/v1/projects?q=PC", nil, &found); len(found.Data) != 1 || found.Data[0].Name != "Pc" {
		t.Errorf("?q=PC found %+v, want Pc", found.Data)
	}
}

func TestAPINeedsActiveOrganization(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	var e apiError
	code, _ := apiCall(t, s, apiToken(t, s, aliceID, ""), "GET", "/api/v1/projects", nil, &e)
	if code != http.StatusForbidden || e.Error.Code != "no_active_organization" {
		t.Errorf("no active org = %d %+v, want 403 no_active_organization", code, e)
	}
	// Removed locally (the webhook said so) while the token still names the
	// org: Clerk's older copy, read through on the miss, does not restore it.
	if _, err := models.DeleteMembership(t.Context(), s.DB, "", acmeID, bobID); err != nil {
		t.Fatal(err)
	}
	if code, _ := apiCall(t, s, apiToken(t, s, aliceID, acmeID), "GET", "/api/v1/projects", nil, nil); code != 200 {
		t.Errorf("alice = %d", code)
	}
	bob := apiToken(t, s, bobID, acmeID)
	testenv.Eventually(t, "token of a removed member is a 404", func() bool {
		code, _ := apiCall(t, s, bob, "GET", "/api/v1/projects", nil, nil)
		return code == http.StatusNotFound
	})
}

// TestMeReportsTheSyncedMembership: /api/v1/me answers with the role and
// permissions of the synced membership, never the token's claims. Clerk
// leaves system permissions out of session claims, so the token cannot be
// the source; and a token claiming more than the membership grants (here
// bob, a member, signed as an admin with org:sys_memberships:manage) gets
// only what the membership says.
func TestMeReportsTheSyncedMembership(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	claims := map[string]any{"sub": bobID, "v": 2, "fea": "o:sys_memberships,o:projects",
		"o": map[string]any{"id": acmeID, "slg": "acme", "rol": "admin", "per": "manage,read", "fpm": "3,3"}}
	var me struct {
		Organization struct {
			ID          string   `json:"id"`
			Role        string   `json:"role"`
			Permissions []string `json:"permissions"`
		} `json:"organization"`
	}
	if code, raw := apiCall(t, s, s.SignToken(t, claims), "GET", "/api/v1/me", nil, &me); code != 200 {
		t.Fatalf("/api/v1/me = %d %s", code, raw)
	}
	if me.Organization.ID != acmeID || me.Organization.Role != "org:member" {
		t.Errorf("organization = %+v, want acme as org:member (the membership's role)", me.Organization)
	}
	if slices.Contains(me.Organization.Permissions, "org:sys_memberships:manage") || !slices.Contains(me.Organization.Permissions, "org:projects:read") {
		t.Errorf("permissions = %v, want the member's (no org:sys_memberships:manage)", me.Organization.Permissions)
	}
}
