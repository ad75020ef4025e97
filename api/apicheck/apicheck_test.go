package apicheck_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/saas/api"
	"example.com/saas/api/apicheck"
)

// TestDocumentIsValid: api/openapi.yaml is a valid OpenAPI 3.1 document,
// and what the app serves is the same document as JSON.
func TestDocumentIsValid(t *testing.T) {
	t.Parallel()
	c, err := apicheck.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Document().OpenAPI; v != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", v)
	}
	if c.Document().Components.SecuritySchemes["bearerAuth"] == nil || len(c.Document().Security) != 1 {
		t.Error("bearerAuth is not the global security requirement")
	}
	b, err := api.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil || doc["openapi"] != "3.1.0" || doc["paths"] == nil {
		t.Errorf("api.JSON() = %.200s (%v), want the document", b, err)
	}
}

// TestTransportCatchesDrift: each way the app and the document can
// disagree fails the round trip, and agreement passes.
func TestTransportCatchesDrift(t *testing.T) {
	t.Parallel()
	c, err := apicheck.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	const project = `{"id":"0b6f8e1e-2c1d-4a57-9b3e-1f2a3b4c5d6e","organization_id":"org_1","name":"A","description":"","status":"active",` +
		`"created_by":null,"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}`
	for _, tt := range []struct {
		name, method, path, token, body string
		status                          int
		answer                          string
		wantErr                         string // "" for none
	}{
		{"agrees", "GET", "/api/v1/projects?limit=5", "tok", "", 200, `{"data":[` + project + `],"next_cursor":null}`, ""},
		{"422 agrees", "POST", "/api/v1/projects", "tok", `{"name":""}`, 422,
			`{"error":{"code":"validation_failed","message":"m","fields":{"name":"Enter a name."}}}`, ""},
		{"unknown route", "GET", "/api/v1/nope", "tok", "", 404, `{"error":{"code":"not_found","message":"m"}}`, "not a route"},
		{"undocumented status", "GET", "/api/v1/projects", "tok", "", 418, `{}`, "status is not supported"},
		{"body shape", "GET", "/api/v1/projects", "tok", "", 200, `{"data":[{"id":"x"}],"next_cursor":null}`, "does not match"},
		{"null not allowed", "GET", "/api/v1/projects", "tok", "", 200, `{"data":null,"next_cursor":null}`, "does not match"},
		{"422 without fields", "GET", "/api/v1/projects?limit=0", "tok", "", 422, `{"error":{"code":"validation_failed","message":"m"}}`, "does not match"},
		{"invalid request accepted", "GET", "/api/v1/projects?limit=500", "tok", "", 200, `{"data":[],"next_cursor":null}`, "did not refuse"},
		{"invalid request refused", "GET", "/api/v1/projects?limit=500", "tok", "", 422,
			`{"error":{"code":"validation_failed","message":"m","fields":{"limit":"x"}}}`, ""},
		{"no token accepted", "GET", "/api/v1/me", "", "", 200, `{"user":{"id":"u"},"session_id":"s","organization":null}`, "did not refuse"},
		{"public document", "GET", "/api/v1/openapi.json", "", "", 200, `{}`, "header"}, // the fake sends no ETag or Cache-Control
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.answer)
			}))
			defer srv.Close()
			client := &http.Client{Transport: c.Transport(nil)}
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, body)
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("round trip failed: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}
