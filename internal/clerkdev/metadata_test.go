package clerkdev

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	sdkuser "github.com/clerk/clerk-sdk-go/v2/user"
)

// raw is a *json.RawMessage for the SDK's metadata parameters.
func raw(s string) *json.RawMessage {
	m := json.RawMessage(s)
	return &m
}

// wantJSON asserts got and want are the same JSON value.
func wantJSON(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s = %s: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("%s = %s, want %s", what, gb, wb)
	}
}

// TestUserMetadata runs one user through Clerk's metadata semantics, step by step:
// PATCH /metadata deep-merges, PUT /metadata and PATCH /users/{id} replace.
func TestUserMetadata(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	ctx := context.Background()
	users := sdkuser.NewClient(e.sdk())
	bob := seedID("user", "bob")

	merge := func(p *sdkuser.UpdateMetadataParams) (*clerk.User, error) { return users.UpdateMetadata(ctx, bob, p) }
	update := func(p *sdkuser.UpdateParams) (*clerk.User, error) { return users.Update(ctx, bob, p) }
	replace := func(body string) (*clerk.User, error) {
		status, b := e.bapi(http.MethodPut, "/v1/users/"+bob+"/metadata", json.RawMessage(body))
		if status != http.StatusOK {
			t.Fatalf("PUT metadata = %d %s", status, b)
		}
		var u clerk.User
		return &u, json.Unmarshal(b, &u)
	}
	steps := []struct {
		name                    string
		call                    func() (*clerk.User, error)
		public, private, unsafe string
	}{
		{"update sets", func() (*clerk.User, error) {
			return update(&sdkuser.UpdateParams{PublicMetadata: raw(`{"plan":"free","prefs":{"theme":"dark","lang":"en"},"tags":["a","b"]}`),
				PrivateMetadata: raw(`{"stripe":"cus_1"}`)})
		}, `{"plan":"free","prefs":{"theme":"dark","lang":"en"},"tags":["a","b"]}`, `{"stripe":"cus_1"}`, `{}`},
		{"merge adds and nests", func() (*clerk.User, error) {
			return merge(&sdkuser.UpdateMetadataParams{PublicMetadata: raw(`{"prefs":{"lang":"fr","tz":"UTC"},"seats":3}`)})
		}, `{"plan":"free","prefs":{"theme":"dark","lang":"fr","tz":"UTC"},"tags":["a","b"],"seats":3}`, `{"stripe":"cus_1"}`, `{}`},
		{"null deletes, at any depth", func() (*clerk.User, error) {
			return merge(&sdkuser.UpdateMetadataParams{PublicMetadata: raw(`{"plan":null,"prefs":{"theme":null}}`)})
		}, `{"prefs":{"lang":"fr","tz":"UTC"},"tags":["a","b"],"seats":3}`, `{"stripe":"cus_1"}`, `{}`},
		{"arrays and scalars replace", func() (*clerk.User, error) {
			return merge(&sdkuser.UpdateMetadataParams{PublicMetadata: raw(`{"tags":["c"],"prefs":"none"}`),
				UnsafeMetadata: raw(`{"onboarded":true,"big":12345678901234567890}`)})
		}, `{"prefs":"none","tags":["c"],"seats":3}`, `{"stripe":"cus_1"}`, `{"onboarded":true,"big":12345678901234567890}`},
		{"an object over a scalar drops its nulls", func() (*clerk.User, error) {
			return merge(&sdkuser.UpdateMetadataParams{PublicMetadata: raw(`{"prefs":{"lang":"de","gone":null}}`)})
		}, `{"prefs":{"lang":"de"},"tags":["c"],"seats":3}`, `{"stripe":"cus_1"}`, `{"onboarded":true,"big":12345678901234567890}`},
		{"a null field clears it", func() (*clerk.User, error) {
			return merge(&sdkuser.UpdateMetadataParams{PrivateMetadata: raw(`null`)})
		}, `{"prefs":{"lang":"de"},"tags":["c"],"seats":3}`, `{}`, `{"onboarded":true,"big":12345678901234567890}`},
		{"PUT replaces the fields it names", func() (*clerk.User, error) {
			return replace(`{"public_metadata":{"prefs":{"theme":"light"}}}`)
		}, `{"prefs":{"theme":"light"}}`, `{}`, `{"onboarded":true,"big":12345678901234567890}`},
		{"PUT stores an explicit null", func() (*clerk.User, error) { return replace(`{"unsafe_metadata":null}`) },
			`{"prefs":{"theme":"light"}}`, `{}`, `null`},
		{"update replaces, no merge", func() (*clerk.User, error) {
			return update(&sdkuser.UpdateParams{PublicMetadata: raw(`{"prefs":{"lang":"it"}}`), UnsafeMetadata: raw(`{}`)})
		}, `{"prefs":{"lang":"it"}}`, `{}`, `{}`},
	}
	for _, st := range steps {
		u, err := st.call()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		wantJSON(t, st.name+": public_metadata", u.PublicMetadata, st.public)
		wantJSON(t, st.name+": private_metadata", u.PrivateMetadata, st.private)
		wantJSON(t, st.name+": unsafe_metadata", u.UnsafeMetadata, st.unsafe)
		if big := []byte("12345678901234567890"); bytes.Contains([]byte(st.unsafe), big) && !bytes.Contains(u.UnsafeMetadata, big) {
			t.Errorf("%s: unsafe_metadata = %s, want the big number kept exactly", st.name, u.UnsafeMetadata)
		}
	}
	got, err := users.Get(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, "GET after the steps: public_metadata", got.PublicMetadata, `{"prefs":{"lang":"it"}}`)

	flush(t, e.s)
	updates := rcv.events(t, e.s.WebhookSecret())["user.updated"]
	if len(updates) != len(steps) {
		t.Fatalf("user.updated events = %d, want one per step (%d)", len(updates), len(steps))
	}
	data, _ := json.Marshal(updates[1]["data"].(map[string]any)["public_metadata"])
	wantJSON(t, "user.updated of the first merge: data.public_metadata", data, steps[1].public)
}

