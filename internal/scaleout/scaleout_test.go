// Package scaleout shows the product scaling out: several app instances
// share nothing but Postgres (sessions in cookies; revocations and webhook
// idempotency in the database), and the app works through PgBouncer in
// transaction pooling mode with the RLS settings still per transaction.
package scaleout

import (
	"net/http"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/session"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/testenv"
)

func get(t *testing.T, base, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

func TestTwoInstancesShareOnlyPostgres(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, apptest.Options{})
	s.WaitForWebhooks(t)
	a, b := s.URL, s.StartInstance(t, nil)

	// A session token works on both instances.
	sid, token := s.Session(t, apptest.Alice, apptest.Acme)
	for _, base := range []string{a, b} {
		if code, body := get(t, base, "/api/v1/projects", token); code != 200 {
			t.Fatalf("%s /api/v1/projects = %d %s", base, code, body)
		}
	}

	// A webhook delivered to instance A (Clerk's endpoint) is seen by B:
	// an organization created in Clerk becomes usable on B.
	org, err := createOrg(t, s, "Initech")
	if err != nil {
		t.Fatal(err)
	}
	_, orgToken := s.Session(t, apptest.Alice, org)
	testenv.Eventually(t, "new organization usable on instance B", func() bool {
		code, _ := get(t, b, "/api/v1/projects", orgToken)
		return code == 200
	})

	// Removed in Clerk: the membership.deleted webhook reaches A, and B,
	// which holds the membership in memory (live.Directory), drops it
	// on A's NOTIFY and refuses the organization.
	if _, err := organizationmembership.NewClient(s.ClientConfig()).Delete(t.Context(), &organizationmembership.DeleteParams{
		OrganizationID: org, UserID: apptest.Alice,
	}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "removed member refused on instance B", func() bool {
		code, _ := get(t, b, "/api/v1/projects", orgToken)
		return code == http.StatusNotFound
	})

	// Revoked at Clerk: the session.revoked webhook reaches A, and B refuses
	// the still-unexpired token at once.
	if _, err := session.NewClient(s.ClientConfig()).Revoke(t.Context(), &session.RevokeParams{ID: sid}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "revoked session refused on both instances", func() bool {
		ca, _ := get(t, a, "/api/v1/me", token)
		cb, _ := get(t, b, "/api/v1/me", token)
		return ca == http.StatusUnauthorized && cb == http.StatusUnauthorized
	})
}

// createOrg creates an organization with alice as its admin through
// Clerk's Backend API (the emulator), and returns its id.
func createOrg(t *testing.T, s *apptest.Stack, name string) (string, error) {
	t.Helper()
	org, err := organization.NewClient(s.ClientConfig()).Create(t.Context(), &organization.CreateParams{
		Name: clerk.String(name), CreatedBy: clerk.String(apptest.Alice),
	})
	if err != nil {
		return "", err
	}
	return org.ID, nil
}
