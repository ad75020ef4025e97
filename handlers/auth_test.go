package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"example.com/saas/internal/apptest"
)

func getJSON(t *testing.T, c *http.Client, u string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Sec-Fetch-Dest", "empty")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func TestHostedSignInHandshakeAndSignOut(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, apptest.Options{})
	s.WaitForWebhooks(t)
	c := s.Browser(t)

	// A first visit runs the dev-browser handshake and lands signed out.
	resp, err := c.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `data-testid="sign-in"`) {
		t.Fatalf("landing = %d, want the signed-out page", resp.StatusCode)
	}
	if resp.Request.URL.String() != s.URL+"/" {
		t.Errorf("landing ended at %s, want the clean URL", resp.Request.URL)
	}

	resp = s.SignIn(t, c, "alice@example.com", "/api/v1/me")
	defer resp.Body.Close()
	var me struct {
		User struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"user"`
		SessionID string `json:"session_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after sign-in: %d at %s (%v)", resp.StatusCode, resp.Request.URL, err)
	}
	if me.User.Email != "alice@example.com" || me.SessionID == "" {
		t.Fatalf("/api/v1/me = %+v, want alice with a session", me)
	}
	if strings.Contains(resp.Request.URL.RawQuery, "__clerk") {
		t.Errorf("final URL carries protocol parameters: %s", resp.Request.URL)
	}

	// The next pages need no round trip to Clerk.
	before := s.FrontendRequests.Load()
	stats := s.Emu.Stats()
	for range 3 {
		if code := getJSON(t, c, s.URL+"/api/v1/me", nil); code != 200 {
			t.Fatalf("second request = %d", code)
		}
	}
	if got := s.FrontendRequests.Load() - before; got != 0 {
		t.Errorf("signed-in requests made %d Frontend API requests, want 0", got)
	}
	if got := totalCalls(s.Emu.Stats()) - totalCalls(stats); got != 0 {
		t.Errorf("signed-in requests made %d Backend API calls, want 0", got)
	}

	// Sign out: the session is revoked at Clerk and the cookies cleared.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/sign-out", nil)
	req.Header.Set("Origin", s.URL)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/" || resp.StatusCode != 200 {
		t.Fatalf("sign-out landed on %s (%d), want the home page", resp.Request.URL, resp.StatusCode)
	}
	if status := s.SessionStatus(t, me.SessionID); status != "revoked" {
		t.Fatalf("Clerk session after sign-out is %q, want revoked", status)
	}
	if code := getJSON(t, c, s.URL+"/api/v1/me", nil); code != http.StatusUnauthorized {
		t.Fatalf("after sign-out /api/v1/me = %d, want 401", code)
	}
}

func totalCalls(stats map[string]int) int {
	n := 0
	for _, v := range stats {
		n += v
	}
	return n
}
