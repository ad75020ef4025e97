package faults_test

import (
	"net/http"
	"testing"

	"example.com/saas/internal/apptest"
)

// TestPoolOfOneConnection: the notification listener holds a connection of
// its own, outside the pool, so even DB_MAX_CONNS=1 leaves requests one to
// use: the seed's webhooks sync, and the API and pages answer, again and
// again. (With the listener's connection taken from the pool, they waited
// out the request deadline and failed.)
func TestPoolOfOneConnection(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{Env: map[string]string{"DB_MAX_CONNS": "1"}})
	_, token := s.Session(t, apptest.Alice, apptest.Acme)
	follow, _ := s.SignedIn(t, "alice@example.com")
	for range 5 {
		if r := apiCall(t, s, token, http.MethodGet, "/api/v1/projects", nil); r.status != http.StatusOK {
			t.Fatalf("API with a pool of one = %d %s", r.status, r.body)
		}
		resp, err := follow.Get(s.URL + "/orgs/acme/projects")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page with a pool of one = %d", resp.StatusCode)
		}
	}
}
