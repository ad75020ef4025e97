package handlers_test

import (
	"net/http"
	"sync"
	"testing"

	"example.com/saas/internal/apptest"
)

// TestMembershipReadThroughOnMiss: with webhooks switched off the app has
// never heard of acme, alice or her membership; a token naming acme as the
// active organization still opens its API and its page, by one Backend API
// read stored through the webhook's code, and later requests make no Clerk
// call. A token naming an organization the user is not a member of is
// refused, and asking again does not ask Clerk again.
func TestMembershipReadThroughOnMiss(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, apptest.Options{NoWebhooks: true})
	_, alice := s.Session(t, aliceID, acmeID)
	_, noOrg := s.Session(t, aliceID, "")
	if code, raw := apiCall(t, s, noOrg, "GET", "/api/v1/me", nil, nil); code != http.StatusOK { // fetches the JWKS
		t.Fatalf("/api/v1/me = %d %s", code, raw)
	}

	before := totalCalls(s.Emu.Stats())
	if code, raw := apiCall(t, s, alice, "GET", "/api/v1/projects", nil, nil); code != http.StatusOK {
		t.Fatalf("GET /api/v1/projects with an unsynced membership = %d %s, want 200", code, raw)
	}
	if got := totalCalls(s.Emu.Stats()) - before; got != 1 {
		t.Errorf("the first request made %d Backend API calls, want 1", got)
	}
	var role string
	s.DB.Raw("SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?", acmeID, aliceID).Scan(&role)
	if role != "org:admin" {
		t.Errorf("stored membership role = %q, want org:admin", role)
	}

	synced := totalCalls(s.Emu.Stats())
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/orgs/acme/projects", nil)
	req.Header.Set("Authorization", "Bearer "+alice)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /orgs/acme/projects = %d, want 200", resp.StatusCode)
	}
	if code, _ := apiCall(t, s, alice, "GET", "/api/v1/projects", nil, nil); code != http.StatusOK {
		t.Errorf("second API request = %d", code)
	}
	if got := totalCalls(s.Emu.Stats()) - synced; got != 0 {
		t.Errorf("requests after the read-through made %d Backend API calls, want 0", got)
	}

	// Twenty first requests of bob at once share one read.
	_, bob := s.Session(t, bobID, acmeID)
	beforeBob := totalCalls(s.Emu.Stats())
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Go(func() { codes[i], _ = apiCall(t, s, bob, "GET", "/api/v1/projects", nil, nil) })
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusOK {
			t.Errorf("concurrent request %d of bob = %d, want 200", i, code)
		}
	}
	if got := totalCalls(s.Emu.Stats()) - beforeBob; got != 1 {
		t.Errorf("20 concurrent first requests made %d Backend API calls, want 1", got)
	}
	synced = totalCalls(s.Emu.Stats())

	// Carol is no member of acme: a token claiming it is refused, and the
	// answer is remembered.
	carol := s.SignToken(t, map[string]any{"sub": carolID, "o": map[string]any{"id": acmeID, "slg": "acme", "rol": "admin"}})
	for i := range 3 {
		if code, _ := apiCall(t, s, carol, "GET", "/api/v1/projects", nil, nil); code == http.StatusOK {
			t.Fatalf("request %d of a non-member = 200", i)
		}
	}
	if got := totalCalls(s.Emu.Stats()) - synced; got > 1 {
		t.Errorf("three refused requests made %d Backend API calls, want at most 1", got)
	}
}
