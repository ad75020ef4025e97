package clerkdev

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	sdkuser "github.com/clerk/clerk-sdk-go/v2/user"
)

func TestNewRefusesLiveKeys(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{SecretKey: "sk_live_abc", SigningKey: testKey()}); err == nil {
		t.Fatal("New(sk_live_) error = nil, want an error")
	}
}

func TestUsersCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	users := sdkuser.NewClient(e.sdk())

	created, err := users.Create(ctx, &sdkuser.CreateParams{
		EmailAddresses: &[]string{"dave@example.com"}, Password: clerk.String("correct horse"),
		FirstName: clerk.String("Dave"), LastName: clerk.String("Dev"),
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if created.Object != "user" || len(created.ID) < 6 || created.ID[:5] != "user_" {
		t.Fatalf("created = %s %s, want a user_ id", created.Object, created.ID)
	}
	if len(created.EmailAddresses) != 1 || created.EmailAddresses[0].EmailAddress != "dave@example.com" ||
		created.PrimaryEmailAddressID == nil || *created.PrimaryEmailAddressID != created.EmailAddresses[0].ID ||
		created.EmailAddresses[0].ID[:4] != "idn_" || !created.PasswordEnabled {
		t.Fatalf("created email data = %+v", created.EmailAddresses)
	}

	got, err := users.Get(ctx, created.ID)
	if err != nil || *got.FirstName != "Dave" {
		t.Fatalf("Get = %v, %v; want Dave", got, err)
	}

	list, err := users.List(ctx, &sdkuser.ListParams{EmailAddresses: []string{"dave@example.com"}})
	if err != nil || list.TotalCount != 1 || len(list.Users) != 1 || list.Users[0].ID != created.ID {
		t.Fatalf("List by email = %+v, %v; want the one user", list, err)
	}

	updated, err := users.Update(ctx, created.ID, &sdkuser.UpdateParams{FirstName: clerk.String("David")})
	if err != nil || *updated.FirstName != "David" || *updated.LastName != "Dev" {
		t.Fatalf("Update = %+v, %v", updated, err)
	}

	_, err = users.Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{"dave@example.com"}})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")

	del, err := users.Delete(ctx, created.ID)
	if err != nil || !del.Deleted || del.ID != created.ID || del.Object != "user" {
		t.Fatalf("Delete = %+v, %v", del, err)
	}
	_, err = users.Get(ctx, created.ID)
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")
}

func TestUsersPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	users := sdkuser.NewClient(e.sdk())
	for _, email := range []string{"u1@example.com", "u2@example.com"} {
		if _, err := users.Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{email}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name          string
		limit, offset int64
		wantLen       int
		wantFirst     string
	}{
		{"first page, newest first", 2, 0, 2, "u2@example.com"},
		{"second page", 2, 2, 2, "carol@example.com"},
		{"last page", 2, 4, 1, "alice@example.com"},
		{"past the end", 2, 10, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &sdkuser.ListParams{}
			p.Limit, p.Offset = clerk.Int64(tt.limit), clerk.Int64(tt.offset)
			list, err := users.List(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if list.TotalCount != 5 || len(list.Users) != tt.wantLen {
				t.Fatalf("got total %d len %d, want 5 and %d", list.TotalCount, len(list.Users), tt.wantLen)
			}
			if tt.wantLen > 0 && list.Users[0].EmailAddresses[0].EmailAddress != tt.wantFirst {
				t.Errorf("first = %s, want %s", list.Users[0].EmailAddresses[0].EmailAddress, tt.wantFirst)
			}
		})
	}
}

func TestOrganizationsCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	orgs := organization.NewClient(e.sdk())
	alice := seedID("user", "alice")

	o, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("New Co. Ltd"), CreatedBy: clerk.String(alice)})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if o.Slug != "new-co-ltd" || o.CreatedBy != alice || o.ID[:4] != "org_" {
		t.Fatalf("created = %+v, want slug new-co-ltd created by alice", o)
	}
	if o.MembersCount == nil || *o.MembersCount != 1 {
		t.Errorf("members_count = %v, want 1 (the creator)", o.MembersCount)
	}
	mems, err := organizationmembership.NewClient(e.sdk()).List(ctx, &organizationmembership.ListParams{OrganizationID: o.ID})
	if err != nil || mems.TotalCount != 1 || mems.OrganizationMemberships[0].Role != RoleAdmin {
		t.Fatalf("creator membership = %+v, %v; want one org:admin", mems, err)
	}

	bySlug, err := orgs.Get(ctx, "new-co-ltd")
	if err != nil || bySlug.ID != o.ID {
		t.Fatalf("Get by slug = %v, %v", bySlug, err)
	}
	byID, err := orgs.Get(ctx, o.ID)
	if err != nil || byID.Slug != "new-co-ltd" {
		t.Fatalf("Get by id = %v, %v", byID, err)
	}

	up, err := orgs.Update(ctx, o.ID, &organization.UpdateParams{Name: clerk.String("New Co"), Slug: clerk.String("newco")})
	if err != nil || up.Name != "New Co" || up.Slug != "newco" {
		t.Fatalf("Update = %+v, %v", up, err)
	}

	_, err = orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Acme again"), Slug: clerk.String("acme")})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
	_, err = orgs.Update(ctx, o.ID, &organization.UpdateParams{Slug: clerk.String("globex")})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
	_, err = orgs.Create(ctx, &organization.CreateParams{})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_param_missing")

	p := &organization.ListParams{}
	p.Limit, p.Offset = clerk.Int64(2), clerk.Int64(2)
	list, err := orgs.List(ctx, p)
	if err != nil || list.TotalCount != 3 || len(list.Organizations) != 1 || list.Organizations[0].Slug != "acme" {
		t.Fatalf("List page 2 = %+v, %v; want 3 total and acme last", list, err)
	}
	q, err := orgs.List(ctx, &organization.ListParams{Query: clerk.String("glob")})
	if err != nil || q.TotalCount != 1 || q.Organizations[0].Slug != "globex" {
		t.Fatalf("List query = %+v, %v", q, err)
	}

	del, err := orgs.Delete(ctx, o.ID)
	if err != nil || !del.Deleted || del.ID != o.ID {
		t.Fatalf("Delete = %+v, %v", del, err)
	}
	_, err = orgs.Get(ctx, o.ID)
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")
}

func TestMemberships(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	mc := organizationmembership.NewClient(e.sdk())
	carol := seedID("user", "carol")

	list, err := mc.List(ctx, &organizationmembership.ListParams{OrganizationID: "acme"})
	if err != nil || list.TotalCount != 2 {
		t.Fatalf("List acme = %+v, %v; want 2", list, err)
	}
	first := list.OrganizationMemberships[0]
	if first.Organization == nil || first.Organization.Slug != "acme" || first.PublicUserData == nil ||
		first.PublicUserData.Identifier != "alice@example.com" || first.RoleName != "Admin" {
		t.Fatalf("membership = %+v (%+v), want alice admin of acme", first, first.PublicUserData)
	}

	acmeID := first.Organization.ID
	m, err := mc.Create(ctx, &organizationmembership.CreateParams{OrganizationID: acmeID, UserID: clerk.String(carol), Role: clerk.String(RoleMember)})
	if err != nil || m.Role != RoleMember || m.ID[:7] != "orgmem_" {
		t.Fatalf("Create = %+v, %v", m, err)
	}
	_, err = mc.Create(ctx, &organizationmembership.CreateParams{OrganizationID: acmeID, UserID: clerk.String(carol), Role: clerk.String(RoleMember)})
	wantAPIError(t, err, http.StatusBadRequest, "already_a_member_in_organization")
	_, err = mc.Create(ctx, &organizationmembership.CreateParams{OrganizationID: acmeID, UserID: clerk.String("user_nope"), Role: clerk.String(RoleMember)})
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")

	up, err := mc.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: acmeID, UserID: carol, Role: clerk.String(RoleAdmin)})
	if err != nil || up.Role != RoleAdmin || len(up.Permissions) != len(systemPermissions())+len(builtinPermissions()) {
		t.Fatalf("Update = %+v, %v", up, err)
	}

	mine, err := sdkuser.NewClient(e.sdk()).ListOrganizationMemberships(ctx, carol, &sdkuser.ListOrganizationMembershipsParams{})
	if err != nil || mine.TotalCount != 2 {
		t.Fatalf("user memberships = %+v, %v; want 2 (globex, acme)", mine, err)
	}

	del, err := mc.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: acmeID, UserID: carol})
	if err != nil || del.ID != m.ID {
		t.Fatalf("Delete = %+v, %v", del, err)
	}
	_, err = mc.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: acmeID, UserID: carol})
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")
}

