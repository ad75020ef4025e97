package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/repotest"
)

// TestSIGTERMUnderLoad runs the built binary as a real process, drives it
// with concurrent clients (API reads and writes, pages, signed webhooks
// with redeliveries), parks a few writes and webhooks inside their
// transactions with row locks, and sends SIGTERM:
//
//   - the listener closes (new connections are refused) while the parked
//     requests are still in flight, and they then complete with 200;
//   - no client ever gets a 5xx;
//   - a request the server began to serve (it is in the access log) always
//     got its answer; a client error is only ever a connection the server
//     refused or closed unread after the signal;
//   - every webhook answered 2xx is committed (its svix-id is in
//     webhook_events);
//   - the process exits 0, which the app only does when every in-flight
//     request finished within its shutdown timeout.
func TestSIGTERMUnderLoad(t *testing.T) {
	s := apptest.StartSynced(t, apptest.Options{})
	app := startBinary(t, s)
	_, token := s.Session(t, apptest.Alice, apptest.Acme)
	hooks := newWebhookSender(t, s.Emu.WebhookSecret())

	// The targets of the parked requests.
	var project struct{ ID string }
	if code := app.call(t, token, http.MethodPost, "/api/v1/projects", `{"name":"Parked"}`, &project); code != 201 {
		t.Fatalf("create the parked project: %d", code)
	}
	const parkedUser = "user_parked0000000000000000000"
	if r := hooks.deliver(app.url, "msg_parked_0", userUpdated(parkedUser, "Parked", time.Now()), "seed"); r.err != nil || r.status != 200 {
		t.Fatalf("create the parked user: %d %v", r.status, r.err)
	}

	l := &load{base: app.url, token: token, hooks: hooks}
	l.start(12)
	defer l.halt()
	waitFor(t, "the load to get going", 60*time.Second, func() bool { return l.completed.Load() >= 200 })

	// Park two API writes and two webhooks behind row locks.
	ctx := context.Background()
	locker := pgConnect(t, s.DBURL)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM projects WHERE id = $1 FOR UPDATE", project.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", parkedUser); err != nil {
		t.Fatal(err)
	}
	type parked struct {
		name   string
		status int
		err    error
	}
	parkedDone := make(chan parked, 4)
	for i := range 2 {
		go func() {
			body := fmt.Sprintf(`{"name":"Renamed %d"}`, i)
			code := app.call(t, token, http.MethodPatch, "/api/v1/projects/"+project.ID, body, nil)
			parkedDone <- parked{name: "PATCH " + strconv.Itoa(i), status: code}
		}()
		go func() {
			id := "msg_parked_" + strconv.Itoa(i+1)
			r := hooks.deliver(app.url, id, userUpdated(parkedUser, "Renamed "+strconv.Itoa(i), time.Now()), "parked-"+strconv.Itoa(i))
			parkedDone <- parked{name: id, status: r.status, err: r.err}
		}()
	}
	watcher := pgConnect(t, s.DBURL)
	waitFor(t, "the parked requests to wait on their locks", 20*time.Second, func() bool {
		return lockWaiters(t, watcher, `UPDATE "projects"`) >= 2 && lockWaiters(t, watcher, "INSERT INTO users AS t") >= 2
	})

	l.signalled.Store(true)
	if err := app.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the listener to close", 20*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(app.url, "http://"), time.Second)
		if err == nil {
			c.Close()
			return false
		}
		return true
	})
	select {
	case p := <-parkedDone:
		t.Fatalf("parked request %s answered (%d, %v) while its lock was held", p.name, p.status, p.err)
	default:
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		p := <-parkedDone
		if p.err != nil || p.status != 200 {
			t.Errorf("in-flight %s after SIGTERM = %d, %v; want 200", p.name, p.status, p.err)
		}
	}

	select {
	case err := <-app.exited:
		if err != nil {
			t.Errorf("the app exited with %v, want 0\n%s", err, tail(app.logs.String(), 20))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the app did not exit after SIGTERM\n%s", tail(app.logs.String(), 20))
	}
	l.halt()

	logs := app.logs.String()
	served := accessLogIDs(logs)
	var webhooks2xx []string
	counts := map[string]int{}
	refused := 0
	for _, o := range l.outcomes {
		counts[o.kind]++
		if o.err != nil {
			refused++
		}
		switch {
		case o.err != nil && !o.failedAfterSignal:
			t.Errorf("%s %s failed before the signal: %v", o.kind, o.id, o.err)
		case o.err != nil && served[o.id]:
			t.Errorf("%s %s was served (access log) but the client got %v", o.kind, o.id, o.err)
		case o.err == nil && o.status >= 500:
			t.Errorf("%s %s answered %d", o.kind, o.id, o.status)
		}
		if o.err == nil && o.svixID != "" && o.status/100 == 2 {
			webhooks2xx = append(webhooks2xx, o.svixID)
		}
	}
	for _, id := range []string{"msg_parked_1", "msg_parked_2"} {
		webhooks2xx = append(webhooks2xx, id)
	}
	var committed int
	if err := watcher.QueryRow(ctx, "SELECT count(DISTINCT svix_id) FROM webhook_events WHERE svix_id = ANY($1)", webhooks2xx).Scan(&committed); err != nil {
		t.Fatal(err)
	}
	if want := distinct(webhooks2xx); committed != want {
		t.Errorf("%d of %d webhooks answered 2xx are in webhook_events", committed, want)
	}
	if !strings.Contains(logs, "shutting down") || !strings.Contains(logs, "msg=stopped") {
		t.Errorf("the log does not show a clean shutdown:\n%s", tail(logs, 20))
	}
	t.Logf("requests by kind: %v; %d served by the app; %d refused or cut after the signal", counts, len(served), refused)
}

