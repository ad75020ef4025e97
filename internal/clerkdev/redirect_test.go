package clerkdev

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// foreignRedirects are redirect_url values on origins the instance does not know.
var foreignRedirects = []string{
	"https://evil.example/steal",
	"HTTPS://EVIL.EXAMPLE/steal",
	"http://localhost.evil.example:8080/steal",
	"http://127.0.0.1.nip.io:8080/steal",
	"http://localhost:8081/steal", // another local port
	"http://localhost:8080@evil.example/steal",
	"http://alice@localhost:8080/steal", // reads like the app, carries a user
	"http://evil.example:8080/steal",
	"https://localhost:8080/steal", // the app's host and port, another scheme
}

// TestRedirectURLRefusesOtherOrigins: the handshake and the hosted pages only send the
// browser (with its dev-browser token or a handshake payload) to an allowed origin;
// a redirect_url on another site is refused and learns nothing.
func TestRedirectURLRefusesOtherOrigins(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	b := newBrowser(t, e)

	// The victim is signed in: its browser holds the emulator's cookie.
	resp, _ := b.post("/sign-in", url.Values{"identifier": {"alice@example.com"}, "password": {SeedPassword}, "redirect_url": {appURL}})
	loc, _ := url.Parse(resp.Header.Get("Location"))
	db := loc.Query().Get("__clerk_db_jwt")
	if resp.StatusCode != http.StatusSeeOther || db == "" {
		t.Fatalf("sign-in to the app = %d %s", resp.StatusCode, loc)
	}

	leaks := func(what string, resp *http.Response, body string) {
		t.Helper()
		where := resp.Header.Get("Location")
		if where != "" {
			t.Errorf("%s = %d redirects to %s, want no redirect", what, resp.StatusCode, where)
		}
		if strings.Contains(body, db) || strings.Contains(where, db) {
			t.Errorf("%s leaks the dev browser %s", what, db)
		}
		if strings.Contains(where, "__clerk_handshake") || strings.Contains(body, "__clerk_handshake") {
			t.Errorf("%s leaks a handshake payload", what)
		}
	}

	for _, bad := range foreignRedirects {
		// Handshake: by the emulator's cookie alone (a link on the other site), by the
		// token in the URL, and in the nonce form.
		for _, q := range []url.Values{
			{"redirect_url": {bad}},
			{"redirect_url": {bad}, "__clerk_db_jwt": {db}},
			{"redirect_url": {bad}, "format": {"nonce"}, "__clerk_db_jwt": {db}},
		} {
			resp, body := b.get("/v1/client/handshake?" + q.Encode())
			what := "GET /v1/client/handshake?" + q.Encode()
			leaks(what, resp, body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s = %d, want 400", what, resp.StatusCode)
				continue
			}
			var env struct {
				Errors []struct {
					Code string         `json:"code"`
					Meta map[string]any `json:"meta"`
				} `json:"errors"`
			}
			if err := json.Unmarshal([]byte(body), &env); err != nil || len(env.Errors) != 1 ||
				env.Errors[0].Code != "form_param_value_invalid" || env.Errors[0].Meta["param_name"] != "redirect_url" {
				t.Errorf("%s body = %s, want Clerk's form_param_value_invalid for redirect_url", what, body)
			}
		}

		// Hosted pages, shown with the foreign redirect.
		for _, path := range []string{"/sign-in", "/sign-up", "/sign-out"} {
			for _, q := range []url.Values{{"redirect_url": {bad}}, {"redirect_url": {bad}, "__clerk_db_jwt": {db}}} {
				resp, body := b.get(path + "?" + q.Encode())
				what := "GET " + path + "?" + q.Encode()
				leaks(what, resp, body)
				if resp.StatusCode != http.StatusBadRequest {
					t.Errorf("%s = %d, want 400", what, resp.StatusCode)
				}
			}
		}

		// Form posts with the foreign redirect: refused before anything happens.
		posts := []struct {
			path string
			form url.Values
		}{
			{"/sign-in", url.Values{"identifier": {"alice@example.com"}, "password": {SeedPassword}}},
			{"/sign-up", url.Values{"identifier": {"mallory-victim@example.com"}, "password": {"s3cret-pass"}}},
			{"/sign-out", url.Values{}},
		}
		for _, p := range posts {
			for _, withDB := range []bool{false, true} {
				form := url.Values{"redirect_url": {bad}}
				for k, v := range p.form {
					form[k] = v
				}
				if withDB {
					form.Set("__clerk_db_jwt", db)
				}
				resp, body := b.post(p.path, form)
				what := "POST " + p.path + " redirect_url=" + bad
				leaks(what, resp, body)
				if resp.StatusCode != http.StatusBadRequest {
					t.Errorf("%s = %d, want 400", what, resp.StatusCode)
				}
			}
		}
	}

	// Nothing was done on the refused requests: no account was created and alice is
	// still signed in.
	if e.s.hasUserForTest("mallory-victim@example.com") {
		t.Error("a sign-up with a foreign redirect_url created the account")
	}
	hs := b.handshake(url.Values{"__clerk_db_jwt": {db}})
	if hs.cookies["__session"] == "" {
		t.Error("a sign-out with a foreign redirect_url ended the session")
	}

	// Parameters the emulator does not read never redirect anywhere.
	for _, name := range []string{"sign_in_force_redirect_url", "sign_up_force_redirect_url", "__clerk_redirect_url", "redirect_uri"} {
		q := url.Values{name: {"https://evil.example/steal"}, "__clerk_db_jwt": {db}}
		resp, body := b.get("/sign-in?" + q.Encode())
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" || strings.Contains(body, "evil.example") {
			t.Errorf("GET /sign-in?%s = %d, want the page without the foreign URL", q.Encode(), resp.StatusCode)
		}
	}

	// The app's origin still works, under either loopback name, and so does the
	// emulator's own origin.
	for _, good := range []string{appURL, "http://127.0.0.1:8080/dashboard?tab=1", e.srv.URL + "/sign-in"} {
		resp, _ := b.get("/v1/client/handshake?" + url.Values{"redirect_url": {good}, "__clerk_db_jwt": {db}}.Encode())
		loc, _ := url.Parse(resp.Header.Get("Location"))
		want, _ := url.Parse(good)
		if resp.StatusCode != http.StatusTemporaryRedirect || loc == nil || loc.Host != want.Host || loc.Query().Get("__clerk_handshake") == "" {
			t.Errorf("handshake to %s = %d %s, want 307 there with the handshake", good, resp.StatusCode, loc)
		}
		resp, _ = b.get("/sign-in?" + url.Values{"redirect_url": {good}}.Encode())
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /sign-in?redirect_url=%s = %d, want 200", good, resp.StatusCode)
		}
	}
}

