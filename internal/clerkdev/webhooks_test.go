package clerkdev

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	sdksession "github.com/clerk/clerk-sdk-go/v2/session"
	sdkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"example.com/saas/internal/clerkfixtures"
)

func fastRetries() []time.Duration {
	return []time.Duration{0, 20 * time.Millisecond, 20 * time.Millisecond}
}

// TestWebhookEventsMatchFixtures makes every kind of change and compares each delivered
// event with Clerk's example of the same type, key by key and recursively (keyDiffs):
// every key of the example is there, and every other key is one of documentedExtras.
// Not sent, so not compared: session.pending (the emulator has no session tasks).
func TestWebhookEventsMatchFixtures(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	ctx := context.Background()
	bob := seedID("user", "bob")

	users := sdkuser.NewClient(e.sdk())
	u, err := users.Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{"gus@example.com"}, FirstName: clerk.String("Gus")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.Update(ctx, u.ID, &sdkuser.UpdateParams{LastName: clerk.String("Grey")}); err != nil {
		t.Fatal(err)
	}
	orgs := organization.NewClient(e.sdk())
	o, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Hooks"), CreatedBy: clerk.String(u.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orgs.Update(ctx, o.ID, &organization.UpdateParams{Name: clerk.String("Hooks Inc")}); err != nil {
		t.Fatal(err)
	}
	mc := organizationmembership.NewClient(e.sdk())
	if _, err := mc.Create(ctx, &organizationmembership.CreateParams{OrganizationID: o.ID, UserID: clerk.String(bob), Role: clerk.String(RoleMember)}); err != nil {
		t.Fatal(err)
	}
	if _, err := mc.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: o.ID, UserID: bob, Role: clerk.String(RoleAdmin)}); err != nil {
		t.Fatal(err)
	}
	if _, err := mc.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: o.ID, UserID: bob}); err != nil {
		t.Fatal(err)
	}
	ic := organizationinvitation.NewClient(e.sdk())
	inv, err := ic.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: o.ID, EmailAddress: clerk.String("hal@example.com"), Role: clerk.String(RoleMember)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: o.ID, ID: inv.ID}); err != nil {
		t.Fatal(err)
	}
	ivy, err := ic.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: o.ID, EmailAddress: clerk.String("ivy@example.com"), Role: clerk.String(RoleMember)})
	if err != nil {
		t.Fatal(err)
	}
	signUpWithTicket(t, e, ivy.URL)
	sc := sdksession.NewClient(e.sdk())
	sess, err := sc.Create(ctx, &sdksession.CreateParams{UserID: bob})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Revoke(ctx, &sdksession.RevokeParams{ID: sess.ID}); err != nil {
		t.Fatal(err)
	}
	signInAndOut(t, e, "carol@example.com")
	if _, err := sc.Create(ctx, &sdksession.CreateParams{UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Delete(ctx, u.ID); err != nil { // also session.removed
		t.Fatal(err)
	}
	if _, err := orgs.Delete(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	changeRolesAndPermissions(t, e)
	flush(t, e.s)

	events := rcv.events(t, e.s.WebhookSecret())
	types := []string{
		"user.created", "user.updated", "user.deleted",
		"organization.created", "organization.updated", "organization.deleted",
		"organizationMembership.created", "organizationMembership.updated", "organizationMembership.deleted",
		"organizationInvitation.created", "organizationInvitation.revoked", "organizationInvitation.accepted",
		"session.created", "session.revoked", "session.ended", "session.removed",
		"role.created", "role.updated", "role.deleted",
		"permission.created", "permission.updated", "permission.deleted",
	}
	for typ := range events {
		if !slices.Contains(types, typ) {
			t.Errorf("the emulator sent %s, which this test does not compare with Clerk's example", typ)
		}
	}
	extras := documentedExtras()
	for _, typ := range types {
		t.Run(typ, func(t *testing.T) {
			if len(events[typ]) == 0 {
				t.Fatalf("no %s event delivered (got types %v)", typ, keysOfEvents(events))
			}
			var fixture map[string]any
			clerkfixtures.Decode(t, typ+".json", &fixture)
			for _, ev := range events[typ] {
				for _, d := range keyDiffs("event", ev, fixture, extras) {
					t.Error(d)
				}
				data, _ := ev["data"].(map[string]any)
				if data["object"] != fixture["data"].(map[string]any)["object"] || ev["instance_id"] != InstanceID {
					t.Errorf("data.object = %v, instance_id = %v", data["object"], ev["instance_id"])
				}
			}
		})
	}
	checkEmailAddressKeys(t, events["user.created"][0])
}

// checkEmailAddressKeys compares a user's email addresses with Clerk's Backend API
// objects (Clerk's webhook examples have none): an admin verification carries status,
// strategy, attempts and expire_at only.
func checkEmailAddressKeys(t *testing.T, ev map[string]any) {
	t.Helper()
	emails, _ := ev["data"].(map[string]any)["email_addresses"].([]any)
	if len(emails) == 0 {
		t.Fatal("user.created has no email address")
	}
	email := emails[0].(map[string]any)
	want := []string{"id", "object", "email_address", "reserved", "verification", "linked_to",
		"matches_sso_connection", "created_at", "updated_at"}
	if d := diffKeys(keysOf(email), want); d != "" {
		t.Errorf("email address keys: %s", d)
	}
	verification, _ := email["verification"].(map[string]any)
	if d := diffKeys(keysOf(verification), []string{"status", "strategy", "attempts", "expire_at"}); d != "" {
		t.Errorf("verification keys: %s", d)
	}
}

// changeRolesAndPermissions creates, updates and deletes a custom permission and a custom
// role through the Backend API (role.* and permission.* events).
func changeRolesAndPermissions(t *testing.T, e *testEnv) {
	t.Helper()
	var perm permissionJSON
	e.bapiOK(http.MethodPost, "/v1/organization_permissions",
		map[string]string{"name": "Read reports", "key": "org:reports:read", "description": "View reports."}, &perm)
	var ro roleJSON
	e.bapiOK(http.MethodPost, "/v1/organization_roles", map[string]any{"name": "Analyst", "key": "org:analyst",
		"description": "Reads reports.", "permissions": []string{perm.ID}}, &ro)
	e.bapiOK(http.MethodPatch, "/v1/organization_roles/"+ro.ID, map[string]string{"name": "Senior analyst"}, nil)
	e.bapiOK(http.MethodPatch, "/v1/organization_permissions/"+perm.ID, map[string]string{"name": "Read all reports"}, nil)
	e.bapiOK(http.MethodDelete, "/v1/organization_roles/"+ro.ID, nil, nil)
	e.bapiOK(http.MethodDelete, "/v1/organization_permissions/"+perm.ID, nil, nil)
}

func keysOfEvents(m map[string][]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// signInAndOut signs in on the hosted page and signs out again (session.ended).
func signInAndOut(t *testing.T, e *testEnv, email string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(e.srv.URL+"/sign-in", url.Values{"identifier": {email}, "password": {SeedPassword}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /sign-in = %v, %v", resp, err)
	}
	resp.Body.Close()
	resp, err = c.PostForm(e.srv.URL+"/sign-out", url.Values{})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /sign-out = %v, %v", resp, err)
	}
	resp.Body.Close()
}

// signUpWithTicket follows an invitation's link in a new browser and signs up on the
// hosted page it leads to (organizationInvitation.accepted).
func signUpWithTicket(t *testing.T, e *testEnv, link string) {
	t.Helper()
	b := newBrowser(t, e)
	resp, _ := b.open(link)
	ticket := location(t, resp).Query().Get("__clerk_ticket")
	if resp, _ := b.post("/sign-up", url.Values{"__clerk_ticket": {ticket}, "password": {"s3cret-pass"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-up with the ticket = %d", resp.StatusCode)
	}
}

func TestWebhookRetriesWithSameID(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 2)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	if _, err := sdkuser.NewClient(e.sdk()).Create(context.Background(), &sdkuser.CreateParams{EmailAddresses: &[]string{"r@example.com"}}); err != nil {
		t.Fatal(err)
	}
	flush(t, e.s)
	got := rcv.all()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3 (two 500s, then success)", len(got))
	}
	for i, r := range got {
		if r.Header.Get("svix-id") != got[0].Header.Get("svix-id") || !bytes.Equal(r.Body, got[0].Body) {
			t.Errorf("attempt %d: svix-id %s, want the same id and body as attempt 1 (%s)", i+1, r.Header.Get("svix-id"), got[0].Header.Get("svix-id"))
		}
	}
	rcv.events(t, e.s.WebhookSecret()) // checks every signature
	d := e.s.Deliveries()
	if len(d) != 1 || d[0].Attempts != 3 || d[0].State != "delivered" || d[0].LastStatus != http.StatusNoContent || d[0].NextAttempt != nil {
		t.Fatalf("Deliveries() = %+v, want one delivered after 3 attempts", d)
	}
	if l := d[0].AttemptLog; len(l) != 3 || l[0].OK || l[0].Status != 500 || l[0].Error != "HTTP 500" || l[1].OK || !l[2].OK || l[2].Status != http.StatusNoContent {
		t.Errorf("attempt log = %+v, want two 500s, then 204", l)
	}

	resp, err := http.Get(e.srv.URL + "/__clerkdev/deliveries")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var log []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&log); err != nil || len(log) != 1 || log[0]["svix_id"] != d[0].ID || log[0]["attempts"] != float64(3) {
		t.Fatalf("/__clerkdev/deliveries = %v, %v", log, err)
	}
	if attempts, _ := log[0]["attempt_log"].([]any); len(attempts) != 3 {
		t.Errorf("/__clerkdev/deliveries attempt_log = %v, want 3 attempts", log[0]["attempt_log"])
	}
}

func TestParseRetrySchedule(t *testing.T) {
	t.Parallel()
	got, err := ParseRetrySchedule(" 0, 200ms,1s ,5m")
	if want := []time.Duration{0, 200 * time.Millisecond, time.Second, 5 * time.Minute}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseRetrySchedule = %v, %v; want %v", got, err, want)
	}
	if got, err := ParseRetrySchedule(""); got != nil || err != nil {
		t.Errorf(`ParseRetrySchedule("") = %v, %v; want nil (the default)`, got, err)
	}
	for _, bad := range []string{"5", "1s,,2s", "-1s", "soon"} {
		if _, err := ParseRetrySchedule(bad); err == nil {
			t.Errorf("ParseRetrySchedule(%q): no error", bad)
		}
	}
}

func TestWebhookGivesUpAfterSchedule(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 100)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	if _, err := sdkuser.NewClient(e.sdk()).Create(context.Background(), &sdkuser.CreateParams{EmailAddresses: &[]string{"x@example.com"}}); err != nil {
		t.Fatal(err)
	}
	flush(t, e.s)
	d := e.s.Deliveries()
	if len(d) != 1 || d[0].State != "failed" || d[0].Attempts != len(fastRetries()) || d[0].LastStatus != 500 {
		t.Fatalf("Deliveries() = %+v, want failed after %d attempts", d, len(fastRetries()))
	}
}

