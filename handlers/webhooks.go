package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	svix "github.com/svix/svix-webhooks/go"
	"gorm.io/gorm"

	"example.com/saas/internal/live"
	"example.com/saas/models"
)

// maxWebhookBody bounds a delivery; Clerk's events are a few kilobytes.
const maxWebhookBody = 1 << 20

// Outcomes of a delivery, as logged and counted.
const (
	outcomeApplied   = "applied"
	outcomeDuplicate = "duplicate"
	outcomeIgnored   = "ignored"
	outcomeFailed    = "failed"
	outcomeRejected  = "rejected"
)

// WebhookHandler verifies Clerk webhook deliveries (Svix signatures) and
// applies them to the synced tables, once each, in one transaction per event.
type WebhookHandler struct {
	db      *gorm.DB
	wh      *svix.Webhook
	log     *slog.Logger
	metrics *WebhookMetrics
	// Directory, when set, drops its copy after each applied event, so
	// this instance's next request reads the change.
	Directory *live.Directory
	// Revocations, when set, learns an ended session at commit, so this
	// instance refuses it on the next request; others learn by NOTIFY.
	Revocations *live.Revocations
}

// NewWebhookHandler returns the handler for POST /webhooks/clerk; secret is
// the endpoint's signing secret (whsec_…). metrics may be nil.
func NewWebhookHandler(db *gorm.DB, secret string, log *slog.Logger, metrics *WebhookMetrics) (*WebhookHandler, error) {
	if secret == "" {
		return nil, errors.New("webhook signing secret is empty")
	}
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		return nil, errors.New("webhook signing secret is not valid base64 after whsec_ (value not shown)")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &WebhookHandler{db: db, wh: wh, log: log, metrics: metrics}, nil
}

// webhookEvent is Clerk's event envelope.
type webhookEvent struct {
	Type      string          `json:"type"`
	Object    string          `json:"object"`
	Timestamp epoch           `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// ServeHTTP answers 2xx only once the event's effect is committed (or the
// event is a duplicate or of a type the app ignores), 4xx for a delivery that
// can never succeed (nothing written), and 5xx when the database failed, so
// Svix retries.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if h == nil || h.wh == nil || h.db == nil {
		// Not built with NewWebhookHandler: refuse, so Svix keeps the events.
		writeJSONError(w, http.StatusServiceUnavailable, "unavailable", "Webhooks are not configured.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(w, r, "", http.StatusRequestEntityTooLarge, "body_too_large", "The request body is larger than 1 MiB.", err)
			return
		}
		h.reject(w, r, "", http.StatusBadRequest, "bad_body", "The request body could not be read.", err)
		return
	}
	// The signature is checked before anything in the body is trusted or
	// parsed, with exactly the header set the delivery id is taken from.
	if err := h.wh.Verify(body, deliveryOf(r.Header).signedHeaders()); err != nil {
		h.reject(w, r, "", http.StatusUnauthorized, "bad_signature", "The webhook signature is missing, invalid or too old.", err)
		return
	}
	var ev webhookEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type == "" {
		h.reject(w, r, ev.Type, http.StatusBadRequest, "bad_payload", "The body is not a Clerk event.", err)
		return
	}
	h.metrics.observeLag(ev.Timestamp.Time())
	apply, err := eventEffect(ev)
	if err != nil {
		h.reject(w, r, ev.Type, http.StatusBadRequest, "bad_payload", err.Error(), err)
		return
	}
	if apply == nil {
		h.done(w, r, ev.Type, outcomeIgnored)
		return
	}

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	fresh := false
	err = h.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if fresh, err = models.RecordWebhookEvent(ctx, tx, svixID(r), ev.Type); err != nil || !fresh {
			return err
		}
		return apply(ctx, tx)
	})
	if err != nil {
		h.metrics.count(ev.Type, outcomeFailed)
		h.log.ErrorContext(ctx, "clerk webhook failed", slog.String("type", ev.Type), slog.String("svix_id", svixID(r)),
			slog.String("outcome", outcomeFailed), slog.Any("error", err))
		writeJSONError(w, http.StatusServiceUnavailable, "unavailable", "The event could not be stored; retry later.")
		return
	}
	h.committed(ev)
	if !fresh {
		h.done(w, r, ev.Type, outcomeDuplicate)
		return
	}
	h.done(w, r, ev.Type, outcomeApplied)
}

// committed tells this instance's in-memory copies what the event changed,
// without waiting for the NOTIFY the commit sent to every instance. It also
// runs for a duplicate: the first delivery may have been applied elsewhere
// and its NOTIFY not have arrived yet.
func (h *WebhookHandler) committed(ev webhookEvent) {
	if h.Directory != nil {
		h.Directory.Changed()
	}
	if sid := endedSession(ev); sid != "" && h.Revocations != nil {
		h.Revocations.Add(sid)
	}
}

func (h *WebhookHandler) done(w http.ResponseWriter, r *http.Request, typ, outcome string) {
	h.metrics.count(typ, outcome)
	level := slog.LevelInfo
	if outcome != outcomeApplied {
		level = slog.LevelDebug
	}
	h.log.Log(r.Context(), level, "clerk webhook", slog.String("type", typ), slog.String("svix_id", svixID(r)), slog.String("outcome", outcome))
	writeJSON(w, http.StatusOK, map[string]string{"status": outcome})
}

func (h *WebhookHandler) reject(w http.ResponseWriter, r *http.Request, typ string, status int, code, message string, err error) {
	h.metrics.count(typ, outcomeRejected)
	h.log.WarnContext(r.Context(), "clerk webhook rejected", slog.String("type", typ), slog.String("svix_id", svixID(r)),
		slog.String("outcome", outcomeRejected), slog.Int("status", status), slog.Any("error", err))
	writeJSONError(w, status, code, message)
}

// svixID is the delivery's message id, from the header set its signature
// is checked with.
func svixID(r *http.Request) string { return deliveryOf(r.Header).id }

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