// hasUserForTest reports whether a user with the email exists.
func (s *Server) hasUserForTest(email string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userByEmailLocked(email) != nil
}

// TestAllowedRedirectOrigins covers the configured set: the explicit origins, the webhook
// URL's, the emulator's own (following SetBaseURL), loopback aliases and default ports.
func TestAllowedRedirectOrigins(t *testing.T) {
	t.Parallel()
	s, err := New(Config{SigningKey: testKey(), WebhookURL: "http://127.0.0.1:7000/webhooks/clerk",
		AllowedRedirectOrigins: []string{"https://App.Example.test/", " http://[::1]:5173 ", ""}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.SetBaseURL("http://localhost:9001")
	want := []string{"http://localhost:5173", "http://localhost:7000", "http://localhost:9001", "https://app.example.test"}
	if got := s.AllowedRedirectOrigins(); !slices.Equal(got, want) {
		t.Errorf("AllowedRedirectOrigins() = %v, want %v", got, want)
	}
	for raw, allowed := range map[string]bool{
		"http://localhost:7000/orgs?x=1":       true, // the webhook URL's origin, by another loopback name
		"http://127.0.0.1:7000/":               true,
		"http://[::1]:7000/":                   true,
		"http://localhost:5173/app":            true,
		"https://app.example.test/x":           true,
		"https://APP.example.test:443/x":       true, // default port
		"http://127.0.0.1:9001/sign-in":        true, // the emulator itself
		"http://localhost:7001/":               false,
		"http://app.example.test/x":            false, // http, not https
		"https://app.example.test:8443/":       false,
		"https://sub.app.example.test/":        false,
		"https://app.example.test.evil.test/":  false,
		"http://user:pw@localhost:7000/":       false,
		"http://127.0.0.2:7000/":               false,
		"http://localhost.:7000/":              false,
		"https://app.example.test@evil.test/":  false,
		"http://localhost:7000@evil.test:7000": false,
	} {
		u, ok := absoluteHTTP(raw)
		if !ok {
			t.Fatalf("absoluteHTTP(%s) failed", raw)
		}
		if got := s.redirectAllowed(u); got != allowed {
			t.Errorf("redirectAllowed(%s) = %v, want %v", raw, got, allowed)
		}
	}

	for _, bad := range []string{"localhost:8080", "ftp://localhost", "http://", "http://localhost:8080/app", "http://a@localhost", "http://localhost/?x", "/relative"} {
		if _, err := New(Config{SigningKey: testKey(), AllowedRedirectOrigins: []string{bad}}); err == nil {
			t.Errorf("New with allowed origin %q succeeded, want an error", bad)
		}
	}

	// Without any configuration only the emulator's own origin is allowed.
	bare, err := New(Config{SigningKey: testKey()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bare.Close)
	bare.SetBaseURL("http://127.0.0.1:9002")
	if got := bare.AllowedRedirectOrigins(); !slices.Equal(got, []string{"http://localhost:9002"}) {
		t.Errorf("bare AllowedRedirectOrigins() = %v, want only the emulator", got)
	}
}
