package clerksync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	svix "github.com/svix/svix-webhooks/go"
	"gorm.io/gorm"

	"example.com/saas/models"
)

// MaxWebhookBody bounds a delivery; Clerk's events are a few kilobytes.
const MaxWebhookBody = 1 << 20

// applyTimeout bounds one delivery's transaction.
const applyTimeout = 10 * time.Second

// Outcomes of a delivery, as logged and counted.
const (
	OutcomeApplied   = "applied"
	OutcomeDuplicate = "duplicate"
	OutcomeIgnored   = "ignored"
	OutcomeFailed    = "failed"
	OutcomeRejected  = "rejected"
)

// Webhooks verifies Clerk's webhook deliveries (Svix signatures) and applies
// them to the synced tables, once each, each event atomically with its
// delivery's record (one statement, or one transaction).
type Webhooks struct {
	store   *Store
	wh      *svix.Webhook
	metrics *WebhookMetrics
}

// NewWebhooks returns the receiver for the endpoint whose signing secret is
// secret (whsec_…); metrics may be nil.
func NewWebhooks(store *Store, secret string, metrics *WebhookMetrics) (*Webhooks, error) {
	if secret == "" {
		return nil, errors.New("webhook signing secret is empty")
	}
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		return nil, errors.New("webhook signing secret is not valid base64 after whsec_ (value not shown)")
	}
	return &Webhooks{store: store, wh: wh, metrics: metrics}, nil
}

// Delivery is what Receive made of one delivery.
type Delivery struct {
	// ID is the delivery's message id (svix-id; as sent, unverified when
	// the delivery is rejected), Type the event's type ("" when unknown).
	ID, Type string
	Outcome  string
}

// Rejection is a delivery that can never succeed (answer Status, 4xx):
// nothing was written, and Svix should not retry.
type Rejection struct {
	Status  int
	Code    string
	Message string
	err     error
}

func (r *Rejection) Error() string { return fmt.Sprintf("%s: %v", r.Code, r.err) }

// Unwrap returns the cause.
func (r *Rejection) Unwrap() error { return r.err }

// Receive verifies one delivery (its headers and at most MaxWebhookBody of
// body) and applies it. It returns a *Rejection for a delivery that can
// never succeed, another error when the database failed (answer 5xx, so
// Svix retries), and nil once the event's effect is committed, or the
// event is a duplicate or of a type the app ignores.
func (w *Webhooks) Receive(ctx context.Context, header http.Header, body io.Reader) (Delivery, error) {
	d, err := w.receive(ctx, header, body)
	var rej *Rejection
	switch {
	case errors.As(err, &rej):
		d.Outcome = OutcomeRejected
	case err != nil:
		d.Outcome = OutcomeFailed
	}
	w.metrics.count(d.Type, d.Outcome)
	return d, err
}

func (w *Webhooks) receive(ctx context.Context, header http.Header, body io.Reader) (Delivery, error) {
	sent := deliveryOf(header)
	d := Delivery{ID: sent.id}
	raw, err := readBody(header, body)
	if err != nil {
		return d, &Rejection{http.StatusBadRequest, "bad_body", "The request body could not be read.", err}
	}
	if len(raw) > MaxWebhookBody {
		return d, &Rejection{http.StatusRequestEntityTooLarge, "body_too_large", "The request body is larger than 1 MiB.", errors.New("body over 1 MiB")}
	}
	// The signature is checked before anything in the body is trusted or
	// parsed, with exactly the header set the delivery id is taken from.
	if err := w.wh.Verify(raw, sent.signedHeaders()); err != nil {
		return d, &Rejection{http.StatusUnauthorized, "bad_signature", "The webhook signature is missing, invalid or too old.", err}
	}
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil || ev.Type == "" {
		return d, &Rejection{http.StatusBadRequest, "bad_payload", "The body is not a Clerk event.", err}
	}
	d.Type = ev.Type
	w.metrics.observeLag(ev.Timestamp.Time())
	eff, err := effectOf(ev)
	if err != nil {
		return d, &Rejection{http.StatusBadRequest, "bad_payload", err.Error(), err}
	}
	if eff == nil {
		d.Outcome = OutcomeIgnored
		return d, nil
	}
	fresh, err := w.apply(ctx, d, eff)
	if err != nil {
		return d, fmt.Errorf("apply %s %s: %w", d.Type, d.ID, err)
	}
	w.committed(ev)
	d.Outcome = OutcomeDuplicate
	if fresh {
		d.Outcome = OutcomeApplied
	}
	return d, nil
}

// readBody reads at most MaxWebhookBody+1 bytes of body, into one buffer
// of the size the request declares (Content-Length) when it does: io.ReadAll
// starts at 512 bytes and grows, a third of a delivery's allocated bytes.
func readBody(header http.Header, body io.Reader) ([]byte, error) {
	limited := io.LimitReader(body, MaxWebhookBody+1)
	n, err := strconv.Atoi(header.Get("Content-Length"))
	if err != nil || n < 0 || n > MaxWebhookBody {
		return io.ReadAll(limited)
	}
	buf := make([]byte, n+1) // one more: a body longer than declared is read on
	got, err := io.ReadFull(limited, buf)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return buf[:got], nil
	case err != nil:
		return nil, err
	}
	rest, err := io.ReadAll(limited)
	return append(buf, rest...), err
}

// apply records the delivery id and, when it is new, applies the event,
// atomically: in one statement when the event's write is one, else in one
// transaction. fresh is false for a duplicate.
func (w *Webhooks) apply(ctx context.Context, d Delivery, eff *effect) (fresh bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, applyTimeout)
	defer cancel()
	e := models.WebhookEvent{SvixID: d.ID, Type: d.Type}
	if eff.once != nil {
		return eff.once(ctx, w.store.db, e)
	}
	return models.ApplyWebhookEvent(ctx, w.store.db, e, func(tx *gorm.DB) error {
		return eff.apply(ctx, tx)
	})
}

// committed tells this instance's in-memory copies what the event changed,
// without waiting for the NOTIFY the commit sent to every instance. It also
// runs for a duplicate: the first delivery may have been applied elsewhere
// and its NOTIFY not have arrived yet.
func (w *Webhooks) committed(ev event) {
	w.store.changed()
	w.store.revoked(endedSession(ev))
}

// delivery is the id, timestamp and signature of one delivery.
type delivery struct{ id, timestamp, signature string }

// deliveryOf picks them the way the Svix library does: Svix's branded
// svix-* set when all three are present, else Standard Webhooks' unbranded
// webhook-* set. Verifying with only the picked set (signedHeaders) makes
// the id recorded for the duplicate check the one the signature covers: a
// resend with a made-up svix-id beside the original webhook-* headers
// stays a duplicate.
func deliveryOf(h http.Header) delivery {
	d := delivery{h.Get("svix-id"), h.Get("svix-timestamp"), h.Get("svix-signature")}
	if d.id == "" || d.timestamp == "" || d.signature == "" {
		d = delivery{h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")}
	}
	return d
}

// signedHeaders is the delivery as the headers Verify reads.
func (d delivery) signedHeaders() http.Header {
	return http.Header{"Svix-Id": {d.id}, "Svix-Timestamp": {d.timestamp}, "Svix-Signature": {d.signature}}
}
