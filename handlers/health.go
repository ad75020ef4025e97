package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"example.com/saas/internal/database"
)

// healthHandlers answer the machine routes a load balancer and an
// orchestrator probe.
type healthHandlers struct {
	log *slog.Logger
	// ready reports whether the database is reachable and migrated.
	ready func(ctx context.Context) error
}

// healthz says the process is alive; it touches nothing else.
func (h *healthHandlers) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether this instance should get traffic: the database answers
// and its migrations are current.
func (h *healthHandlers) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.ready(ctx); err != nil {
		h.log.WarnContext(r.Context(), "not ready", slog.Any("error", err))
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": readyReason(err)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyReason keeps internals out of a public response.
func readyReason(err error) string {
	if errors.Is(err, database.ErrMigrationsPending) {
		return "migrations pending"
	}
	return "database unavailable"
}
