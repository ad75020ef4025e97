package handlers_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"example.com/saas/internal/apptest"
)

// conditionalGet sends GET path with the token and, when set, If-None-Match;
// the transport's own gzip is off, so the headers are the server's.
func conditionalGet(t *testing.T, s *apptest.Stack, token, path, ifNoneMatch, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	req.Header.Set("Accept-Encoding", acceptEncoding)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// TestAPIETags: reads carry a weak ETag of their body; sending it back
// answers 304 without a body (compressed or not); a change gives a new tag;
// errors carry none.
func TestAPIETags(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	bob := apiToken(t, s, bobID, acmeID)
	var p apiProject
	if code, raw := apiCall(t, s, bob, "POST", "/api/v1/projects", map[string]any{"name": "Tagged", "description": strings.Repeat("long enough to compress ", 60)}, &p); code != http.StatusCreated {
		t.Fatalf("create = %d %s", code, raw)
	}
	for _, path := range []string{"/api/v1/projects/" + p.ID, "/api/v1/projects", "/api/v1/projects/" + p.ID + "/tasks", "/api/v1/members", "/api/v1/me"} {
		resp, body := conditionalGet(t, s, bob, path, "", "identity")
		tag := resp.Header.Get("ETag")
		if resp.StatusCode != 200 || !strings.HasPrefix(tag, `W/"`) || len(body) == 0 {
			t.Fatalf("GET %s = %d, ETag %q", path, resp.StatusCode, tag)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "private, no-cache" {
			t.Errorf("GET %s: Cache-Control %q", path, cc)
		}
		for _, enc := range []string{"identity", "gzip", "zstd"} {
			resp, body := conditionalGet(t, s, bob, path, tag, enc)
			if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("ETag") != tag {
				t.Errorf("GET %s If-None-Match (%s) = %d with %d bytes, ETag %q; want 304, none, %q", path, enc, resp.StatusCode, len(body), resp.Header.Get("ETag"), tag)
			}
		}
		// Another tag, or a list naming it among others.
		if resp, _ := conditionalGet(t, s, bob, path, `W/"other"`, "identity"); resp.StatusCode != 200 {
			t.Errorf("GET %s with another tag = %d, want 200", path, resp.StatusCode)
		}
		if resp, _ := conditionalGet(t, s, bob, path, `"a", `+strings.TrimPrefix(tag, "W/"), "identity"); resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with the tag in a list = %d, want 304", path, resp.StatusCode)
		}
	}

	// The compressed answer is the same representation: the same weak tag.
	plain, _ := conditionalGet(t, s, bob, "/api/v1/projects/"+p.ID, "", "identity")
	zipped, _ := conditionalGet(t, s, bob, "/api/v1/projects/"+p.ID, "", "gzip")
	if zipped.Header.Get("Content-Encoding") != "gzip" || zipped.Header.Get("ETag") != plain.Header.Get("ETag") {
		t.Errorf("gzip answer: Content-Encoding %q, ETag %q; want gzip, %q", zipped.Header.Get("Content-Encoding"), zipped.Header.Get("ETag"), plain.Header.Get("ETag"))
	}

	// A change makes a new tag, and the old one no longer matches.
	old := plain.Header.Get("ETag")
	if code, raw := apiCall(t, s, bob, "PATCH", "/api/v1/projects/"+p.ID, map[string]any{"status": "archived"}, nil); code != 200 {
		t.Fatalf("patch = %d %s", code, raw)
	}
	resp, body := conditionalGet(t, s, bob, "/api/v1/projects/"+p.ID, old, "identity")
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == old || !strings.Contains(string(body), `"archived"`) {
		t.Errorf("after a change: %d, ETag %q (was %q)", resp.StatusCode, resp.Header.Get("ETag"), old)
	}

	// Errors have no tag.
	resp, _ = conditionalGet(t, s, bob, "/api/v1/projects/00000000-0000-0000-0000-000000000000", "*", "identity")
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("ETag") != "" {
		t.Errorf("missing project = %d, ETag %q; want 404 without one", resp.StatusCode, resp.Header.Get("ETag"))
	}
}
