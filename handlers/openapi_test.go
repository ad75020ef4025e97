package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/oapi-codegen/nullable"

	"example.com/saas/api"
	"example.com/saas/api/apicheck"
	apiclient "example.com/saas/api/client"
	"example.com/saas/internal/apptest"
	"example.com/saas/internal/paths"
)

// openAPIChecker loads api/openapi.yaml once for the whole test binary:
// loading it per call would parse and validate it hundreds of times. The
// Checker is never changed once made.
var openAPIChecker = sync.OnceValues(func() (*apicheck.Checker, error) {
	return apicheck.Load(context.Background())
})

// apiClient is an HTTP client whose every round trip is checked against
// the OpenAPI document (apicheck.Checker.Transport): a request to a route
// it lacks, or an answer it does not list, fails the call.
func apiClient(t testing.TB) *http.Client {
	t.Helper()
	c, err := openAPIChecker()
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: c.Transport(nil)}
}

// TestOpenAPIRoutesMatchTheApp: the document has exactly the app's /api/v1
// routes, each with the same method and path (wildcard names aside), so a
// route added to routes.go without the document fails here.
func TestOpenAPIRoutesMatchTheApp(t *testing.T) {
	t.Parallel()
	c, err := openAPIChecker()
	if err != nil {
		t.Fatal(err)
	}
	wildcard := func(p string) string { return placeholder.ReplaceAllString(p, "{}") }
	app := []string{"GET " + paths.APIOpenAPI}
	for _, pattern := range protectedRoutes() {
		if method, path, _ := strings.Cut(pattern, " "); strings.HasPrefix(path, paths.API+"/") {
			app = append(app, method+" "+wildcard(path))
		}
	}
	var documented []string
	for path, item := range c.Document().Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+wildcard(path))
		}
	}
	slices.Sort(app)
	slices.Sort(documented)
	if !slices.Equal(app, documented) {
		t.Errorf("api/openapi.yaml describes\n  %s\nthe app serves\n  %s", strings.Join(documented, "\n  "), strings.Join(app, "\n  "))
	}
}

// TestOpenAPIDocumentServed: GET /api/v1/openapi.json answers the embedded
// document as JSON without a token, cacheable and revalidated by ETag.
func TestOpenAPIDocumentServed(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, apptest.Options{})
	want, err := api.JSON()
	if err != nil {
		t.Fatal(err)
	}
	get := func(header http.Header) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+paths.APIOpenAPI, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := apiClient(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := get(nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, want) || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s = %d %q %.100s, want the document as JSON", paths.APIOpenAPI, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// What is served is the YAML's document, not just what api.JSON makes
	// of it: the same version and every path of the checked document.
	var served struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	c, err := openAPIChecker()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &served); err != nil || served.OpenAPI != "3.1.0" || len(served.Paths) != c.Document().Paths.Len() {
		t.Errorf("served document: openapi %q, %d paths (%v), want 3.1.0 and the YAML's %d", served.OpenAPI, len(served.Paths), err, c.Document().Paths.Len())
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("headers %v, want an ETag and a max-age", resp.Header)
	}
	if resp, _ := get(http.Header{"If-None-Match": {etag}}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match its ETag = %d, want 304", resp.StatusCode)
	}
	// A bad token changes nothing: the document is public.
	if resp, _ := get(http.Header{"Authorization": {"Bearer not-a-token"}}); resp.StatusCode != http.StatusOK {
		t.Errorf("with a bad token = %d, want 200", resp.StatusCode)
	}
}

