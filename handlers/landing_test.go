package handlers_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// lastOrgOf reads the users row's last organization ("" for none).
func lastOrgOf(t *testing.T, s *apptest.Stack, userID string) string {
	t.Helper()
	u, err := models.GetUser(t.Context(), s.DB, userID)
	if err != nil {
		t.Fatal(err)
	}
	if u.LastOrganizationID == nil {
		return ""
	}
	return *u.LastOrganizationID
}

// appLanding is where /app sends c.
func appLanding(t *testing.T, s *apptest.Stack, c *http.Client) string {
	t.Helper()
	_, _, resp := send(t, s, c, "GET", "/app", nil)
	return resp.Header.Get("Location")
}

// TestLandingOnLastOrganization: opening an organization's page records it
// on the users row; it survives Clerk's user.updated sync and signing out,
// so the next sign-in lands there; an explicit return path wins over it.
func TestLandingOnLastOrganization(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	follow, noFollow := s.SignedIn(t, "alice@example.com")
	if got := appLanding(t, s, noFollow); got != "/orgs" {
		t.Errorf("/app with two organizations and none used = %q, want /orgs", got)
	}
	if code, _, _ := send(t, s, follow, "GET", "/orgs/globex/projects", nil); code != 200 {
		t.Fatalf("globex projects = %d", code)
	}
	if got := lastOrgOf(t, s, aliceID); got != globexID {
		t.Fatalf("last organization after globex = %q, want %s", got, globexID)
	}

	// Clerk's user.updated (a new name) leaves the column alone.
	if _, err := user.NewClient(s.ClientConfig()).Update(t.Context(), aliceID, &user.UpdateParams{FirstName: clerk.String("Alicia")}); err != nil {
		t.Fatal(err)
	}
	s.WaitForWebhooks(t)
	if u, _ := models.GetUser(t.Context(), s.DB, aliceID); u.FirstName != "Alicia" {
		t.Fatalf("first name after user.updated = %q, want Alicia", u.FirstName)
	}
	if got := lastOrgOf(t, s, aliceID); got != globexID {
		t.Errorf("last organization after user.updated = %q, want %s", got, globexID)
	}

	// Signed out and in again, in a fresh browser: /app opens globex.
	if code, _, _ := send(t, s, noFollow, "POST", "/sign-out", nil); code != http.StatusSeeOther {
		t.Fatalf("sign-out = %d", code)
	}
	c := s.Browser(t)
	resp := s.SignIn(t, c, "alice@example.com", "/app")
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/orgs/globex" {
		t.Errorf("sign-in to /app ended at %s (%d), want /orgs/globex", resp.Request.URL.Path, resp.StatusCode)
	}
	// /sign-in with no return path goes through /app too.
	if _, _, resp := send(t, s, c, "GET", "/sign-in", nil); resp.Request.URL.Path != "/orgs/globex" {
		t.Errorf("/sign-in when signed in ended at %s, want /orgs/globex", resp.Request.URL.Path)
	}
	// A deep link's return path wins.
	deep := s.Browser(t)
	resp = s.SignIn(t, deep, "alice@example.com", "/orgs/acme/members")
	resp.Body.Close()
	if resp.Request.URL.Path != "/orgs/acme/members" {
		t.Errorf("sign-in to a deep link ended at %s, want /orgs/acme/members", resp.Request.URL.Path)
	}
}

// TestLandingWithoutTheLastMembership: a remembered organization the user
// left is not where /app goes: the chooser with two left, the one left
// otherwise; a user with no organization gets the chooser.
func TestLandingWithoutTheLastMembership(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	hooli := s.CreateOrganization(t, "Hooli", "hooli", aliceID)
	s.WaitForWebhooks(t)
	follow, noFollow := s.SignedIn(t, "alice@example.com")
	if code, _, _ := send(t, s, follow, "GET", "/orgs/hooli", nil); code != 200 {
		t.Fatalf("hooli = %d", code)
	}
	if got := appLanding(t, s, noFollow); got != "/orgs/hooli" {
		t.Fatalf("/app after hooli = %q, want /orgs/hooli", got)
	}
	s.DB.Exec("DELETE FROM memberships WHERE user_id = ? AND organization_id = ?", aliceID, hooli)
	if got := appLanding(t, s, noFollow); got != "/orgs" {
		t.Errorf("/app after leaving hooli (acme and globex left) = %q, want /orgs", got)
	}
	s.DB.Exec("DELETE FROM memberships WHERE user_id = ? AND organization_id = ?", aliceID, globexID)
	testenv.Eventually(t, "/app with acme alone opens acme", func() bool {
		return appLanding(t, s, noFollow) == "/orgs/acme"
	})
	s.DB.Exec("DELETE FROM memberships WHERE user_id = ?", aliceID)
	testenv.Eventually(t, "/app with no organization opens /orgs", func() bool {
		return appLanding(t, s, noFollow) == "/orgs"
	})
}

// TestLastOrganizationTwoTabsAtOnce: the same user opens two organizations
// at the same moment, again and again: every page answers, and the column
// holds one of the two.
func TestLastOrganizationTwoTabsAtOnce(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	// Two tabs share the user but not the app session's note, as two
	// browsers would: each visit of the other organization records it.
	tabs := []struct {
		c    *http.Client
		path string
	}{{nil, "/orgs/acme"}, {nil, "/orgs/globex"}}
	for i := range tabs {
		tabs[i].c, _ = s.SignedIn(t, "alice@example.com")
	}
	for round := range 10 {
		var wg sync.WaitGroup
		codes := make([]int, len(tabs))
		for i, tab := range tabs {
			path := tab.path
			if round%2 == 1 {
				path = tabs[1-i].path // switch, so every round records
			}
			wg.Go(func() { codes[i], _, _ = send(t, s, tab.c, "GET", path, nil) })
		}
		wg.Wait()
		for i, code := range codes {
			if code != 200 {
				t.Fatalf("round %d, tab %d: %d", round, i, code)
			}
		}
		if got := lastOrgOf(t, s, aliceID); got != acmeID && got != globexID {
			t.Fatalf("round %d: last organization = %q, want acme or globex", round, got)
		}
	}
}
