package clerkdev

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	sdkinvitation "github.com/clerk/clerk-sdk-go/v2/invitation"
	sdkuser "github.com/clerk/clerk-sdk-go/v2/user"
)

// testClock is a Config.Now that tests move forward.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestAppInvitationCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	ic := sdkinvitation.NewClient(e.sdk())

	inv, err := ic.Create(ctx, &sdkinvitation.CreateParams{EmailAddress: "ivan@example.com",
		PublicMetadata: raw(`{"plan":"pro"}`), RedirectURL: clerk.String("http://localhost:8080/welcome")})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Object != "invitation" || !strings.HasPrefix(inv.ID, "inv_") || inv.EmailAddress != "ivan@example.com" ||
		inv.Status != "pending" || inv.Revoked || inv.ExpiresAt == nil || *inv.ExpiresAt != inv.CreatedAt+30*24*3600*1000 {
		t.Fatalf("created = %+v, want a pending inv_ expiring in 30 days", inv)
	}
	wantJSON(t, "public_metadata", inv.PublicMetadata, `{"plan":"pro"}`)
	u, err := url.Parse(inv.URL)
	if err != nil || u.Path != "/sign-up" || u.Query().Has("__clerk_ticket") || u.Query().Get("redirect_url") != "http://localhost:8080/welcome" {
		t.Errorf("url = %q, want the hosted sign-up with the redirect_url", inv.URL)
	}
	status, b := e.bapi(http.MethodPost, "/v1/invitations", map[string]any{"email_address": "keys@example.com"})
	var keys map[string]any
	if status != http.StatusOK || json.Unmarshal(b, &keys) != nil {
		t.Fatalf("POST /v1/invitations = %d %s", status, b)
	}
	want := []string{"object", "id", "email_address", "public_metadata", "revoked", "status", "url", "expires_at", "created_at", "updated_at"}
	if d := diffKeys(keysOf(keys), want); d != "" {
		t.Errorf("invitation keys: %s", d)
	}

	tests := []struct {
		name       string
		params     sdkinvitation.CreateParams
		wantStatus int
		wantCode   string
	}{
		{"missing email", sdkinvitation.CreateParams{}, 422, "form_param_missing"},
		{"invalid email", sdkinvitation.CreateParams{EmailAddress: "nope"}, 422, "form_param_format_invalid"},
		{"pending invitation", sdkinvitation.CreateParams{EmailAddress: "IVAN@example.com"}, 400, "duplicate_record"},
		{"existing user", sdkinvitation.CreateParams{EmailAddress: "bob@example.com"}, 422, "form_identifier_exists"},
		{"too many days", sdkinvitation.CreateParams{EmailAddress: "x@example.com", ExpiresInDays: clerk.Int64(366)}, 422, "form_param_value_too_large"},
		{"metadata not an object", sdkinvitation.CreateParams{EmailAddress: "x@example.com", PublicMetadata: raw(`[1]`)}, 422, "form_param_value_invalid"},
		{"unknown template", sdkinvitation.CreateParams{EmailAddress: "x@example.com", TemplateSlug: clerk.String("welcome")}, 422, "form_param_value_invalid"},
		{"pending, ignore_existing", sdkinvitation.CreateParams{EmailAddress: "ivan@example.com", IgnoreExisting: clerk.Bool(true)}, 200, ""},
		{"existing user, ignore_existing", sdkinvitation.CreateParams{EmailAddress: "bob@example.com", IgnoreExisting: clerk.Bool(true)}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ic.Create(ctx, &tt.params)
			if tt.wantCode == "" {
				if err != nil || got.Status != "pending" {
					t.Fatalf("Create = %+v, %v; want a pending invitation", got, err)
				}
				return
			}
			wantAPIError(t, err, tt.wantStatus, tt.wantCode)
		})
	}
}

func TestAppInvitationBulk(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	ic := sdkinvitation.NewClient(e.sdk())
	bulk := func(emails ...string) (*clerk.Invitations, error) {
		p := &sdkinvitation.BulkCreateParams{}
		for _, m := range emails {
			p.Invitations = append(p.Invitations, &sdkinvitation.CreateParams{EmailAddress: m, IgnoreExisting: clerk.Bool(true)})
		}
		return ic.BulkCreate(ctx, p)
	}
	got, err := bulk("b1@example.com", "b2@example.com")
	if err != nil || len(got.Invitations) != 2 || got.Invitations[1].EmailAddress != "b2@example.com" {
		t.Fatalf("BulkCreate = %+v, %v", got, err)
	}
	_, err = bulk("b3@example.com", "alice@example.com")
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists") // ignore_existing cannot bypass users in bulk
	status, b := e.bapi(http.MethodPost, "/v1/invitations/bulk", []map[string]string{{"email_address": "b1@example.com"}, {"email_address": "b4@example.com"}, {"email_address": "B4@example.com"}})
	wantErrorBody(t, status, b, http.StatusBadRequest, "duplicate_record", "")
	if !strings.Contains(string(b), `"email_addresses":["b1@example.com","B4@example.com"]`) {
		t.Errorf("duplicates = %s, want meta.email_addresses listing b1 and B4", b)
	}
	_, err = bulk(strings.Split("a b c d e f g h i j k", " ")...)
	wantAPIError(t, err, http.StatusBadRequest, "bulk_size_exceeded")
	list, err := ic.List(ctx, &sdkinvitation.ListParams{})
	if err != nil || list.TotalCount != 2 {
		t.Fatalf("List after the refused bulks = %+v, %v; want only the first two", list, err)
	}
}

