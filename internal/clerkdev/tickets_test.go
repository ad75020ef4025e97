package clerkdev

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	sdkuser "github.com/clerk/clerk-sdk-go/v2/user"
)

// invite creates an invitation through clerk-sdk-go; redirect "" means none.
func invite(t *testing.T, e *testEnv, orgID, email, role, redirect string) *clerk.OrganizationInvitation {
	t.Helper()
	p := &organizationinvitation.CreateParams{OrganizationID: orgID, EmailAddress: clerk.String(email),
		Role: clerk.String(role), InviterUserID: clerk.String(seedID("user", "alice"))}
	if redirect != "" {
		p.RedirectURL = clerk.String(redirect)
	}
	inv, err := organizationinvitation.NewClient(e.sdk()).Create(context.Background(), p)
	if err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	return inv
}

// ticketOf returns the ticket in an invitation's link.
func ticketOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Path != "/v1/tickets/accept" || u.Query().Get("ticket") == "" {
		t.Fatalf("invitation link %q, want /v1/tickets/accept?ticket=", link)
	}
	return u.Query().Get("ticket")
}

// open gets an absolute URL of the emulator, without following redirects.
func (b *browser) open(link string) (*http.Response, string) {
	b.t.Helper()
	return b.get(strings.TrimPrefix(link, b.e.srv.URL))
}

