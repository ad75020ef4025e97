package clerkdev

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	sdkuser "github.com/clerk/clerk-sdk-go/v2/user"
)

var acmeID = seedID("org", "acme")

func TestDomainCreateListUpdateDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	dc := organizationdomain.NewClient(e.sdk())

	d, err := dc.Create(ctx, acmeID, &organizationdomain.CreateParams{Name: clerk.String("Acme.Test")})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if d.Object != "organization_domain" || !strings.HasPrefix(d.ID, "orgdmn_") || d.OrganizationID != acmeID ||
		d.Name != "acme.test" || d.EnrollmentMode != "manual_invitation" || d.AffiliationEmailAddress != nil ||
		d.Verification == nil || d.Verification.Status != "verified" || d.CreatedAt == 0 || d.UpdatedAt != d.CreatedAt {
		t.Fatalf("created = %+v (verification %+v), want a verified manual_invitation domain acme.test", d, d.Verification)
	}
	u, err := dc.Create(ctx, acmeID, &organizationdomain.CreateParams{Name: clerk.String("acme-labs.test"),
		EnrollmentMode: clerk.String("automatic_suggestion"), Verified: clerk.Bool(false)})
	if err != nil || u.Verification.Status != "unverified" || u.Verification.Strategy != "email_code" || u.EnrollmentMode != "automatic_suggestion" {
		t.Fatalf("Create unverified = %+v, %v", u, err)
	}

	list, err := dc.List(ctx, acmeID, &organizationdomain.ListParams{})
	if err != nil || list.TotalCount != 2 || len(list.OrganizationDomains) != 2 || list.OrganizationDomains[0].ID != d.ID {
		t.Fatalf("List = %+v, %v; want both, oldest first", list, err)
	}
	list, err = dc.List(ctx, acmeID, &organizationdomain.ListParams{Verified: clerk.Bool(false)})
	if err != nil || list.TotalCount != 1 || list.OrganizationDomains[0].ID != u.ID {
		t.Fatalf("List verified=false = %+v, %v; want the unverified one", list, err)
	}
	list, err = dc.List(ctx, acmeID, &organizationdomain.ListParams{EnrollmentModes: &[]string{"manual_invitation"}})
	if err != nil || list.TotalCount != 1 || list.OrganizationDomains[0].ID != d.ID {
		t.Fatalf("List enrollment_mode = %+v, %v", list, err)
	}

	up, err := dc.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: acmeID, DomainID: u.ID,
		EnrollmentMode: clerk.String("automatic_invitation"), Verified: clerk.Bool(true)})
	if err != nil || up.EnrollmentMode != "automatic_invitation" || up.Verification.Status != "verified" || up.UpdatedAt <= u.UpdatedAt {
		t.Fatalf("Update = %+v, %v", up, err)
	}

	del, err := dc.Delete(ctx, &organizationdomain.DeleteParams{OrganizationID: acmeID, DomainID: d.ID})
	if err != nil || !del.Deleted || del.ID != d.ID || del.Object != "organization_domain" {
		t.Fatalf("Delete = %+v, %v", del, err)
	}
	list, err = dc.List(ctx, acmeID, &organizationdomain.ListParams{})
	if err != nil || list.TotalCount != 1 {
		t.Fatalf("List after delete = %+v, %v", list, err)
	}
}

func TestDomainErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	dc := organizationdomain.NewClient(e.sdk())
	globex := seedID("org", "globex")
	d, err := dc.Create(ctx, acmeID, &organizationdomain.CreateParams{Name: clerk.String("acme.test")})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"name missing", func() error {
			_, err := dc.Create(ctx, acmeID, &organizationdomain.CreateParams{})
			return err
		}, http.StatusUnprocessableEntity, "form_param_missing"},
		{"name not a domain", func() error {
			_, err := dc.Create(ctx, acmeID, &organizationdomain.CreateParams{Name: clerk.String("not a domain")})
			return err
		}, http.StatusUnprocessableEntity, "form_param_format_invalid"},
		{"common email provider", func() error {
			_, err := dc.Create(ctx, acmeID, &organizationdomain.CreateParams{Name: clerk.String("gmail.com")})
			return err
		}, http.StatusBadRequest, "organization_domain_common"},
		{"bad enrollment mode", func() error {
			_, err := dc.Create(ctx, acmeID, &organizationdomain.CreateParams{Name: clerk.String("b.test"), EnrollmentMode: clerk.String("everyone")})
			return err
		}, http.StatusUnprocessableEntity, "form_param_value_invalid"},
		{"same domain twice", func() error {
			_, err := dc.Create(ctx, acmeID, &organizationdomain.CreateParams{Name: clerk.String("ACME.test")})
			return err
		}, http.StatusBadRequest, "duplicate_record"},
		{"verified by another organization", func() error {
			_, err := dc.Create(ctx, globex, &organizationdomain.CreateParams{Name: clerk.String("acme.test")})
			return err
		}, http.StatusBadRequest, "duplicate_record"},
		{"unknown organization", func() error {
			_, err := dc.Create(ctx, "org_nope", &organizationdomain.CreateParams{Name: clerk.String("c.test")})
			return err
		}, http.StatusNotFound, "resource_not_found"},
		{"another organization's domain id", func() error {
			_, err := dc.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: globex, DomainID: d.ID, Verified: clerk.Bool(false)})
			return err
		}, http.StatusNotFound, "resource_not_found"},
		{"bad enrollment mode on update", func() error {
			_, err := dc.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: acmeID, DomainID: d.ID, EnrollmentMode: clerk.String("x")})
			return err
		}, http.StatusUnprocessableEntity, "form_param_value_invalid"},
		{"unknown domain on delete", func() error {
			_, err := dc.Delete(ctx, &organizationdomain.DeleteParams{OrganizationID: acmeID, DomainID: "orgdmn_nope"})
			return err
		}, http.StatusNotFound, "resource_not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantAPIError(t, c.call(), c.status, c.code) })
	}
	if status, b := e.bapi("GET", "/v1/organizations/"+acmeID+"/domains?verified=maybe", nil); status != http.StatusUnprocessableEntity {
		t.Errorf("list verified=maybe = %d %s, want 422", status, b)
	}
	// Nothing above changed anything: acme still has its one domain, unchanged.
	list, err := dc.List(ctx, acmeID, &organizationdomain.ListParams{})
	if err != nil || list.TotalCount != 1 || list.OrganizationDomains[0].UpdatedAt != d.UpdatedAt {
		t.Fatalf("List after refusals = %+v, %v; want the one domain unchanged", list, err)
	}
}

// TestDomainJSONHasSDKKeys checks the object against clerk-sdk-go's OrganizationDomain:
// every key the SDK reads is written.
func TestDomainJSONHasSDKKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	var got map[string]any
	e.bapiOK("POST", "/v1/organizations/"+acmeID+"/domains", map[string]any{"name": "keys.test"}, &got)
	typ := reflect.TypeFor[clerk.OrganizationDomain]()
	for i := range typ.NumField() {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		if _, ok := got[tag]; !ok {
			t.Errorf("organization_domain lacks %q", tag)
		}
	}
	v, _ := got["verification"].(map[string]any)
	for _, k := range []string{"status", "strategy", "attempts", "expire_at"} {
		if _, ok := v[k]; !ok {
			t.Errorf("verification lacks %q", k)
		}
	}
}

// pendingInvitations lists a user's pending organization invitations through the SDK.
func pendingInvitations(t *testing.T, e *testEnv, userID string) []*clerk.OrganizationInvitation {
	t.Helper()
	list, err := sdkuser.NewClient(e.sdk()).ListOrganizationInvitations(context.Background(),
		&sdkuser.ListOrganizationInvitationsParams{UserID: userID, Statuses: &[]string{"pending"}})
	if err != nil {
		t.Fatal(err)
	}
	return list.OrganizationInvitations
}

