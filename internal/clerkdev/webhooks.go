package clerkdev

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	svix "github.com/svix/svix-webhooks/go"
)

// Delivery is one webhook message and the state of its delivery.
type Delivery struct {
	ID          string     `json:"svix_id"`
	Type        string     `json:"type"`
	ObjectID    string     `json:"object_id"`
	URL         string     `json:"url"`
	Attempts    int        `json:"attempts"`
	LastStatus  int        `json:"last_status"` // 0 = no HTTP answer (network error) or not tried yet
	LastError   string     `json:"last_error,omitempty"`
	State       string     `json:"state"` // pending, delivered, failed
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	// AttemptLog is every attempt, oldest first: the failed ones before a
	// success (at most one per step of the retry schedule).
	AttemptLog []Attempt       `json:"attempt_log"`
	Payload    json.RawMessage `json:"-"`
}

// Attempt is one try at delivering a message, as Svix's message attempts
// record it.
type Attempt struct {
	At     time.Time `json:"at"`
	Status int       `json:"status"` // 0 = no HTTP answer
	Error  string    `json:"error,omitempty"`
	OK     bool      `json:"ok"`
}

type eventJSON struct {
	Data            any             `json:"data"`
	Object          string          `json:"object"`
	Type            string          `json:"type"`
	Timestamp       int64           `json:"timestamp"`
	InstanceID      string          `json:"instance_id"`
	EventAttributes eventAttributes `json:"event_attributes"`
}

type eventAttributes struct {
	HTTPRequest struct {
		ClientIP  string `json:"client_ip"`
		UserAgent string `json:"user_agent"`
	} `json:"http_request"`
}

// emitLocked snapshots data into a Clerk event and queues it; it never blocks on the network.
func (s *Server) emitLocked(typ, objectID string, data any, src reqInfo) {
	if s.queue.url == "" {
		return
	}
	ev := eventJSON{Data: data, Object: "event", Type: typ, Timestamp: s.now().UnixMilli(), InstanceID: InstanceID}
	ev.EventAttributes.HTTPRequest.ClientIP = src.IP
	ev.EventAttributes.HTTPRequest.UserAgent = src.UA
	body, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("clerkdev: encode webhook event", "type", typ, "error", err)
		return
	}
	s.queue.enqueue(typ, objectID, body)
}

// Deliveries returns a copy of the delivery log, oldest first.
func (s *Server) Deliveries() []Delivery { return s.queue.snapshot() }

// WaitIdle waits until no webhook message can be delivered right now: nothing in flight
// and nothing due (messages waiting for a later retry do not count).
func (s *Server) WaitIdle(ctx context.Context) error {
	return s.queue.wait(ctx, func(q *webhookQueue) bool {
		d, _ := q.nextDueLocked(time.Now())
		return q.inFlight == 0 && d == nil
	})
}

// Flush waits until every queued message is delivered or has used up its retries.
func (s *Server) Flush(ctx context.Context) error {
	return s.queue.wait(ctx, func(q *webhookQueue) bool { return q.inFlight == 0 && len(q.pending) == 0 })
}

const maxDeliveryLog = 1000

type queued struct {
	*Delivery
	key    string
	nextAt time.Time
}

// webhookQueue delivers messages in order per object: a failing message delays only the
// later messages of the same object. One worker sends one message at a time.
type webhookQueue struct {
	url      string
	wh       *svix.Webhook
	client   *http.Client
	schedule []time.Duration
	log      *slog.Logger
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	wake     chan struct{}

	mu       sync.Mutex
	pending  []*queued
	history  []*Delivery
	inFlight int
}

func newWebhookQueue(url string, wh *svix.Webhook, client *http.Client, schedule []time.Duration, log *slog.Logger) *webhookQueue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &webhookQueue{url: url, wh: wh, client: client, schedule: schedule, log: log,
		ctx: ctx, cancel: cancel, done: make(chan struct{}), wake: make(chan struct{}, 1)}
	go q.run()
	return q
}

func (q *webhookQueue) close() {
	q.cancel()
	<-q.done
}