func TestAppInvitationListAndRevoke(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Now()}
	e := newEnv(t, Config{Now: clock.Now})
	ctx := context.Background()
	ic := sdkinvitation.NewClient(e.sdk())
	ids := map[string]string{}
	for _, p := range []sdkinvitation.CreateParams{
		{EmailAddress: "zed@example.com"}, {EmailAddress: "amy@example.com", ExpiresInDays: clerk.Int64(1)},
		{EmailAddress: "max@example.com"}, {EmailAddress: "kim@example.com"},
	} {
		inv, err := ic.Create(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		ids[p.EmailAddress] = inv.ID
	}
	revoked, err := ic.Revoke(ctx, ids["max@example.com"])
	if err != nil || revoked.Status != "revoked" || !revoked.Revoked {
		t.Fatalf("Revoke = %+v, %v", revoked, err)
	}
	clock.advance(25 * time.Hour) // amy's invitation expires

	tests := []struct {
		name   string
		params sdkinvitation.ListParams
		total  int64
		want   []string
	}{
		{"default: newest first, no revoked", sdkinvitation.ListParams{}, 3, []string{"kim", "amy", "zed"}},
		{"pending", sdkinvitation.ListParams{Statuses: []string{"pending"}}, 2, []string{"kim", "zed"}},
		{"expired", sdkinvitation.ListParams{Statuses: []string{"expired"}}, 1, []string{"amy"}},
		{"revoked or expired", sdkinvitation.ListParams{Statuses: []string{"revoked", "expired"}}, 2, []string{"max", "amy"}},
		{"by email", sdkinvitation.ListParams{OrderBy: clerk.String("email_address")}, 3, []string{"amy", "kim", "zed"}},
		{"by email, descending", sdkinvitation.ListParams{OrderBy: clerk.String("-email_address")}, 3, []string{"zed", "kim", "amy"}},
		{"query", sdkinvitation.ListParams{Query: clerk.String("ZED@")}, 1, []string{"zed"}},
		{"query by id", sdkinvitation.ListParams{Query: clerk.String(ids["kim@example.com"])}, 1, []string{"kim"}},
		{"page 2", sdkinvitation.ListParams{ListParams: clerk.ListParams{Limit: clerk.Int64(2), Offset: clerk.Int64(2)}}, 3, []string{"zed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := ic.List(ctx, &tt.params)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, i := range list.Invitations {
				got = append(got, strings.TrimSuffix(i.EmailAddress, "@example.com"))
			}
			if list.TotalCount != tt.total || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("List = %d %v, want %d %v", list.TotalCount, got, tt.total, tt.want)
			}
		})
	}
	status, b := e.bapi(http.MethodGet, "/v1/invitations?status=pending", nil)
	if status != http.StatusOK || !strings.HasPrefix(string(b), "[") {
		t.Errorf("GET /v1/invitations without paginated = %d %.40s, want Clerk's bare array", status, b)
	}

	_, err = ic.Revoke(ctx, ids["max@example.com"])
	wantAPIError(t, err, http.StatusBadRequest, "invitation_already_revoked")
	_, err = ic.Revoke(ctx, "inv_nope")
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")
	if expired, err := ic.Revoke(ctx, ids["amy@example.com"]); err != nil || expired.Status != "revoked" {
		t.Errorf("Revoke an expired invitation = %+v, %v; want revoked", expired, err)
	}
}

// A hosted sign-up with an invited address accepts the invitation; Clerk sends no
// invitation webhooks, and the user.created event carries the invitation's metadata.
func TestAppInvitationAcceptedBySignUp(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	ctx := context.Background()
	ic := sdkinvitation.NewClient(e.sdk())
	inv, err := ic.Create(ctx, &sdkinvitation.CreateParams{EmailAddress: "una@example.com", PublicMetadata: raw(`{"plan":"team"}`)})
	if err != nil {
		t.Fatal(err)
	}
	byAPI, err := ic.Create(ctx, &sdkinvitation.CreateParams{EmailAddress: "api@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdkuser.NewClient(e.sdk()).Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{"api@example.com"}}); err != nil {
		t.Fatal(err)
	}
	resp, _ := newBrowser(t, e).post("/sign-up", url.Values{"identifier": {"una@example.com"}, "password": {"una-password"}, "redirect_url": {appURL}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /sign-up = %d, want 303", resp.StatusCode)
	}

	list, err := ic.List(ctx, &sdkinvitation.ListParams{Statuses: []string{"accepted"}})
	if err != nil || list.TotalCount != 1 || list.Invitations[0].ID != inv.ID {
		t.Fatalf("accepted invitations = %+v, %v; want una's only (not %s, whose user came from the API)", list, err, byAPI.ID)
	}
	flush(t, e.s)
	events := rcv.events(t, e.s.WebhookSecret())
	for typ := range events {
		if strings.HasPrefix(typ, "invitation.") {
			t.Errorf("delivered %s; Clerk's webhook catalog has no invitation events", typ)
		}
	}
	var signedUp map[string]any
	for _, ev := range events["user.created"] {
		if d := ev["data"].(map[string]any); d["email_addresses"].([]any)[0].(map[string]any)["email_address"] == "una@example.com" {
			signedUp = d
		}
	}
	if signedUp == nil {
		t.Fatalf("no user.created for una (got %v)", keysOfEvents(events))
	}
	md, _ := json.Marshal(signedUp["public_metadata"])
	wantJSON(t, "user.created data.public_metadata", md, `{"plan":"team"}`)
	_, err = ic.Create(ctx, &sdkinvitation.CreateParams{EmailAddress: "una@example.com"})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
}
