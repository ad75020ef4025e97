package clerkdev

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestClerkErrorCodes checks the 4xx answers whose status, code or meta must be Clerk's
// (its Backend API error index), each from a raw request as any SDK would send it.
func TestClerkErrorCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	bob, acme := seedID("user", "bob"), seedID("org", "acme")
	status, b := e.bapi(http.MethodPost, "/v1/organizations", map[string]any{"name": "Tiny", "created_by": bob, "max_allowed_memberships": 1})
	if status != http.StatusOK {
		t.Fatalf("create Tiny = %d %s", status, b)
	}
	tiny := idOf(t, b)
	status, b = e.bapi(http.MethodPost, "/v1/organizations/"+acme+"/invitations", map[string]any{"email_address": "dup@example.com", "role": RoleMember})
	if status != http.StatusOK {
		t.Fatalf("invite = %d %s", status, b)
	}
	invID := idOf(t, b)
	if s, b := e.bapi(http.MethodPost, "/v1/organizations/"+acme+"/invitations/"+invID+"/revoke", nil); s != http.StatusOK {
		t.Fatalf("revoke = %d %s", s, b)
	}

	tests := []struct {
		name, method, path string
		body               any
		wantStatus         int
		wantCode, wantArg  string
	}{
		{"short password on create", "POST", "/v1/users", map[string]any{"email_address": []string{"p@example.com"}, "password": "short"}, 422, "form_password_length_too_short", "password"},
		{"short password on update", "PATCH", "/v1/users/" + bob, map[string]any{"password": "1234567"}, 422, "form_password_length_too_short", "password"},
		{"password over 72 bytes", "POST", "/v1/users", map[string]any{"email_address": []string{"p@example.com"}, "password": strings.Repeat("é", 40)}, 422, "form_password_size_in_bytes_exceeded", "password"},
		{"user without an email address", "POST", "/v1/users", map[string]any{"first_name": "No"}, 422, "form_data_missing", ""},
		{"wrong JSON type", "POST", "/v1/users", map[string]any{"first_name": 7, "email_address": []string{"t@example.com"}}, 422, "form_param_value_invalid", "first_name"},
		{"missing parameter", "POST", "/v1/organizations", map[string]any{}, 422, "form_param_missing", "name"},
		{"empty organization name", "PATCH", "/v1/organizations/" + acme, map[string]any{"name": " "}, 422, "form_param_value_invalid", "name"},
		{"unknown creator", "POST", "/v1/organizations", map[string]any{"name": "Ghost", "created_by": "user_nope"}, 400, "organization_creator_not_found", ""},
		{"unknown role", "POST", "/v1/organizations/" + acme + "/memberships", map[string]any{"user_id": seedID("user", "carol"), "role": "org:owner"}, 404, "resource_not_found", "role"},
		{"short role key", "POST", "/v1/organizations/" + acme + "/invitations", map[string]any{"email_address": "r@example.com", "role": "admin"}, 404, "resource_not_found", "role"},
		{"already a member", "POST", "/v1/organizations/" + acme + "/memberships", map[string]any{"user_id": bob, "role": RoleMember}, 400, "already_a_member_in_organization", ""},
		{"membership quota", "POST", "/v1/organizations/" + tiny + "/memberships", map[string]any{"user_id": seedID("user", "carol"), "role": RoleMember}, 403, "organization_membership_quota_exceeded", ""},
		{"duplicate organization invitation", "POST", "/v1/organizations/" + acme + "/invitations", map[string]any{"email_address": "erin@example.com", "role": RoleMember}, 400, "duplicate_record", ""},
		{"revoke a revoked organization invitation", "POST", "/v1/organizations/" + acme + "/invitations/" + invID + "/revoke", nil, 404, "organization_invitation_not_pending", ""},
		{"unknown user", "GET", "/v1/users/user_nope", nil, 404, "resource_not_found", ""},
		{"unknown organization", "GET", "/v1/organizations/nope", nil, 404, "resource_not_found", ""},
		{"unknown session", "GET", "/v1/sessions/sess_nope", nil, 404, "resource_not_found", ""},
		{"session token lifetime under 30 s", "POST", "/v1/sessions/sess_nope/tokens", map[string]any{"expires_in_seconds": 29}, 422, "form_param_value_invalid", "expires_in_seconds"},
		{"handshake payload without nonce", "GET", "/v1/clients/handshake_payload", nil, 400, "missing_query_parameter", ""},
		{"unknown route", "GET", "/v1/nothing_here", nil, 404, "resource_not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "duplicate organization invitation" {
				if s, b := e.bapi(tt.method, tt.path, tt.body); s != http.StatusOK {
					t.Fatalf("first invitation = %d %s", s, b)
				}
			}
			status, b := e.bapi(tt.method, tt.path, tt.body)
			wantErrorBody(t, status, b, tt.wantStatus, tt.wantCode, tt.wantArg)
		})
	}

	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/users", nil)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantErrorBody(t, resp.StatusCode, body, http.StatusUnauthorized, "authorization_header_format_invalid", "")
}

// idOf returns the id of a Backend API object.
func idOf(t *testing.T, body []byte) string {
	t.Helper()
	var obj struct{ ID string }
	if err := json.Unmarshal(body, &obj); err != nil || obj.ID == "" {
		t.Fatalf("no id in %s (%v)", body, err)
	}
	return obj.ID
}

func TestDuplicateInvitationNamesTheAddresses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	path := "/v1/organizations/" + seedID("org", "globex") + "/invitations"
	body := map[string]any{"email_address": "twice@example.com", "role": RoleMember}
	if s, b := e.bapi(http.MethodPost, path, body); s != http.StatusOK {
		t.Fatalf("first invitation = %d %s", s, b)
	}
	_, b := e.bapi(http.MethodPost, path, body)
	if !strings.Contains(string(b), `"email_addresses":["twice@example.com"]`) ||
		!strings.Contains(string(b), "There are already pending invitations for the following email addresses: twice@example.com") {
		t.Errorf("duplicate = %s, want Clerk's long message and meta.email_addresses", b)
	}
}

// wantErrorBody asserts a raw Backend API answer is Clerk's error envelope with status,
// code and (when param is set) meta.param_name.
func wantErrorBody(t *testing.T, status int, body []byte, wantStatus int, code, param string) {
	t.Helper()
	var env struct {
		Errors []struct {
			Code        string         `json:"code"`
			Message     string         `json:"message"`
			LongMessage string         `json:"long_message"`
			Meta        map[string]any `json:"meta"`
		} `json:"errors"`
		TraceID string `json:"clerk_trace_id"`
	}
	if err := json.Unmarshal(body, &env); err != nil || len(env.Errors) != 1 || env.TraceID == "" {
		t.Fatalf("body = %s (%v), want Clerk's error envelope", body, err)
	}
	got := env.Errors[0]
	if status != wantStatus || got.Code != code || got.Message == "" || got.LongMessage == "" {
		t.Fatalf("= %d %+v, want %d %s with messages", status, got, wantStatus, code)
	}
	if param != "" && got.Meta["param_name"] != param {
		t.Errorf("meta = %v, want param_name %s", got.Meta, param)
	}
}
