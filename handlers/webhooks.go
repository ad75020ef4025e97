package handlers

import (
	"errors"
	"log/slog"
	"net/http"

	"example.com/saas/internal/clerksync"
	"example.com/saas/middleware"
)

// WebhookHandler answers Clerk's webhook deliveries (through Svix) at POST
// /webhooks/clerk: 2xx only once the event's effect is committed (or the
// event is a duplicate or of a type the app ignores), 4xx for a delivery
// that can never succeed (nothing written), and 5xx when the database
// failed, so Svix retries.
type WebhookHandler struct {
	log      *slog.Logger
	webhooks *clerksync.Webhooks
}

// NewWebhookHandler returns the handler of webhooks' deliveries; a nil
// webhooks answers 503, so Svix keeps the events.
func NewWebhookHandler(webhooks *clerksync.Webhooks, log *slog.Logger) *WebhookHandler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &WebhookHandler{log: log, webhooks: webhooks}
}

// ServeHTTP implements http.Handler.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h == nil || h.webhooks == nil {
		writeJSONError(w, http.StatusServiceUnavailable, "unavailable", "Webhooks are not configured.")
		return
	}
	d, err := h.webhooks.Receive(r.Context(), r.Header, r.Body)
	attrs := []slog.Attr{slog.String("type", d.Type), slog.String("svix_id", d.ID), slog.String("outcome", d.Outcome)}
	// Every outcome is on the request's access log line; a delivery that
	// did not apply also gets a line of its own, with the error.
	middleware.NoteAttrs(r.Context(), attrs...)
	var rejected *clerksync.Rejection
	switch {
	case errors.As(err, &rejected):
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "clerk webhook rejected", append(attrs, slog.Int("status", rejected.Status), slog.Any("error", err))...)
		writeJSONError(w, rejected.Status, rejected.Code, rejected.Message)
	case err != nil:
		h.log.LogAttrs(r.Context(), slog.LevelError, "clerk webhook failed", append(attrs, slog.Any("error", err))...)
		writeJSONError(w, http.StatusServiceUnavailable, "unavailable", "The event could not be stored; retry later.")
	default:
		writeJSON(w, http.StatusOK, webhookAnswer{Status: d.Outcome})
	}
}

// webhookAnswer is the body of a 2xx answer: the delivery's outcome.
type webhookAnswer struct {
	Status string `json:"status"`
}
