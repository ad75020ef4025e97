package clerkdev

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
)

// getEmails reads the outbox as JSON, filtered by to when it is not "".
func getEmails(t *testing.T, e *testEnv, to string) []Email {
	t.Helper()
	path := "/__clerkdev/emails?format=json"
	if to != "" {
		path += "&to=" + to
	}
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []Email
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, %v", path, resp.StatusCode, err)
	}
	return out
}

func TestOutboxHoldsInvitationEmails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	if got := getEmails(t, e, ""); len(got) != 0 {
		t.Fatalf("outbox before any invitation = %v, want []", got)
	}
	nina := invite(t, e, seedID("org", "acme"), "nina@example.com", RoleMember, "")
	omar := invite(t, e, seedID("org", "globex"), "omar@example.com", RoleAdmin, "http://localhost:8080/sign-in")

	all := getEmails(t, e, "")
	if len(all) != 2 || all[0].To != "omar@example.com" || all[1].To != "nina@example.com" {
		t.Fatalf("outbox = %+v, want omar's then nina's (most recent first)", all)
	}
	got := all[1]
	if got.Template != "organization_invitation" || got.ObjectID != nina.ID || len(got.Links) != 1 || got.Links[0] != nina.URL ||
		got.Subject != "Alice Admin invited you to join Acme Inc" || !strings.Contains(got.Body, "as Member") ||
		!strings.Contains(got.Body, nina.URL) || got.SentAt.IsZero() || !strings.HasPrefix(got.ID, "ema_") {
		t.Errorf("nina's email = %+v", got)
	}
	if all[0].Links[0] != omar.URL {
		t.Errorf("omar's link = %s, want the invitation's url %s (the redirect_url is applied by the link)", all[0].Links[0], omar.URL)
	}
	if mine := getEmails(t, e, "NINA@example.com"); len(mine) != 1 || mine[0].ID != got.ID {
		t.Errorf("outbox to nina = %+v, want her one email", mine)
	}
	if emails := e.s.Emails(); len(emails) != 2 || emails[0].ID != all[0].ID {
		t.Errorf("Emails() = %+v, want the same as the JSON", emails)
	}

	// The page shows each email with its link, and nothing else is sent.
	b := newBrowser(t, e)
	resp, body := b.get("/__clerkdev/emails?to=nina@example.com")
	if resp.StatusCode != http.StatusOK || strings.Count(body, `data-testid="email"`) != 1 ||
		!strings.Contains(body, `data-testid="email-link"`) || !strings.Contains(body, html.EscapeString(nina.URL)) ||
		!strings.Contains(body, "Alice Admin invited you to join Acme Inc") || strings.Contains(body, "omar@example.com") {
		t.Fatalf("outbox page = %d:\n%s", resp.StatusCode, body)
	}
	if _, body := b.get("/"); !strings.Contains(body, `href="/__clerkdev/emails"`) {
		t.Error("the emulator's home page does not link the outbox")
	}
}
