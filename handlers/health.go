package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// healthz says the process is alive; it touches nothing else.
func (h *Handlers) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether this instance should get traffic: the database answers
// and its migrations are current.
func (h *Handlers) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.Ready(ctx); err != nil {
		h.Log.WarnContext(r.Context(), "not ready", slog.Any("error", err))
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": readyReason(err)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyReason keeps internals out of a public response.
func readyReason(err error) string {
	if err == ErrMigrationsPending {
		return "migrations pending"
	}
	return "database unavailable"
}
