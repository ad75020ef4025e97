package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"example.com/saas/internal/paths"
)

// The kinds of request, in the order each connection sends them. Every
// project a connection creates it deletes, and webhooks update a bounded
// set of users, so the data stays the same size however long the run; each
// webhook is delivered twice with the same svix-id (half are duplicates).
var kinds = []string{"page projects", "api list", "api create", "webhook", "webhook duplicate", "page dashboard", "api delete"}

// traffic is the load: each connection loops over kinds until told to stop.
type traffic struct {
	base     string
	client   *http.Client
	sessions []*tenantSession
	wh       *svix.Webhook
	stats    *stats
	stop     atomic.Bool
	// runID keeps svix-ids unique across the warm-up and the measured run.
	runID string
}

// run drives conns connections until stop is set, and waits for them.
func (t *traffic) run(conns int) {
	t.stop.Store(false)
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() { t.connection(c) })
	}
	wg.Wait()
}

// connection is one client: its tenant session, its cookie jar (a signed-in
// browser), and the ids it created.
func (t *traffic) connection(c int) {
	ts := t.sessions[c%len(t.sessions)]
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(t.base)
	var token, lastID string
	var lastBody []byte
	var created []string
	for n := 0; !t.stop.Load() || len(created) > 0; n++ {
		if tok := ts.Token(); tok != token {
			token = tok
			// What a browser signed in with Clerk holds: the dev browser,
			// the client's last sign-in time and the session token.
			jar.SetCookies(base, []*http.Cookie{
				{Name: "__clerk_db_jwt", Value: "dvb_soak", Path: "/"},
				{Name: "__client_uat", Value: strconv.FormatInt(ts.signedIn, 10), Path: "/"},
				{Name: "__session", Value: token, Path: "/"},
			})
		}
		kind := kinds[n%len(kinds)]
		if t.stop.Load() {
			kind = "api delete" // leave nothing behind
		}
		start := time.Now()
		var err error
		switch kind {
		case "page projects":
			err = t.page(jar, paths.Projects(ts.slug))
		case "page dashboard":
			err = t.page(jar, paths.Org(ts.slug))
		case "api list":
			err = t.api(token, http.MethodGet, "/api/v1/projects?limit=20", nil, http.StatusOK, nil)
		case "api create":
			var p struct{ ID string }
			err = t.api(token, http.MethodPost, "/api/v1/projects", map[string]string{"name": fmt.Sprintf("Soak %d-%d", c, n)}, http.StatusCreated, &p)
			if err == nil {
				created = append(created, p.ID)
			}
		case "api delete":
			if len(created) == 0 {
				continue
			}
			err = t.api(token, http.MethodDelete, "/api/v1/projects/"+created[0], nil, http.StatusNoContent, nil)
			created = created[1:]
		case "webhook":
			lastID = fmt.Sprintf("msg_soak_%s_%d_%d", t.runID, c, n)
			lastBody = userUpdated(fmt.Sprintf("user_soak_%d_%d", c, n%50), fmt.Sprintf("Soak %d", n), time.Now())
			err = t.webhook(lastID, lastBody, "applied")
		case "webhook duplicate":
			err = t.webhook(lastID, lastBody, "duplicate")
		}
		t.stats.record(kind, time.Since(start), err)
	}
}

func (t *traffic) page(jar http.CookieJar, path string) error {
	req, _ := http.NewRequest(http.MethodGet, t.base+path, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("Sec-Fetch-Dest", "document")
	for _, ck := range jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	jar.SetCookies(req.URL, resp.Cookies()) // the app session, flashes
	return expect(resp, http.StatusOK, nil)
}

func (t *traffic) api(token, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, t.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	return expect(resp, want, out)
}

// webhook delivers body signed now under msgID and wants outcome.
func (t *traffic) webhook(msgID string, body []byte, outcome string) error {
	now := time.Now()
	sig, err := t.wh.Sign(msgID, now, body)
	if err != nil {
		return err
	}
	req, _ := http.NewRequest(http.MethodPost, t.base+"/webhooks/clerk", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("svix-id", msgID)
	req.Header.Set("svix-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("svix-signature", sig)
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	var got struct{ Status string }
	if err := expect(resp, http.StatusOK, &got); err != nil {
		return err
	}
	if got.Status != outcome {
		return fmt.Errorf("webhook %s: outcome %q, want %q", msgID, got.Status, outcome)
	}
	return nil
}

// expect reads and closes resp, failing unless it has status want; out
// (when given) receives the JSON body.
func expect(resp *http.Response, want int, out any) error {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		if len(body) > 200 {
			body = body[:200]
		}
		body = bytes.TrimSpace(body)
		return fmt.Errorf("%s %s: %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, body)
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

// userUpdated is a Clerk user.updated event.
func userUpdated(id, firstName string, at time.Time) []byte {
	ms := at.UnixMilli()
	b, _ := json.Marshal(map[string]any{
		"object": "event", "type": "user.updated", "timestamp": ms, "instance_id": "ins_clerkdev",
		"data": map[string]any{"object": "user", "id": id, "first_name": firstName, "last_name": "Soak",
			"email_addresses": []any{}, "image_url": "", "created_at": ms, "updated_at": ms},
	})
	return b
}