func TestDomainAutomaticInvitation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	users := sdkuser.NewClient(e.sdk())
	dc := organizationdomain.NewClient(e.sdk())
	early, err := users.Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{"milton@initech.test"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := dc.Create(ctx, acmeID, &organizationdomain.CreateParams{Name: clerk.String("initech.test"),
		EnrollmentMode: clerk.String("automatic_invitation"), Verified: clerk.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if got := pendingInvitations(t, e, early.ID); len(got) != 0 {
		t.Fatalf("invitations from an unverified domain = %d, want 0", len(got))
	}
	d, err = dc.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: acmeID, DomainID: d.ID, Verified: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	got := pendingInvitations(t, e, early.ID)
	if len(got) != 1 || got[0].OrganizationID != acmeID || got[0].Role != RoleMember || got[0].EmailAddress != "milton@initech.test" {
		t.Fatalf("invitations of an existing user once verified = %+v, want one to acme as member", got)
	}
	if d.TotalPendingInvitations != 1 {
		t.Errorf("total_pending_invitations = %d, want 1", d.TotalPendingInvitations)
	}
	// Patching again invites nobody twice; a new user is invited at once; another
	// domain's user is not.
	if _, err := dc.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: acmeID, DomainID: d.ID, Verified: clerk.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if got := pendingInvitations(t, e, early.ID); len(got) != 1 {
		t.Fatalf("invitations after a second verification = %d, want 1", len(got))
	}
	late, err := users.Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{"Peter@Initech.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := pendingInvitations(t, e, late.ID); len(got) != 1 {
		t.Fatalf("invitations of a new user = %d, want 1", len(got))
	}
	other, err := users.Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{"joanna@chotchkies.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := pendingInvitations(t, e, other.ID); len(got) != 0 {
		t.Fatalf("invitations of another domain's user = %d, want 0", len(got))
	}
	// A member is not invited.
	if got := pendingInvitations(t, e, seedID("user", "alice")); len(got) != 0 {
		t.Fatalf("invitations of alice = %d", len(got))
	}
}

func TestDomainAutomaticSuggestion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	if _, err := sdkuser.NewClient(e.sdk()).Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{"samir@initech.test"}}); err != nil {
		t.Fatal(err)
	}
	dc := organizationdomain.NewClient(e.sdk())
	d, err := dc.Create(ctx, acmeID, &organizationdomain.CreateParams{Name: clerk.String("initech.test"),
		EnrollmentMode: clerk.String("automatic_suggestion")})
	if err != nil {
		t.Fatal(err)
	}
	if d.TotalPendingSuggestions != 1 || d.TotalPendingInvitations != 0 {
		t.Fatalf("created = %+v, want one pending suggestion and no invitation", d)
	}
}

func TestDomainWebhooks(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	ctx := context.Background()
	dc := organizationdomain.NewClient(e.sdk())
	d, err := dc.Create(ctx, acmeID, &organizationdomain.CreateParams{Name: clerk.String("hooks.test")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: acmeID, DomainID: d.ID, EnrollmentMode: clerk.String("automatic_invitation")}); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.Delete(ctx, &organizationdomain.DeleteParams{OrganizationID: acmeID, DomainID: d.ID}); err != nil {
		t.Fatal(err)
	}
	flush(t, e.s)
	events := rcv.events(t, e.s.WebhookSecret())
	for _, typ := range []string{"organizationDomain.created", "organizationDomain.updated", "organizationDomain.deleted"} {
		if len(events[typ]) != 1 {
			t.Fatalf("%s events = %d, want 1 (got %v)", typ, len(events[typ]), keysOfEvents(events))
		}
		ev := events[typ][0]
		data, _ := ev["data"].(map[string]any)
		if ev["object"] != "event" || ev["instance_id"] != InstanceID || data["object"] != "organization_domain" || data["id"] != d.ID {
			t.Errorf("%s = %v", typ, ev)
		}
	}
	var created clerk.OrganizationDomain
	b, _ := json.Marshal(events["organizationDomain.created"][0]["data"])
	if err := json.Unmarshal(b, &created); err != nil || created.Name != "hooks.test" || created.OrganizationID != acmeID {
		t.Errorf("created data = %+v, %v", created, err)
	}
	updated, _ := events["organizationDomain.updated"][0]["data"].(map[string]any)
	if updated["enrollment_mode"] != "automatic_invitation" {
		t.Errorf("updated enrollment_mode = %v", updated["enrollment_mode"])
	}
	deleted, _ := events["organizationDomain.deleted"][0]["data"].(map[string]any)
	keys := keysOf(deleted)
	slices.Sort(keys)
	if deleted["deleted"] != true || !slices.Equal(keys, []string{"deleted", "id", "object"}) {
		t.Errorf("deleted data = %v, want object, id and deleted", deleted)
	}
}
