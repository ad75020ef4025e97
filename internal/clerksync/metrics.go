package clerksync

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// WebhookMetrics counts webhook deliveries by type and outcome and observes
// how late events arrive. A nil *WebhookMetrics records nothing.
type WebhookMetrics struct {
	events *prometheus.CounterVec
	lag    prometheus.Histogram
}

// NewWebhookMetrics creates the metrics and registers them on reg (when not nil).
func NewWebhookMetrics(reg prometheus.Registerer) *WebhookMetrics {
	m := &WebhookMetrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clerk_webhook_events_total",
			Help: "Clerk webhook deliveries by event type and outcome (applied, duplicate, ignored, failed, rejected).",
		}, []string{"type", "outcome"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "clerk_webhook_lag_seconds",
			Help:    "Time from the event's timestamp to its delivery.",
			Buckets: []float64{0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.events, m.lag)
	}
	return m
}

func (m *WebhookMetrics) count(typ, outcome string) {
	if m == nil {
		return
	}
	if typ == "" {
		typ = "unknown"
	} else if len(typ) > 64 {
		typ = typ[:64] // the label comes from a signed body, but stay bounded
	}
	// A label must be UTF-8: the cut above may split a character, and the
	// body's JSON may carry invalid bytes.
	typ = strings.ToValidUTF8(typ, "")
	m.events.WithLabelValues(typ, outcome).Inc()
}

func (m *WebhookMetrics) observeLag(t time.Time) {
	if m == nil || t.IsZero() {
		return
	}
	m.lag.Observe(max(time.Since(t).Seconds(), 0))
}
