package clerkdev

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	sdkuser "github.com/clerk/clerk-sdk-go/v2/user"
)

// ssoSeed is the default seed plus Initech's Okta for initech.test and a user there
// who signed up with a password before SSO.
func ssoSeed() *Seed {
	s := DefaultSeed()
	s.Users = append(s.Users, SeedUser{Email: "bill@initech.test", FirstName: "Bill", LastName: "Lumbergh"})
	s.EnterpriseConnections = []SeedConnection{{Name: "Initech Okta", Domain: "initech.test", Provider: "saml_okta"}}
	return &s
}

// ssoSignUp signs pat@initech.test up through the identity-provider page.
func ssoSignUp(t *testing.T, b *browser) {
	t.Helper()
	resp, _ := b.post("/sign-up", url.Values{"identifier": {"pat@initech.test"}, "redirect_url": {appURL}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up at an SSO domain = %d, want 303", resp.StatusCode)
	}
	idp := location(t, resp)
	if idp.Path != "/__clerkdev/sso/"+seedID("samlc", "initech.test") || idp.Query().Get("email") != "pat@initech.test" {
		t.Fatalf("sign-up went to %s, want the identity provider's page", idp)
	}
	resp, body := b.get(idp.RequestURI())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Initech Okta") || !strings.Contains(body, `data-testid="sso-form"`) {
		t.Fatalf("identity provider page = %d %s", resp.StatusCode, body)
	}
	q := idp.Query()
	resp, _ = b.post(idp.Path, url.Values{"email": {q.Get("email")}, "redirect_url": {q.Get("redirect_url")},
		"__clerk_db_jwt": {q.Get("__clerk_db_jwt")}, "first_name": {"Pat"}, "last_name": {"Doe"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(location(t, resp).String(), "http://localhost:8080/dashboard") {
		t.Fatalf("identity provider sign-in = %d %s, want back to the app", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestEnterpriseSSOSignUp(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{Seed: ssoSeed(), WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	ctx := context.Background()
	if _, err := organizationdomain.NewClient(e.sdk()).Create(ctx, acmeID, &organizationdomain.CreateParams{
		Name: clerk.String("initech.test"), EnrollmentMode: clerk.String("automatic_invitation")}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, e)
	ssoSignUp(t, b)

	list, err := sdkuser.NewClient(e.sdk()).List(ctx, &sdkuser.ListParams{EmailAddresses: []string{"pat@initech.test"}})
	if err != nil || len(list.Users) != 1 {
		t.Fatalf("users = %+v, %v", list, err)
	}
	pat := list.Users[0]
	if pat.PasswordEnabled || *pat.FirstName != "Pat" {
		t.Errorf("pat = password %v, name %v; want no password, Pat", pat.PasswordEnabled, *pat.FirstName)
	}
	var raw map[string]any
	e.bapiOK("GET", "/v1/users/"+pat.ID, nil, &raw)
	accounts, _ := raw["enterprise_accounts"].([]any)
	if len(accounts) != 1 {
		t.Fatalf("enterprise_accounts = %v, want one", raw["enterprise_accounts"])
	}
	acct := accounts[0].(map[string]any)
	conn, _ := acct["enterprise_connection"].(map[string]any)
	if acct["object"] != "enterprise_account" || acct["protocol"] != "saml" || acct["provider"] != "saml_okta" ||
		acct["active"] != true || acct["email_address"] != "pat@initech.test" || conn["name"] != "Initech Okta" ||
		conn["domain"] != "initech.test" || acct["enterprise_connection_id"] != conn["id"] {
		t.Errorf("enterprise account = %v", acct)
	}
	emails := raw["email_addresses"].([]any)
	if emails[0].(map[string]any)["matches_sso_connection"] != true {
		t.Errorf("email address = %v, want matches_sso_connection", emails[0])
	}
	if got := pendingInvitations(t, e, pat.ID); len(got) != 1 || got[0].OrganizationID != acmeID {
		t.Errorf("pat's invitations = %+v, want the domain's", got)
	}

	flush(t, e.s)
	events := rcv.events(t, e.s.WebhookSecret())
	var created map[string]any
	for _, ev := range events["user.created"] {
		if d := ev["data"].(map[string]any); d["id"] == pat.ID {
			created = d
		}
	}
	if a, _ := created["enterprise_accounts"].([]any); len(a) != 1 {
		t.Errorf("user.created enterprise_accounts = %v, want pat's", created["enterprise_accounts"])
	}
	if len(events["session.created"]) != 1 {
		t.Errorf("session.created events = %d, want 1", len(events["session.created"]))
	}
}

func TestEnterpriseSSORefusesPasswords(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{Seed: ssoSeed(), WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	b := newBrowser(t, e)

	// Bill has a password from before SSO: it no longer signs him in.
	resp, body := b.post("/sign-in", url.Values{"identifier": {"bill@initech.test"}, "password": {SeedPassword}, "redirect_url": {appURL}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="strategy_for_user_invalid"`) ||
		!strings.Contains(body, "The verification strategy is not valid for this account") {
		t.Fatalf("password sign-in at an SSO domain = %d %s", resp.StatusCode, body)
	}
	// Without a password he goes to the identity provider, and signing in there links
	// his enterprise account (user.updated).
	resp, _ = b.post("/sign-in", url.Values{"identifier": {"bill@initech.test"}, "redirect_url": {appURL}})
	idp := location(t, resp)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(idp.Path, "/__clerkdev/sso/") {
		t.Fatalf("sign-in without a password = %d %s", resp.StatusCode, idp)
	}
	q := idp.Query()
	resp, _ = b.post(idp.Path, url.Values{"email": {"bill@initech.test"}, "redirect_url": {q.Get("redirect_url")},
		"__clerk_db_jwt": {q.Get("__clerk_db_jwt")}, "first_name": {"Bill"}, "last_name": {"Lumbergh"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("identity provider sign-in = %d", resp.StatusCode)
	}
	flush(t, e.s)
	events := rcv.events(t, e.s.WebhookSecret())
	if len(events["user.updated"]) != 1 {
		t.Fatalf("user.updated events = %d, want 1", len(events["user.updated"]))
	}
	if a, _ := events["user.updated"][0]["data"].(map[string]any)["enterprise_accounts"].([]any); len(a) != 1 {
		t.Errorf("user.updated enterprise_accounts = %v", a)
	}
	// Another address at another domain, or a forged one, is not this provider's.
	if resp, _ := b.post(idp.Path, url.Values{"email": {"alice@example.com"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("identity provider for another domain = %d, want 404", resp.StatusCode)
	}
	if resp, _ := b.get("/__clerkdev/sso/samlc_nope?email=pat@initech.test"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown connection = %d, want 404", resp.StatusCode)
	}
}

func TestEnterpriseSeedErrors(t *testing.T) {
	t.Parallel()
	for _, c := range [][]SeedConnection{
		{{Name: "", Domain: "a.test"}},
		{{Name: "A", Domain: "not a domain"}},
		{{Name: "A", Domain: "a.test", Protocol: "kerberos"}},
		{{Name: "A", Domain: "a.test"}, {Name: "B", Domain: "A.test"}},
	} {
		s := DefaultSeed()
		s.EnterpriseConnections = c
		if _, err := New(Config{Seed: &s, SigningKey: testKey()}); err == nil {
			t.Errorf("New with connections %+v: error = nil", c)
		}
	}
}

func TestDevSeed(t *testing.T) {
	t.Parallel()
	seed := DevSeed()
	e := newEnv(t, Config{Seed: &seed})
	var bill *SeedUser
	for _, u := range e.s.SeedAccounts() {
		if u.Email == "bill@initech.test" {
			bill = &u
		}
	}
	if bill == nil || bill.Password != "" {
		t.Fatalf("bill in SeedAccounts = %+v, want him without a password", bill)
	}
	var raw map[string]any
	e.bapiOK("GET", "/v1/users/"+seedID("user", "bill"), nil, &raw)
	if raw["password_enabled"] != false {
		t.Errorf("bill password_enabled = %v, want false", raw["password_enabled"])
	}
}