// TestAPIGeneratedClient uses the generated client as a mobile or web team
// would: list, create, read back, a typed 422, tasks with an assignee and
// unassigning with null, pages by cursor, and 401 without a token.
func TestAPIGeneratedClient(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	ctx := t.Context()
	client := func(token string) *apiclient.ClientWithResponses {
		c, err := apiclient.NewClientWithResponses(s.URL,
			apiclient.WithHTTPClient(apiClient(t)),
			apiclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				return nil
			}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	alice := client(apiToken(t, s, aliceID, acmeID))

	me, err := alice.GetMeWithResponse(ctx)
	if err != nil || me.JSON200 == nil || me.JSON200.User.Id != aliceID {
		t.Fatalf("GetMe = %v %+v", err, me)
	}
	if org, err := me.JSON200.Organization.Get(); err != nil || org.Id != acmeID || !slices.Contains(org.Permissions, "org:projects:manage") {
		t.Errorf("organization = %+v (%v), want acme with org:projects:manage", org, err)
	}

	list, err := alice.ListProjectsWithResponse(ctx, nil)
	if err != nil || list.JSON200 == nil || len(list.JSON200.Data) != 0 || !list.JSON200.NextCursor.IsNull() {
		t.Fatalf("ListProjects = %v %s, want an empty last page", err, list.Body)
	}
	desc := "From the generated client"
	created, err := alice.CreateProjectWithResponse(ctx, apiclient.ProjectCreate{Name: "Mobile", Description: &desc})
	if err != nil || created.JSON201 == nil || created.JSON201.Status != apiclient.Active || created.JSON201.OrganizationId != acmeID {
		t.Fatalf("CreateProject = %v %d %s", err, created.StatusCode(), created.Body)
	}
	p := created.JSON201
	if by, _ := p.CreatedBy.Get(); by != aliceID {
		t.Errorf("created_by = %q, want alice", by)
	}
	got, err := alice.GetProjectWithResponse(ctx, p.Id)
	if err != nil || got.JSON200 == nil || got.JSON200.Name != "Mobile" || got.JSON200.Description != desc {
		t.Errorf("GetProject = %v %s", err, got.Body)
	}

	// Invalid input is the typed 422, naming each field. A blank name
	// passes the document (it is trimmed by the app) and is refused all the same.
	bad, err := alice.CreateProjectWithResponse(ctx, apiclient.ProjectCreate{Name: "   "})
	if err != nil || bad.JSON422 == nil || bad.JSON422.Error.Code != "validation_failed" || bad.JSON422.Error.Fields["name"] == "" {
		t.Errorf("blank name = %v %d %s, want the typed 422 naming name", err, bad.StatusCode(), bad.Body)
	}

	task, err := alice.CreateTaskWithResponse(ctx, p.Id, apiclient.TaskCreate{Title: "Ship it", AssigneeId: nullable.NewNullableWithValue(bobID)})
	if err != nil || task.JSON201 == nil {
		t.Fatalf("CreateTask = %v %s", err, task.Body)
	}
	if who, _ := task.JSON201.AssigneeId.Get(); who != bobID {
		t.Errorf("assignee = %q, want bob", who)
	}
	done := true
	updated, err := alice.UpdateTaskWithResponse(ctx, p.Id, task.JSON201.Id, apiclient.TaskUpdate{Done: &done, AssigneeId: nullable.NewNullNullable[string]()})
	if err != nil || updated.JSON200 == nil || !updated.JSON200.Done || !updated.JSON200.AssigneeId.IsNull() || updated.JSON200.Title != "Ship it" {
		t.Errorf("UpdateTask done, unassigned = %v %s", err, updated.Body)
	}
	tasks, err := alice.ListTasksWithResponse(ctx, p.Id, &apiclient.ListTasksParams{})
	if err != nil || tasks.JSON200 == nil || len(tasks.JSON200.Data) != 1 {
		t.Errorf("ListTasks = %v %s", err, tasks.Body)
	}

	// Pages by cursor until next_cursor is null.
	if _, err := alice.CreateProjectWithResponse(ctx, apiclient.ProjectCreate{Name: "Web"}); err != nil {
		t.Fatal(err)
	}
	limit, seen := 1, 0
	params := &apiclient.ListProjectsParams{Limit: &limit}
	for range 3 {
		page, err := alice.ListProjectsWithResponse(ctx, params)
		if err != nil || page.JSON200 == nil {
			t.Fatalf("page = %v %s", err, page.Body)
		}
		seen += len(page.JSON200.Data)
		next, err := page.JSON200.NextCursor.Get()
		if err != nil {
			break
		}
		params.Cursor = &next
	}
	if seen != 2 {
		t.Errorf("paged through %d projects, want 2", seen)
	}

	if del, err := alice.DeleteProjectWithResponse(ctx, p.Id); err != nil || del.StatusCode() != http.StatusNoContent {
		t.Errorf("DeleteProject = %v %v", err, del)
	}
	if gone, err := alice.GetProjectWithResponse(ctx, p.Id); err != nil || gone.JSON404 == nil || gone.JSON404.Error.Code != "not_found" {
		t.Errorf("deleted project = %v %v, want the typed 404", err, gone)
	}
	if anon, err := client("").ListProjectsWithResponse(ctx, nil); err != nil || anon.JSON401 == nil || anon.JSON401.Error.Code != "unauthenticated" {
		t.Errorf("no token = %v %v, want the typed 401", err, anon)
	}
}
