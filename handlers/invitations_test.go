package handlers_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"example.com/saas/internal/apptest"
)

// inviteAndReadLink invites email to the organization slug through its members
// page, as admin, and returns the link of the email Clerk would have sent.
func inviteAndReadLink(t *testing.T, s *apptest.Stack, admin *http.Client, slug, email string) string {
	t.Helper()
	if code, _, _ := send(t, s, admin, "POST", "/orgs/"+slug+"/members/invitations", url.Values{"email": {email}, "role": {"org:member"}}); code != http.StatusSeeOther {
		t.Fatalf("invite %s to %s = %d, want 303", email, slug, code)
	}
	for _, e := range s.Emu.Emails() {
		if e.To == email && len(e.Links) == 1 {
			return e.Links[0]
		}
	}
	t.Fatalf("no invitation email to %s in the outbox", email)
	return ""
}

// visit gets an absolute URL with c, following redirects, and returns the
// final response and its body.
func visit(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// passedThrough reports whether the redirects that led to resp went through
// path on the app with the query parameter key=value.
func passedThrough(s *apptest.Stack, resp *http.Response, path, key, value string) bool {
	for req := resp.Request; req != nil; req = req.Response.Request {
		if strings.HasPrefix(req.URL.String(), s.URL+path+"?") && req.URL.Query().Get(key) == value {
			return true
		}
		if req.Response == nil {
			break
		}
	}
	return false
}

// submitHosted posts the form of the hosted page resp shows, with set
// changing its fields, and returns where the browser lands.
func submitHosted(t *testing.T, c *http.Client, resp *http.Response, body string, set url.Values) (*http.Response, string) {
	t.Helper()
	d := doc(t, body)
	form := url.Values{}
	d.Find("form input").Each(func(_ int, in *goquery.Selection) {
		if name, ok := in.Attr("name"); ok {
			form.Set(name, in.AttrOr("value", ""))
		}
	})
	for k, v := range set {
		form[k] = v
	}
	target, _ := resp.Request.URL.Parse(d.Find("form").AttrOr("action", ""))
	resp, err := c.PostForm(target.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// hasOrg reports whether c's organization list links slug, once the
// webhooks have arrived.
func hasOrg(t *testing.T, s *apptest.Stack, c *http.Client, slug string) bool {
	t.Helper()
	s.WaitForWebhooks(t)
	code, body, _ := send(t, s, c, "GET", "/orgs", nil)
	return code == http.StatusOK && doc(t, body).Find(`[data-testid="org-item"][href="/orgs/`+slug+`"]`).Length() == 1
}

// TestInvitationLinkLandsInTheOrganization follows invitation emails from
// the outbox: the link reaches the app's /sign-in with Clerk's ticket and
// status, which hands the ticket to the hosted sign-up (a new address) or
// sign-in (an account), and the invitee ends on /orgs with the organization.
func TestInvitationLinkLandsInTheOrganization(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	_, alice := s.SignedIn(t, "alice@example.com")

	// A new address signs up with the invited email, fixed.
	dora := s.Browser(t)
	resp, body := visit(t, dora, inviteAndReadLink(t, s, alice, "acme", "dora@example.com"))
	page := resp.Request.URL
	if !strings.HasPrefix(page.String(), s.EmuURL+"/sign-up?") || page.Query().Get("__clerk_ticket") == "" ||
		page.Query().Get("redirect_url") != s.URL+"/orgs" || !passedThrough(s, resp, "/sign-in", "__clerk_status", "sign_up") {
		t.Fatalf("the link of a new address led to %s, want the hosted sign-up with the ticket by way of /sign-in", page)
	}
	if in := doc(t, body).Find("#identifier"); in.AttrOr("value", "") != "dora@example.com" || in.AttrOr("readonly", "no") == "no" {
		t.Errorf("hosted sign-up shows the email %q (readonly %v), want dora's, fixed", in.AttrOr("value", ""), in.AttrOr("readonly", "no") != "no")
	}
	resp, _ = submitHosted(t, dora, resp, body, url.Values{"first_name": {"Dora"}, "password": {"dora-joins-acme"}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != s.URL+"/orgs" {
		t.Fatalf("sign-up with the ticket landed on %s (%d), want /orgs", resp.Request.URL, resp.StatusCode)
	}
	if !hasOrg(t, s, dora, "acme") {
		t.Error("dora's organizations lack acme after accepting")
	}

	// An account signs in with the ticket alone.
	carol := s.Browser(t)
	resp, body = visit(t, carol, inviteAndReadLink(t, s, alice, "acme", "carol@example.com"))
	if !strings.HasPrefix(resp.Request.URL.String(), s.EmuURL+"/sign-in?") || !passedThrough(s, resp, "/sign-in", "__clerk_status", "sign_in") ||
		doc(t, body).Find(`input[name="password"]`).Length() != 0 {
		t.Fatalf("the link of an account led to %s, want the hosted sign-in with the ticket and no password", resp.Request.URL)
	}
	if resp, _ = submitHosted(t, carol, resp, body, nil); resp.Request.URL.String() != s.URL+"/orgs" {
		t.Fatalf("sign-in with the ticket landed on %s, want /orgs", resp.Request.URL)
	}
	if !hasOrg(t, s, carol, "acme") {
		t.Error("carol's organizations lack acme after accepting")
	}

	// Signed in already as the invitee: Clerk completes it, and the app's
	// /sign-in goes straight to /orgs.
	s.CreateOrganization(t, "Initech", "initech", aliceID)
	s.WaitForWebhooks(t)
	bob, _ := s.SignedIn(t, "bob@example.com")
	resp, _ = visit(t, bob, inviteAndReadLink(t, s, alice, "initech", "bob@example.com"))
	if resp.Request.URL.String() != s.URL+"/orgs" || !passedThrough(s, resp, "/sign-in", "__clerk_status", "complete") {
		t.Fatalf("the link of a signed-in invitee led to %s, want /orgs by way of /sign-in with status complete", resp.Request.URL)
	}
	if !hasOrg(t, s, bob, "initech") {
		t.Error("bob's organizations lack initech after accepting")
	}
}

// TestSignInForwardsTheTicket: /sign-in and /sign-up pass an invitation's
// ticket to the hosted page __clerk_status names, even to a signed-in
// visitor; status complete has nothing to pass on.
func TestSignInForwardsTheTicket(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	_, alice := s.SignedIn(t, "alice@example.com")
	tests := []struct{ path, status, wantPage string }{
		{"/sign-in", "sign_up", "/sign-up"},
		{"/sign-up", "sign_in", "/sign-in"},
		{"/sign-up", "", "/sign-up"},
		{"/sign-in", "complete", ""},
	}
	for _, tt := range tests {
		q := url.Values{"redirect_url": {"/orgs"}, "__clerk_ticket": {"tkt_1"}, "__clerk_status": {tt.status}}
		code, _, resp := send(t, s, alice, "GET", tt.path+"?"+q.Encode(), nil)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		switch {
		case code != http.StatusFound:
			t.Errorf("%s with status %q = %d, want 302", tt.path, tt.status, code)
		case tt.wantPage == "" && loc.String() != "/orgs":
			t.Errorf("%s with status complete went to %s, want /orgs", tt.path, loc)
		case tt.wantPage != "" && (loc.Path != tt.wantPage || loc.Query().Get("__clerk_ticket") != "tkt_1" || loc.Query().Get("redirect_url") != s.URL+"/orgs"):
			t.Errorf("%s with status %q went to %s, want %s with the ticket", tt.path, tt.status, loc, tt.wantPage)
		}
	}
}