// TestOrganizationMetadata: the same semantics without unsafe_metadata.
func TestOrganizationMetadata(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	ctx := context.Background()
	orgs := organization.NewClient(e.sdk())
	acme := seedID("org", "acme")

	o, err := orgs.Update(ctx, acme, &organization.UpdateParams{PublicMetadata: raw(`{"tier":"gold","limits":{"projects":5,"seats":10}}`)})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, "update: public_metadata", o.PublicMetadata, `{"tier":"gold","limits":{"projects":5,"seats":10}}`)
	o, err = orgs.UpdateMetadata(ctx, acme, &organization.UpdateMetadataParams{
		PublicMetadata: raw(`{"limits":{"projects":50,"seats":null}}`), PrivateMetadata: raw(`{"crm":"42"}`)})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, "merge: public_metadata", o.PublicMetadata, `{"tier":"gold","limits":{"projects":50}}`)
	wantJSON(t, "merge: private_metadata", o.PrivateMetadata, `{"crm":"42"}`)

	status, b := e.bapi(http.MethodPut, "/v1/organizations/"+acme+"/metadata", map[string]any{"public_metadata": map[string]any{"tier": "silver"}})
	if status != http.StatusOK {
		t.Fatalf("PUT metadata = %d %s", status, b)
	}
	var replaced clerk.Organization
	if err := json.Unmarshal(b, &replaced); err != nil {
		t.Fatal(err)
	}
	wantJSON(t, "replace: public_metadata", replaced.PublicMetadata, `{"tier":"silver"}`)
	wantJSON(t, "replace: private_metadata", replaced.PrivateMetadata, `{"crm":"42"}`)

	flush(t, e.s)
	updates := rcv.events(t, e.s.WebhookSecret())["organization.updated"]
	if len(updates) != 3 {
		t.Fatalf("organization.updated events = %d, want 3", len(updates))
	}
	data, _ := json.Marshal(updates[2]["data"].(map[string]any)["public_metadata"])
	wantJSON(t, "organization.updated of the PUT: data.public_metadata", data, `{"tier":"silver"}`)
}

func TestMetadataErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	bob, acme := seedID("user", "bob"), seedID("org", "acme")
	tests := []struct {
		name, method, path string
		body               any
		wantStatus         int
		wantCode, wantArg  string
	}{
		{"unknown user", http.MethodPatch, "/v1/users/user_nope/metadata", map[string]any{}, 404, "resource_not_found", ""},
		{"unknown organization", http.MethodPut, "/v1/organizations/org_nope/metadata", map[string]any{}, 404, "resource_not_found", ""},
		{"organization by slug", http.MethodPatch, "/v1/organizations/acme/metadata", map[string]any{}, 404, "resource_not_found", ""},
		{"not an object", http.MethodPatch, "/v1/users/" + bob + "/metadata", map[string]any{"public_metadata": "gold"}, 422, "form_param_value_invalid", "public_metadata"},
		{"array", http.MethodPut, "/v1/users/" + bob + "/metadata", map[string]any{"private_metadata": []int{1}}, 422, "form_param_value_invalid", "private_metadata"},
		{"organizations have no unsafe metadata", http.MethodPatch, "/v1/organizations/" + acme + "/metadata", map[string]any{"unsafe_metadata": map[string]any{}}, 422, "form_param_unknown", "unsafe_metadata"},
		{"update user with a string", http.MethodPatch, "/v1/users/" + bob, map[string]any{"public_metadata": "x"}, 422, "form_param_value_invalid", "public_metadata"},
		{"update organization with a number", http.MethodPatch, "/v1/organizations/" + acme, map[string]any{"private_metadata": 1}, 422, "form_param_value_invalid", "private_metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := e.bapi(tt.method, tt.path, tt.body)
			wantErrorBody(t, status, b, tt.wantStatus, tt.wantCode, tt.wantArg)
		})
	}
}