// binary is the app running as a subprocess.
type binary struct {
	url    string
	cmd    *exec.Cmd
	exited chan error
	logs   *apptest.SyncBuffer
}

// startBinary builds the app (with the test binary's flags, so only the
// link is new work) and starts it against the
// stack's database and emulator, with the settings apptest gives the
// in-process app (rate limits off: the load comes from one address and
// one user).
func startBinary(t *testing.T, s *apptest.Stack) *binary {
	t.Helper()
	bin := repotest.Build(t, ".")
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	b := &binary{url: "http://localhost:" + port, exited: make(chan error, 1), logs: &apptest.SyncBuffer{}}
	b.cmd = exec.Command(bin, "serve")
	b.cmd.Dir = dir // no .env from the repository
	b.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"PORT=" + port, "BASE_URL=" + b.url, "DATABASE_URL=" + s.DBURL,
		"SESSION_SECRET=test-session-secret-0123456789abcdef", "METRICS_ADDR=off",
		"CLERK_SECRET_KEY=" + s.Emu.SecretKey(), "CLERK_PUBLISHABLE_KEY=" + s.Emu.PublishableKey(),
		"CLERK_API_URL=" + s.EmuURL + "/v1", "CLERK_FRONTEND_API_URL=" + s.EmuURL,
		"CLERK_WEBHOOK_SIGNING_SECRET=" + s.Emu.WebhookSecret(),
		"API_RATE_LIMIT=0", "WEBHOOK_RATE_LIMIT=0",
	}
	b.cmd.Stdout, b.cmd.Stderr = b.logs, b.logs
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.exited <- b.cmd.Wait() }()
	t.Cleanup(func() {
		if b.cmd.ProcessState == nil {
			b.cmd.Process.Kill()
			<-b.exited
		}
	})
	waitFor(t, "the app process to be ready", 60*time.Second, func() bool {
		resp, err := http.Get(b.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return b
}

// call sends a JSON API request; it answers the status (0 on a transport
// error, reported with Errorf) and decodes the body into out when given.
func (b *binary) call(t *testing.T, token, method, path, body string, out any) int {
	req, _ := http.NewRequest(method, b.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	r := do(t, http.DefaultClient, req)
	if out != nil {
		json.Unmarshal([]byte(r.body), out)
	}
	return r.status
}

// webhookSender signs deliveries as Svix does for Clerk.
type webhookSender struct {
	wh     *svix.Webhook
	client *http.Client
}

func newWebhookSender(t *testing.T, secret string) *webhookSender {
	t.Helper()
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return &webhookSender{wh: wh, client: &http.Client{Timeout: 30 * time.Second}}
}

// delivery is the outcome of one request.
type delivery struct {
	status int
	err    error
}

// deliver posts body signed now under msgID (a redelivery reuses it).
func (w *webhookSender) deliver(base, msgID string, body []byte, requestID string) delivery {
	now := time.Now()
	sig, err := w.wh.Sign(msgID, now, body)
	if err != nil {
		return delivery{err: err}
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/clerk", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", requestID)
	req.Header.Set("svix-id", msgID)
	req.Header.Set("svix-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("svix-signature", sig)
	return send(w.client, req)
}

func send(c *http.Client, req *http.Request) delivery {
	resp, err := c.Do(req)
	if err != nil {
		return delivery{err: err}
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return delivery{status: resp.StatusCode}
}

// userUpdated is a Clerk user.updated event.
func userUpdated(id, firstName string, at time.Time) []byte {
	ms := at.UnixMilli()
	b, _ := json.Marshal(map[string]any{
		"object": "event", "type": "user.updated", "timestamp": ms, "instance_id": "ins_clerkdev",
		"data": map[string]any{"object": "user", "id": id, "first_name": firstName, "last_name": "Load",
			"email_addresses": []any{}, "image_url": "", "created_at": ms, "updated_at": ms},
	})
	return b
}

// load is a set of clients sending mixed traffic until halted or, once the
// signal was sent, until the server refuses them.
type load struct {
	base, token string
	hooks       *webhookSender
	client      *http.Client
	signalled   atomic.Bool
	completed   atomic.Int64

	stop     atomic.Bool
	wg       sync.WaitGroup
	mu       sync.Mutex
	outcomes []outcome
}

// outcome is one request of the load.
type outcome struct {
	kind, id, svixID string
	status           int
	err              error
	// failedAfterSignal: the error came after SIGTERM was sent.
	failedAfterSignal bool
}

func (l *load) start(workers int) {
	l.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	l.hooks.client = l.client
	for w := range workers {
		l.wg.Go(func() { l.worker(w) })
	}
}

// halt stops the workers and waits for them.
func (l *load) halt() {
	l.stop.Store(true)
	l.wg.Wait()
}

func (l *load) worker(w int) {
	var lastID string
	var lastBody []byte
	for n := 0; !l.stop.Load(); n++ {
		o := outcome{id: fmt.Sprintf("load-%d-%d", w, n)}
		var d delivery
		switch n % 5 {
		case 0:
			o.kind = "api list"
			d = l.api(http.MethodGet, "/api/v1/projects?limit=20", "", o.id)
		case 1:
			o.kind = "api create"
			d = l.api(http.MethodPost, "/api/v1/projects", `{"name":"Load `+o.id+`"}`, o.id)
		case 2:
			o.kind = "page"
			d = l.page("/orgs/acme/projects", o.id)
		case 3:
			o.kind, lastID = "webhook", "msg_load_"+o.id
			lastBody = userUpdated(fmt.Sprintf("user_load_%d_%d", w, n%20), "Load "+o.id, time.Now())
			o.svixID = lastID
			d = l.hooks.deliver(l.base, lastID, lastBody, o.id)
		case 4:
			o.kind, o.svixID = "webhook redelivery", lastID
			d = l.hooks.deliver(l.base, lastID, lastBody, o.id)
		}
		o.status, o.err = d.status, d.err
		if d.err != nil {
			o.failedAfterSignal = l.signalled.Load()
		}
		l.mu.Lock()
		l.outcomes = append(l.outcomes, o)
		l.mu.Unlock()
		l.completed.Add(1)
		if o.failedAfterSignal {
			return // the server is going away
		}
	}
}

func (l *load) api(method, path, body, id string) delivery {
	req, _ := http.NewRequest(method, l.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", id)
	return send(l.client, req)
}

func (l *load) page(path, id string) delivery {
	req, _ := http.NewRequest(http.MethodGet, l.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("X-Request-Id", id)
	return send(l.client, req)
}

var accessLogLine = regexp.MustCompile(`msg=request .*request_id=(\S+)`)

// accessLogIDs returns the request ids of the app's access log lines: the
// requests it served.
func accessLogIDs(logs string) map[string]bool {
	out := map[string]bool{}
	for _, m := range accessLogLine.FindAllStringSubmatch(logs, -1) {
		out[m[1]] = true
	}
	return out
}

func distinct(ids []string) int {
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	return len(seen)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
