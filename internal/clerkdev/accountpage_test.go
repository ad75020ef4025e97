package clerkdev

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	sdksession "github.com/clerk/clerk-sdk-go/v2/session"
	sdkuser "github.com/clerk/clerk-sdk-go/v2/user"
)

const aliceSeedID = "user_2alice000000000000000000000"

// signInAlice signs the browser in on the hosted page (the emulator's cookie is set).
func signInAlice(t *testing.T, b *browser) {
	t.Helper()
	resp, _ := b.post("/sign-in", url.Values{"identifier": {"alice@example.com"}, "password": {SeedPassword}, "redirect_url": {appURL}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in = %d", resp.StatusCode)
	}
}

// The user page needs the emulator's session: signed out, it sends the browser to the
// hosted sign-in, which comes back to it with the app's redirect_url kept.
func TestAccountPageRequiresASession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	b := newBrowser(t, e)
	resp, _ := b.get("/user?redirect_url=" + url.QueryEscape(appURL))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Path != "/sign-in" {
		t.Fatalf("GET /user signed out = %d to %s, want 303 to /sign-in", resp.StatusCode, loc)
	}
	back := e.srv.URL + "/user?" + url.Values{"redirect_url": {appURL}}.Encode()
	if got := loc.Query().Get("redirect_url"); got != back {
		t.Errorf("sign-in's redirect_url = %q, want %q", got, back)
	}
	if resp, _ := b.post("/user", url.Values{"first_name": {"Mallory"}}); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/sign-in?") {
		t.Errorf("POST /user signed out = %d to %s, want the sign-in", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.get("/user?redirect_url=" + url.QueryEscape("https://evil.example/")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET /user with a foreign redirect_url = %d, want 400", resp.StatusCode)
	}
}

// Signed in, the page shows the user's name and primary email, under the hosted pages'
// CSP, with a way back to the app; the name form changes the user as the Backend API
// does, user.updated included.
func TestAccountPageShowsAndRenames(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	b := newBrowser(t, e)
	signInAlice(t, b)

	resp, body := b.get("/user?redirect_url=" + url.QueryEscape(appURL))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /user = %d", resp.StatusCode)
	}
	for _, want := range []string{`data-testid="account-name">Alice Admin<`, `data-testid="account-email">alice@example.com<`, `value="Alice"`, `value="Admin"`, `data-testid="account-back"`, `href="` + strings.ReplaceAll(appURL, "&", "&amp;") + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("user page lacks %s", want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Errorf("user page CSP %q, or inline script or style in the page", csp)
	}

	resp, _ = b.post("/user", url.Values{"first_name": {" Alicia "}, "last_name": {"Renamed"}, "redirect_url": {appURL}})
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Path != "/user" || loc.Query().Get("redirect_url") != appURL {
		t.Fatalf("POST /user = %d to %s, want 303 to the page again", resp.StatusCode, loc)
	}
	u, err := sdkuser.NewClient(e.sdk()).Get(context.Background(), aliceSeedID)
	if err != nil || *u.FirstName != "Alicia" || *u.LastName != "Renamed" {
		t.Fatalf("user after the form = %+v, %v; want Alicia Renamed", u, err)
	}
	if _, body := b.get(loc.RequestURI()); !strings.Contains(body, "Alicia Renamed") || !strings.Contains(body, "Your name is saved.") {
		t.Errorf("page after saving lacks the new name or the confirmation")
	}
	flush(t, e.s)
	updated := rcv.events(t, e.s.WebhookSecret())["user.updated"]
	if len(updated) != 1 {
		t.Fatalf("user.updated events = %d, want 1", len(updated))
	}
	if data := updated[0]["data"].(map[string]any); data["id"] != aliceSeedID || data["first_name"] != "Alicia" || data["last_name"] != "Renamed" {
		t.Errorf("user.updated data = %v", data)
	}
}

// "Sign out of all sessions" revokes every active session of the user, in this browser
// and elsewhere, with session.revoked for each, and returns to the app signed out.
func TestAccountPageSignsOutEverywhere(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 0)
	e := newEnv(t, Config{WebhookURL: rcv.srv.URL, RetrySchedule: fastRetries()})
	b := newBrowser(t, e)
	signInAlice(t, b)
	ctx := context.Background()
	sessions := sdksession.NewClient(e.sdk())
	other, err := sessions.Create(ctx, &sdksession.CreateParams{UserID: aliceSeedID})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := sessions.Create(ctx, &sdksession.CreateParams{UserID: "user_2bob00000000000000000000000"})
	if err != nil {
		t.Fatal(err)
	}

	resp, _ := b.post("/user/sign-out-all", url.Values{"redirect_url": {appURL}})
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.String(), "http://localhost:8080/dashboard") || loc.Query().Get("__clerk_db_jwt") == "" {
		t.Fatalf("POST /user/sign-out-all = %d to %s, want 303 back to the app with the dev browser", resp.StatusCode, loc)
	}
	list, err := sessions.List(ctx, &sdksession.ListParams{UserID: ptrTo(aliceSeedID)})
	if err != nil || len(list.Sessions) != 2 {
		t.Fatalf("alice's sessions = %+v, %v; want 2", list, err)
	}
	for _, sess := range list.Sessions {
		if sess.Status != "revoked" {
			t.Errorf("session %s is %s, want revoked", sess.ID, sess.Status)
		}
	}
	if got, _ := sessions.Get(ctx, bob.ID); got.Status != "active" {
		t.Errorf("another user's session is %s, want active", got.Status)
	}
	hs := b.handshake(url.Values{"__clerk_db_jwt": {loc.Query().Get("__clerk_db_jwt")}})
	if hs.cookies["__session"] != "" {
		t.Errorf("the handshake after signing out everywhere is signed in")
	}
	if resp, _ := b.get("/user"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /user after signing out everywhere = %d, want the sign-in", resp.StatusCode)
	}
	flush(t, e.s)
	revoked := map[string]bool{}
	for _, ev := range rcv.events(t, e.s.WebhookSecret())["session.revoked"] {
		revoked[ev["data"].(map[string]any)["id"].(string)] = true
	}
	if len(revoked) != 2 || !revoked[other.ID] {
		t.Errorf("session.revoked for %v, want alice's two sessions", revoked)
	}
}
