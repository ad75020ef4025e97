package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/clerkdev"
)

// TestWebhooksSurviveAppRestart stops the app, makes 50 users, 5
// organizations and 100 memberships in Clerk while it is down (every
// delivery fails: connection refused), and starts it again 5 s later at the
// same address. Clerk's retries (compressed with CLERKDEV_RETRY_SCHEDULE)
// then deliver everything, in whatever order the per-object queues send
// it: every object ends up in the database exactly once, and
// /__clerkdev/deliveries shows each message's failed attempts, then its
// success.
func TestWebhooksSurviveAppRestart(t *testing.T) {
	t.Parallel()
	const (
		users, orgs, perOrg = 50, 5, 20
		down                = 5 * time.Second
	)
	s := apptest.StartSynced(t, apptest.Options{Env: map[string]string{
		// Attempts at 0, 0.2, 0.7, 1.7, 3.7, 6.7, 11.7 and 21.7 s: the
		// last ones after the app is back.
		"CLERKDEV_RETRY_SCHEDULE": "0,200ms,500ms,1s,2s,3s,5s,10s",
	}})
	seen := len(s.Emu.Deliveries())

	s.StopApp(t)
	stopped := time.Now()
	cfg := s.ClientConfig()
	var userIDs []string
	for i := range users {
		u, err := user.NewClient(cfg).Create(t.Context(), &user.CreateParams{
			EmailAddresses: &[]string{fmt.Sprintf("restart%02d@example.com", i)},
			FirstName:      clerk.String(fmt.Sprintf("User %02d", i)),
		})
		if err != nil {
			t.Fatal(err)
		}
		userIDs = append(userIDs, u.ID)
	}
	var orgIDs []string
	for i := range orgs {
		id := s.CreateOrganization(t, fmt.Sprintf("Restart %d", i), fmt.Sprintf("restart-%d", i), "")
		orgIDs = append(orgIDs, id)
		for j := range perOrg { // users i*10 … i*10+19: the organizations overlap
			s.AddMember(t, id, userIDs[(i*10+j)%users], "org:member")
		}
	}
	t.Logf("made %d users, %d organizations and %d memberships in %s with the app down",
		users, orgs, orgs*perOrg, time.Since(stopped).Round(time.Millisecond))
	time.Sleep(time.Until(stopped.Add(down)))
	s.StartApp(t)
	back := time.Now()

	count := func(sql string, args ...any) (total, distinct int) {
		if err := s.DB.Raw(sql, args...).Row().Scan(&total, &distinct); err != nil {
			t.Fatal(err)
		}
		return total, distinct
	}
	synced := func() (u, o, m [2]int) {
		u[0], u[1] = count("SELECT count(*), count(DISTINCT id) FROM users WHERE id IN ? AND email LIKE 'restart%@example.com'", userIDs)
		o[0], o[1] = count("SELECT count(*), count(DISTINCT id) FROM organizations WHERE id IN ? AND deleted_at IS NULL", orgIDs)
		m[0], m[1] = count("SELECT count(*), count(DISTINCT (organization_id, user_id)) FROM memberships WHERE organization_id IN ?", orgIDs)
		return u, o, m
	}
	waitFor(t, "every object synced", 40*time.Second, func() bool {
		u, o, m := synced()
		return u[1] == users && o[1] == orgs && m[1] == orgs*perOrg
	})
	t.Logf("everything synced %s after the app came back", time.Since(back).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Emu.Flush(ctx); err != nil {
		t.Fatalf("deliveries still pending: %v", err)
	}
	if u, o, m := synced(); u != [2]int{users, users} || o != [2]int{orgs, orgs} || m != [2]int{orgs * perOrg, orgs * perOrg} {
		t.Errorf("synced (rows, distinct): users %v, organizations %v, memberships %v; want each exactly once", u, o, m)
	}

	// Every message of the outage: failed while the app was down, then
	// delivered once it was back; each svix-id processed once.
	var log []clerkdev.Delivery
	resp, err := http.Get(s.EmuURL + "/__clerkdev/deliveries")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&log)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	outage := log[seen:]
	if want := users + orgs + orgs*perOrg; len(outage) < want {
		t.Fatalf("%d deliveries since the app stopped, want at least %d", len(outage), want)
	}
	var ids []string
	failed := 0
	for _, d := range outage {
		ids = append(ids, d.ID)
		l := d.AttemptLog
		if d.State != "delivered" || len(l) < 2 || !l[len(l)-1].OK || l[len(l)-1].At.Before(back) ||
			slices.ContainsFunc(l[:len(l)-1], func(a clerkdev.Attempt) bool { return a.OK }) {
			t.Errorf("delivery %s (%s) = %s after %+v, want failed attempts, then one success after the restart", d.ID, d.Type, d.State, l)
		}
		failed += len(l) - 1
	}
	processed, _ := count("SELECT count(*), count(DISTINCT svix_id) FROM webhook_events WHERE svix_id IN ?", ids)
	if processed != len(ids) {
		t.Errorf("%d of the %d messages recorded as processed, want each once", processed, len(ids))
	}
	t.Logf("%d messages: %d failed attempts while the app was down, then one success each", len(outage), failed)
}