func (q *webhookQueue) enqueue(typ, objectID string, body []byte) {
	now := time.Now()
	next := now.Add(q.schedule[0])
	d := &Delivery{ID: "msg_" + randomString(27), Type: typ, ObjectID: objectID, URL: q.url,
		State: "pending", NextAttempt: &next, CreatedAt: now, Payload: body}
	q.mu.Lock()
	q.pending = append(q.pending, &queued{Delivery: d, key: objectID, nextAt: next})
	q.history = append(q.history, d)
	if len(q.history) > maxDeliveryLog {
		q.history = q.history[len(q.history)-maxDeliveryLog:]
	}
	q.mu.Unlock()
	q.signal()
}

func (q *webhookQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// nextDueLocked returns the first message that may be sent at now (the oldest pending
// message of its object, and due), else the time the earliest head message becomes due.
func (q *webhookQueue) nextDueLocked(now time.Time) (*queued, time.Time) {
	seen := map[string]bool{}
	var earliest time.Time
	for _, m := range q.pending {
		if seen[m.key] {
			continue
		}
		seen[m.key] = true
		if !m.nextAt.After(now) {
			return m, time.Time{}
		}
		if earliest.IsZero() || m.nextAt.Before(earliest) {
			earliest = m.nextAt
		}
	}
	return nil, earliest
}

func (q *webhookQueue) run() {
	defer close(q.done)
	for {
		q.mu.Lock()
		m, earliest := q.nextDueLocked(time.Now())
		if m != nil {
			q.inFlight++
		}
		q.mu.Unlock()
		if m == nil {
			var timer <-chan time.Time
			var t *time.Timer
			if !earliest.IsZero() {
				t = time.NewTimer(time.Until(earliest))
				timer = t.C
			}
			select {
			case <-q.ctx.Done():
				return
			case <-q.wake:
			case <-timer:
			}
			if t != nil {
				t.Stop()
			}
			continue
		}
		status, err := q.send(m)
		q.finish(m, status, err)
	}
}

// SignWebhook signs a delivery of body with msgID at ts as Svix does for
// the endpoint secret (whsec_…), for tests that post deliveries themselves:
// the value of the svix-signature header.
func SignWebhook(secret, msgID string, ts time.Time, body []byte) (string, error) {
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		return "", err
	}
	return wh.Sign(msgID, ts, body)
}

func (q *webhookQueue) send(m *queued) (int, error) {
	ts := time.Now()
	sig, err := q.wh.Sign(m.ID, ts, m.Payload)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(q.ctx, http.MethodPost, m.URL, bytes.NewReader(m.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Svix-Webhooks/1.44 (clerkdev)")
	req.Header.Set("svix-id", m.ID)
	req.Header.Set("svix-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("svix-signature", sig)
	resp, err := q.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func (q *webhookQueue) finish(m *queued, status int, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.inFlight--
	m.Attempts++
	m.LastStatus = status
	m.LastError = ""
	if err != nil {
		m.LastError = err.Error()
	}
	ok := err == nil && status >= 200 && status < 300
	if !ok && m.LastError == "" {
		m.LastError = "HTTP " + strconv.Itoa(status)
	}
	m.AttemptLog = append(m.AttemptLog, Attempt{At: time.Now(), Status: status, Error: m.LastError, OK: ok})
	switch {
	case ok:
		m.State, m.NextAttempt = "delivered", nil
	case m.Attempts < len(q.schedule):
		m.nextAt = time.Now().Add(q.schedule[m.Attempts])
		next := m.nextAt
		m.NextAttempt = &next
		q.log.Warn("clerkdev: webhook delivery failed, will retry", "svix_id", m.ID, "type", m.Type,
			"attempt", m.Attempts, "status", status, "next_attempt", next)
		return
	default:
		m.State, m.NextAttempt = "failed", nil
		q.log.Error("clerkdev: webhook delivery failed for good", "svix_id", m.ID, "type", m.Type,
			"attempts", m.Attempts, "status", status)
	}
	for i, p := range q.pending {
		if p == m {
			q.pending = append(q.pending[:i], q.pending[i+1:]...)
			break
		}
	}
}

func (q *webhookQueue) snapshot() []Delivery {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Delivery, len(q.history))
	for i, d := range q.history {
		out[i] = *d
		out[i].AttemptLog = slices.Clone(d.AttemptLog)
		if d.NextAttempt != nil {
			t := *d.NextAttempt
			out[i].NextAttempt = &t
		}
	}
	return out
}

// wait polls done (under the queue lock) until it holds or ctx ends.
func (q *webhookQueue) wait(ctx context.Context, done func(*webhookQueue) bool) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		q.mu.Lock()
		ok := done(q)
		q.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