// A failing message holds back later messages of the same object only.
func TestWebhookOrderPerObject(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 1)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: []time.Duration{0, 300 * time.Millisecond}})
	ctx := context.Background()
	users := sdkuser.NewClient(e.sdk())
	u, err := users.Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{"o@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.Update(ctx, u.ID, &sdkuser.UpdateParams{FirstName: clerk.String("Otto")}); err != nil {
		t.Fatal(err)
	}
	if _, err := organization.NewClient(e.sdk()).Create(ctx, &organization.CreateParams{Name: clerk.String("Other")}); err != nil {
		t.Fatal(err)
	}
	flush(t, e.s)
	var order []string
	for _, r := range rcv.all()[1:] { // the first request failed
		var ev struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(r.Body, &ev)
		order = append(order, ev.Type)
	}
	want := []string{"organization.created", "user.created", "user.updated"}
	if len(order) != len(want) {
		t.Fatalf("delivery order = %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("delivery order = %v, want %v", order, want)
		}
	}
}

func TestDeliverSeed(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	if d := e.s.Deliveries(); len(d) != 0 {
		t.Fatalf("deliveries before DeliverSeed = %d, want 0", len(d))
	}
	e.s.DeliverSeed()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	events := rcv.events(t, e.s.WebhookSecret())
	want := map[string]int{"permission.created": 2, "role.created": 1, // org:projects:*, org:viewer
		"user.created": 3, "organization.created": 2, "organizationMembership.created": 4}
	for typ, want := range want {
		if len(events[typ]) != want {
			t.Errorf("%s events = %d, want %d", typ, len(events[typ]), want)
		}
	}
}
