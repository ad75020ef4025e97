package clerksync

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"example.com/saas/models"
)

// A Backend API object and the webhook data of the same object map to the
// same local row: there is one mapping, whichever way Clerk's data arrives.
func TestBackendObjectsAndWebhookDataMapAlike(t *testing.T) {
	const ms = int64(1716883500000)
	at := time.UnixMilli(ms).UTC()

	sdkUser := &clerk.User{ID: "user_1", FirstName: clerk.String("Ada"), LastName: clerk.String("Lovelace"),
		ImageURL: clerk.String("https://img/ada"), PrimaryEmailAddressID: clerk.String("idn_2"), UpdatedAt: ms,
		EmailAddresses: []*clerk.EmailAddress{{ID: "idn_1", EmailAddress: "old@example.com"}, {ID: "idn_2", EmailAddress: "ada@example.com"}}}
	wantUser := models.User{ID: "user_1", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", ImageURL: "https://img/ada"}
	fromAPI, err := fromSDK[userData](sdkUser)
	if err != nil || fromAPI.model() != wantUser || !changedAt(fromAPI, time.Time{}).Equal(at) {
		t.Errorf("Backend API user = %+v at %v, %v; want %+v at %v", fromAPI.model(), changedAt(fromAPI, time.Time{}), err, wantUser, at)
	}
	// An older payload: profile_image_url, the time in seconds.
	fromHook := decodeData[userData](t, `{"id": "user_1", "first_name": "Ada", "last_name": "Lovelace",
		"profile_image_url": "https://img/ada", "primary_email_address_id": "idn_2", "updated_at": 1716883500,
		"email_addresses": [{"id": "idn_1", "email_address": "old@example.com"}, {"id": "idn_2", "email_address": "ada@example.com"}]}`)
	if fromHook.model() != wantUser || !changedAt(fromHook, time.Time{}).Equal(at) {
		t.Errorf("webhook user = %+v at %v, want %+v at %v", fromHook.model(), changedAt(fromHook, time.Time{}), wantUser, at)
	}

	sdkOrg := &clerk.Organization{ID: "org_1", Name: "Acme", Slug: "acme", ImageURL: clerk.String("https://img/acme"), UpdatedAt: ms}
	wantOrg := models.Organization{ID: "org_1", Name: "Acme", Slug: "acme", ImageURL: "https://img/acme"}
	if got, err := localOrganization(sdkOrg); err != nil || got != wantOrg {
		t.Errorf("Backend API organization = %+v, %v; want %+v", got, err, wantOrg)
	}
	if got := decodeData[orgData](t, `{"id": "org_1", "name": "Acme", "slug": "acme", "logo_url": "https://img/acme"}`).model(); got != wantOrg {
		t.Errorf("webhook organization (logo_url) = %+v, want %+v", got, wantOrg)
	}

	sdkMembership := &clerk.OrganizationMembership{ID: "orgmem_1", Role: "admin", UpdatedAt: ms,
		Organization:   sdkOrg,
		PublicUserData: &clerk.OrganizationMembershipPublicUserData{UserID: "user_1", FirstName: clerk.String("Ada"), Identifier: "ada@example.com"}}
	m, err := fromSDK[membershipData](sdkMembership)
	if err != nil || complete(m) != nil {
		t.Fatalf("Backend API membership: %+v, %v, %v", m, err, complete(m))
	}
	mem, u := m.models()
	if mem.OrganizationID != "org_1" || mem.UserID != "user_1" || mem.Role != "admin" || mem.Permissions != nil ||
		u != (models.User{ID: "user_1", Email: "ada@example.com", FirstName: "Ada"}) {
		t.Errorf("membership = %+v with user %+v; want its two ends, the role as sent and no permissions (the role's defaults)", mem, u)
	}
	if err := complete(decodeData[membershipData](t, `{"id": "orgmem_2", "organization": {"id": "org_1"}}`)); err == nil {
		t.Error("a membership without its user was accepted")
	}
}

func decodeData[D object](t *testing.T, data string) D {
	t.Helper()
	var d D
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// A user's sign-in method: the active enterprise account's connection name,
// "" for a user without one, and unknown (nil: keep the stored one) when the
// data has no enterprise_accounts at all.
func TestUserSSOConnection(t *testing.T) {
	cases := []struct {
		name, data string
		want       *string
	}{
		{"sso", `{"id": "user_1", "enterprise_accounts": [{"active": false, "enterprise_connection": {"name": "Old"}},
			{"active": true, "enterprise_connection": {"name": "Initech Okta"}}]}`, clerk.String("Initech Okta")},
		{"none", `{"id": "user_1", "enterprise_accounts": []}`, clerk.String("")},
		{"unknown", `{"id": "user_1"}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := decodeData[userData](t, c.data).model().SSOConnection
			if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
				t.Errorf("SSOConnection = %v, want %v", got, c.want)
			}
		})
	}
}

// A Clerk timestamp is a JSON number (milliseconds, seconds, even with a
// fraction) or null; any other JSON value is refused, so the event is.
func TestEpochDecoding(t *testing.T) {
	for _, tt := range []struct {
		json    string
		want    time.Time
		invalid bool
	}{
		{json: `1716883500000`, want: time.UnixMilli(1716883500000).UTC()},
		{json: `1716883500`, want: time.Unix(1716883500, 0).UTC()},
		{json: `1.7168835e12`, want: time.UnixMilli(1716883500000).UTC()},
		{json: `null`},
		{json: `"1716883500000"`, invalid: true},
		{json: `{"ms": 1}`, invalid: true},
		{json: `true`, invalid: true},
	} {
		var v struct {
			At epoch `json:"at"`
		}
		err := json.Unmarshal([]byte(`{"at": `+tt.json+`}`), &v)
		switch {
		case tt.invalid && err == nil:
			t.Errorf("%s: decoded as %v, want an error", tt.json, v.At.Time())
		case !tt.invalid && (err != nil || !v.At.Time().Equal(tt.want)):
			t.Errorf("%s: %v, %v; want %v", tt.json, v.At.Time(), err, tt.want)
		}
	}
}