func TestInvitations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	ic := organizationinvitation.NewClient(e.sdk())
	acme := seedID("org", "acme")

	inv, err := ic.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme,
		EmailAddress: clerk.String("erin@example.com"), Role: clerk.String(RoleMember),
		InviterUserID: clerk.String(seedID("user", "alice")), RedirectURL: clerk.String("http://localhost:8080/orgs/acme")})
	if err != nil || inv.Status != "pending" || inv.ID[:7] != "orginv_" || inv.OrganizationID != acme {
		t.Fatalf("Create = %+v, %v", inv, err)
	}
	revoked, err := ic.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme,
		EmailAddress: clerk.String("frank@example.com"), Role: clerk.String(RoleMember)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ic.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: acme,
		EmailAddress: clerk.String("bob@example.com"), Role: clerk.String(RoleMember)})
	wantAPIError(t, err, http.StatusBadRequest, "already_a_member_in_organization")

	if got, err := ic.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: acme, ID: revoked.ID}); err != nil || got.Status != "revoked" {
		t.Fatalf("Revoke = %+v, %v", got, err)
	}
	pending, err := ic.List(ctx, &organizationinvitation.ListParams{OrganizationID: acme, Statuses: &[]string{"pending"}})
	if err != nil || pending.TotalCount != 1 || pending.OrganizationInvitations[0].ID != inv.ID {
		t.Fatalf("List pending = %+v, %v", pending, err)
	}

	// Creating a user with the invited email leaves the invitation pending: only its
	// ticket accepts it (tickets_test.go).
	u, err := sdkuser.NewClient(e.sdk()).Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{"erin@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ic.Get(ctx, &organizationinvitation.GetParams{OrganizationID: acme, ID: inv.ID})
	if err != nil || got.Status != "pending" {
		t.Fatalf("Get after creating the user = %+v, %v; want pending", got, err)
	}
	mems, err := organizationmembership.NewClient(e.sdk()).List(ctx, &organizationmembership.ListParams{OrganizationID: acme, UserIDs: []string{u.ID}})
	if err != nil || mems.TotalCount != 0 {
		t.Fatalf("memberships of the invited user = %+v, %v; want none", mems, err)
	}
}

// corruptBody replaces every request body with invalid JSON.
type corruptBody struct{}

func (corruptBody) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader([]byte(`{"email_address":`)))
	r.ContentLength = -1
	return http.DefaultTransport.RoundTrip(r)
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()

	wrongKey := e.sdk()
	wrongKey.Key = clerk.String("sk_test_wrong")
	_, err := sdkuser.NewClient(wrongKey).Get(ctx, seedID("user", "alice"))
	wantAPIError(t, err, http.StatusUnauthorized, "clerk_key_invalid")

	noKey := e.sdk()
	noKey.Key = clerk.String("")
	_, err = organization.NewClient(noKey).List(ctx, &organization.ListParams{})
	wantAPIError(t, err, http.StatusUnauthorized, "authorization_header_format_invalid") // "Bearer " arrives as "Bearer"

	malformed := e.sdk()
	malformed.HTTPClient = &http.Client{Transport: corruptBody{}}
	_, err = sdkuser.NewClient(malformed).Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{"x@example.com"}})
	wantAPIError(t, err, http.StatusBadRequest, "request_body_invalid")

	_, err = sdkuser.NewClient(e.sdk()).Create(ctx, &sdkuser.CreateParams{EmailAddresses: &[]string{"not-an-email"}})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")

	p := &sdkuser.ListParams{}
	p.Limit = clerk.Int64(1000)
	_, err = sdkuser.NewClient(e.sdk()).List(ctx, p)
	wantAPIError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
}

func TestStats(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	users := sdkuser.NewClient(e.sdk())
	for range 2 {
		if _, err := users.Get(ctx, seedID("user", "bob")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := users.List(ctx, &sdkuser.ListParams{}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(e.srv.URL + "/__clerkdev/stats")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := map[string]int{"GET /v1/users/{id}": 2, "GET /v1/users": 1, "GET /v1/users/count": 1}
	got := e.s.Stats()
	if len(got) != len(want) {
		t.Fatalf("Stats() = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Stats()[%q] = %d, want %d", k, got[k], v)
		}
	}
	e.s.ResetStats()
	if got := e.s.Stats(); len(got) != 0 {
		t.Errorf("after ResetStats: %v, want empty", got)
	}
}

// A user's organization invitations are those sent to their addresses, each with
// the organization's public data, as Clerk answers GET /v1/users/{id}/organization_invitations.
func TestUserOrganizationInvitations(t *testing.T) {
	e := newEnv(t, Config{})
	carol := seedID("user", "carol")
	e.bapiOK(http.MethodPost, "/v1/organizations/acme/invitations",
		map[string]string{"email_address": "carol@example.com", "role": RoleMember}, nil)
	e.bapiOK(http.MethodPost, "/v1/organizations/acme/invitations",
		map[string]string{"email_address": "someone@example.com", "role": RoleMember}, nil)
	var got listJSON[invitationJSON]
	e.bapiOK(http.MethodGet, "/v1/users/"+carol+"/organization_invitations", nil, &got)
	if got.TotalCount != 1 || got.Data[0].EmailAddress != "carol@example.com" ||
		got.Data[0].PublicOrganizationData == nil || got.Data[0].PublicOrganizationData.Slug != "acme" {
		t.Fatalf("carol's invitations = %+v, want the one to her address, with acme's public data", got)
	}
	e.wantBAPIError(http.MethodGet, "/v1/users/user_nobody/organization_invitations", nil, http.StatusNotFound, "resource_not_found")
}