// location is the Location a response redirects to.
func location(t *testing.T, resp *http.Response) *url.URL {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// invitationStatus reads an invitation's status and user_id with a raw Backend API call.
func invitationStatus(t *testing.T, e *testEnv, inv *clerk.OrganizationInvitation) (status, userID string) {
	t.Helper()
	code, body := e.bapi(http.MethodGet, "/v1/organizations/"+inv.OrganizationID+"/invitations/"+inv.ID, nil)
	var got struct {
		Status string `json:"status"`
		UserID string `json:"user_id"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &got) != nil {
		t.Fatalf("get invitation = %d %s", code, body)
	}
	return got.Status, got.UserID
}

// membershipOf returns the membership of userID in orgID, or nil.
func membershipOf(t *testing.T, e *testEnv, orgID, userID string) *clerk.OrganizationMembership {
	t.Helper()
	list, err := organizationmembership.NewClient(e.sdk()).List(context.Background(),
		&organizationmembership.ListParams{OrganizationID: orgID, UserIDs: []string{userID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.OrganizationMemberships) == 0 {
		return nil
	}
	return list.OrganizationMemberships[0]
}

// eventTypesSince lists the types of the events queued after the first n.
func eventTypesSince(s *Server, n int) []string {
	var out []string
	for _, d := range s.Deliveries()[n:] {
		out = append(out, d.Type)
	}
	return out
}

func TestTicketClaims(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	inv := invite(t, e, seedID("org", "acme"), "nina@example.com", RoleMember, "")
	parts := strings.Split(ticketOf(t, inv.URL), ".")
	if len(parts) != 3 {
		t.Fatalf("ticket has %d parts, want a JWT's 3", len(parts))
	}
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if string(header) != `{"alg":"HS256","typ":"JWT"}` || claims["sid"] != inv.ID || claims["st"] != "organization_invitation" ||
		claims["iid"] != InstanceID || claims["exp"] != float64(*inv.ExpiresAt/1000) || claims["eis"] != float64(30*24*3600) {
		t.Errorf("ticket header %s, claims %v", header, claims)
	}
}

func TestTicketSignUpAcceptsOnce(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	ctx := context.Background()
	acme := seedID("org", "acme")
	meta := json.RawMessage(`{"team":"blue"}`)
	inv, err := organizationinvitation.NewClient(e.sdk()).Create(ctx, &organizationinvitation.CreateParams{
		OrganizationID: acme, EmailAddress: clerk.String("nina@example.com"), Role: clerk.String(RoleMember), PublicMetadata: &meta})
	if err != nil {
		t.Fatal(err)
	}
	ticket := ticketOf(t, inv.URL)

	// The link sends a new address to the hosted sign-up with the ticket.
	b := newBrowser(t, e)
	resp, _ := b.open(inv.URL)
	loc := location(t, resp)
	if loc.Path != "/sign-up" || loc.Query().Get("__clerk_ticket") != ticket || loc.Query().Has("__clerk_status") {
		t.Fatalf("link led to %s, want /sign-up?__clerk_ticket=", loc)
	}
	resp, body := b.get(loc.String())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="nina@example.com" readonly`) ||
		!strings.Contains(body, `name="__clerk_ticket" value="`+ticket+`"`) || !strings.Contains(body, `name="first_name"`) ||
		!strings.Contains(body, "Acme Inc") || strings.Contains(body, `href="/sign-in`) {
		t.Fatalf("sign-up page with the ticket = %d:\n%s", resp.StatusCode, body)
	}

	// Without a password the form comes back, the address still fixed.
	form := url.Values{"__clerk_ticket": {ticket}, "identifier": {"mallory@example.com"}, "first_name": {"Nina"},
		"last_name": {"New"}, "redirect_url": {appURL}}
	resp, body = b.post("/sign-up", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="nina@example.com" readonly`) {
		t.Fatalf("sign-up without a password = %d:\n%s", resp.StatusCode, body)
	}

	// The account gets the invited address, whatever the form says; then the invitation is accepted.
	flush(t, e.s)
	before := len(e.s.Deliveries())
	form.Set("password", "s3cret-pass")
	resp, _ = b.post("/sign-up", form)
	if loc := location(t, resp); !strings.HasPrefix(loc.String(), "http://localhost:8080/dashboard?") || loc.Query().Get("__clerk_db_jwt") == "" {
		t.Fatalf("sign-up went to %s, want the app with the dev browser", loc)
	}
	users := sdkuser.NewClient(e.sdk())
	list, err := users.List(ctx, &sdkuser.ListParams{EmailAddresses: []string{"nina@example.com", "mallory@example.com"}})
	if err != nil || len(list.Users) != 1 || list.Users[0].EmailAddresses[0].EmailAddress != "nina@example.com" {
		t.Fatalf("users after sign-up = %+v, %v; want nina only", list, err)
	}
	nina := list.Users[0].ID
	if status, userID := invitationStatus(t, e, inv); status != "accepted" || userID != nina {
		t.Errorf("invitation = %s for %q, want accepted for %s", status, userID, nina)
	}
	m := membershipOf(t, e, acme, nina)
	if m == nil || m.Role != RoleMember || string(m.PublicMetadata) != `{"team":"blue"}` {
		t.Fatalf("membership = %+v, want org:member with the invitation's metadata", m)
	}
	flush(t, e.s)
	want := []string{"user.created", "organizationInvitation.accepted", "organizationMembership.created", "session.created"}
	if got := eventTypesSince(e.s, before); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}

	// The ticket works once.
	for _, path := range []string{strings.TrimPrefix(inv.URL, e.srv.URL), "/sign-up?__clerk_ticket=" + url.QueryEscape(ticket)} {
		resp, body := b.get(path)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "already been accepted") || strings.Contains(body, "<form") {
			t.Errorf("GET %s again = %d, want 400 already accepted, no form:\n%s", path, resp.StatusCode, body)
		}
	}
	form.Set("identifier", "nina2@example.com")
	if resp, body := b.post("/sign-up", form); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "already been accepted") {
		t.Errorf("second sign-up with the ticket = %d, want 400", resp.StatusCode)
	}
}

func TestTicketExistingUserSignsIn(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	globex, bob := seedID("org", "globex"), seedID("user", "bob")
	inv := invite(t, e, globex, "bob@example.com", RoleAdmin, "")
	ticket := ticketOf(t, inv.URL)

	b := newBrowser(t, e)
	resp, _ := b.open(inv.URL)
	if loc := location(t, resp); loc.Path != "/sign-in" || loc.Query().Get("__clerk_ticket") != ticket {
		t.Fatalf("link led to %s, want /sign-in?__clerk_ticket=", loc)
	}
	// The sign-up page hands an existing account's ticket to the sign-in page.
	resp, _ = b.get("/sign-up?__clerk_ticket=" + url.QueryEscape(ticket) + "&redirect_url=" + url.QueryEscape(appURL))
	loc := location(t, resp)
	if loc.Path != "/sign-in" || loc.Query().Get("__clerk_ticket") != ticket || loc.Query().Get("redirect_url") != appURL {
		t.Fatalf("sign-up with bob's ticket went to %s, want the sign-in page with the ticket", loc)
	}
	resp, body := b.get(loc.String())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="bob@example.com" readonly`) ||
		strings.Contains(body, `name="password"`) || strings.Contains(body, "Development accounts") {
		t.Fatalf("sign-in page with the ticket = %d:\n%s", resp.StatusCode, body)
	}

	flush(t, e.s)
	before := len(e.s.Deliveries())
	resp, _ = b.post("/sign-in", url.Values{"__clerk_ticket": {ticket}, "identifier": {"carol@example.com"},
		"redirect_url": {appURL}, "__clerk_db_jwt": {loc.Query().Get("__clerk_db_jwt")}})
	db := location(t, resp).Query().Get("__clerk_db_jwt")
	if m := membershipOf(t, e, globex, bob); m == nil || m.Role != RoleAdmin {
		t.Fatalf("bob's globex membership = %+v, want org:admin", m)
	}
	if hs := b.handshake(url.Values{"__clerk_db_jwt": {db}}); hs.cookies["__session"] == "" {
		t.Error("not signed in after the ticket sign-in")
	}
	flush(t, e.s)
	want := []string{"organizationInvitation.accepted", "organizationMembership.created", "session.created"}
	if got := eventTypesSince(e.s, before); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestTicketRedirectURLStatuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	acme, globex := seedID("org", "acme"), seedID("org", "globex")
	const landing = "http://localhost:8080/sign-in?redirect_url=%2Forgs"
	tests := []struct {
		name, org, email, status string
	}{
		{"new address", acme, "pat@example.com", ticketSignUp},
		{"existing account", globex, "bob@example.com", ticketSignIn},
	}
	for _, tt := range tests {
		inv := invite(t, e, tt.org, tt.email, RoleMember, landing)
		resp, _ := newBrowser(t, e).open(inv.URL)
		loc := location(t, resp)
		q := loc.Query()
		if loc.Host != "localhost:8080" || loc.Path != "/sign-in" || q.Get("redirect_url") != "/orgs" ||
			q.Get("__clerk_ticket") != ticketOf(t, inv.URL) || q.Get("__clerk_status") != tt.status || q.Has("__clerk_db_jwt") {
			t.Errorf("%s: link led to %s, want the redirect_url with the ticket and status %s", tt.name, loc, tt.status)
		}
		if status, _ := invitationStatus(t, e, inv); status != "pending" {
			t.Errorf("%s: invitation %s after following the link, want pending", tt.name, status)
		}
	}

	// A browser signed in as the invited account completes at once.
	b := newBrowser(t, e)
	if resp, _ := b.post("/sign-in", url.Values{"identifier": {"carol@example.com"}, "password": {SeedPassword}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in as carol = %d", resp.StatusCode)
	}
	inv := invite(t, e, acme, "carol@example.com", RoleMember, landing)
	resp, _ := b.open(inv.URL)
	q := location(t, resp).Query()
	if q.Get("__clerk_status") != ticketComplete || q.Get("__clerk_db_jwt") == "" {
		t.Errorf("signed-in link = %s, want status complete with the dev browser", resp.Header.Get("Location"))
	}
	if status, _ := invitationStatus(t, e, inv); status != "accepted" || membershipOf(t, e, acme, seedID("user", "carol")) == nil {
		t.Errorf("after complete: invitation %s, want accepted with a membership", status)
	}

	// A redirect_url outside the allowed redirect origins is refused before anything happens.
	inv = invite(t, e, acme, "eve@example.com", RoleMember, "https://evil.example/welcome")
	if resp, body := b.open(inv.URL); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "allowed redirect origins") {
		t.Errorf("link with a foreign redirect_url = %d, want 400", resp.StatusCode)
	}
}

func TestTicketRefused(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	e := newEnv(t, Config{Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	other := newEnv(t, Config{})
	acme := seedID("org", "acme")
	ic := organizationinvitation.NewClient(e.sdk())

	revoked := invite(t, e, acme, "rex@example.com", RoleMember, "")
	if _, err := ic.Revoke(context.Background(), &organizationinvitation.RevokeParams{OrganizationID: acme, ID: revoked.ID}); err != nil {
		t.Fatal(err)
	}
	soon, err := ic.Create(context.Background(), &organizationinvitation.CreateParams{OrganizationID: acme,
		EmailAddress: clerk.String("sid@example.com"), Role: clerk.String(RoleMember), ExpiresInDays: clerk.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	foreign := ticketOf(t, invite(t, other, acme, "fay@example.com", RoleMember, "").URL)
	altered := ticketOf(t, soon.URL)
	altered = altered[:len(altered)-2] + "xx"
	offset.Store(int64(2 * 24 * time.Hour))

	b := newBrowser(t, e)
	tests := []struct{ name, ticket, want string }{
		{"revoked", ticketOf(t, revoked.URL), "was revoked"},
		{"expired", ticketOf(t, soon.URL), "has expired"},
		{"altered", altered, "not valid"},
		{"another instance's", foreign, "not valid"},
		{"not a ticket", "orginv_123", "not valid"},
	}
	for _, tt := range tests {
		q := url.Values{"__clerk_ticket": {tt.ticket}}
		for _, path := range []string{"/v1/tickets/accept?ticket=" + url.QueryEscape(tt.ticket), "/sign-up?" + q.Encode(), "/sign-in?" + q.Encode()} {
			resp, body := b.get(path)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.want) || strings.Contains(body, "<form") {
				t.Errorf("%s: GET %s = %d, want 400 %q without a form", tt.name, path, resp.StatusCode, tt.want)
			}
		}
		q.Set("password", "s3cret-pass")
		for _, path := range []string{"/sign-up", "/sign-in"} {
			if resp, body := b.post(path, q); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.want) {
				t.Errorf("%s: POST %s = %d, want 400 %q", tt.name, path, resp.StatusCode, tt.want)
			}
		}
	}
	if list, _ := sdkuser.NewClient(e.sdk()).List(context.Background(), &sdkuser.ListParams{EmailAddresses: []string{"rex@example.com", "sid@example.com"}}); len(list.Users) != 0 {
		t.Errorf("refused tickets created %d users", len(list.Users))
	}
}

// Nothing but the ticket accepts an invitation.
func TestNoAutoAcceptance(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	acme := seedID("org", "acme")
	byAPI := invite(t, e, acme, "quinn@example.com", RoleMember, "")
	bySignUp := invite(t, e, acme, "rosa@example.com", RoleMember, "")

	quinn, err := sdkuser.NewClient(e.sdk()).Create(context.Background(), &sdkuser.CreateParams{EmailAddresses: &[]string{"quinn@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, e)
	if resp, _ := b.post("/sign-up", url.Values{"identifier": {"rosa@example.com"}, "password": {"s3cret-pass"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("plain sign-up of rosa = %d", resp.StatusCode)
	}
	if resp, _ := b.post("/sign-in", url.Values{"identifier": {"rosa@example.com"}, "password": {"s3cret-pass"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("plain sign-in of rosa = %d", resp.StatusCode)
	}
	for _, inv := range []*clerk.OrganizationInvitation{byAPI, bySignUp} {
		if status, _ := invitationStatus(t, e, inv); status != "pending" {
			t.Errorf("invitation of %s = %s, want pending", inv.EmailAddress, status)
		}
	}
	if membershipOf(t, e, acme, quinn.ID) != nil {
		t.Error("creating an invited user made a membership")
	}
	// The pending invitation's link now asks the new account to sign in.
	resp, _ := newBrowser(t, e).open(byAPI.URL)
	if loc := location(t, resp); loc.Path != "/sign-in" {
		t.Errorf("link for an account made meanwhile led to %s, want /sign-in", loc)
	}
}
