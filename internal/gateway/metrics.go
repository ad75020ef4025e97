package gateway

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the gateway's Prometheus series, labelled by route prefix
// (not by path, which would be unbounded). A nil *Metrics records nothing.
type Metrics struct {
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	upstreamErrors *prometheus.CounterVec
	authRefusals   *prometheus.CounterVec
}

// Route labels for requests no upstream route took.
const (
	labelHealthz   = "healthz"
	labelUnmatched = "unmatched"
)

// NewMetrics creates the metrics and registers them on reg (when not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_requests_total",
			Help: "Requests by route prefix (healthz, unmatched) and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_request_duration_seconds",
			Help:    "Time to answer a request, upstream included, by route prefix.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_errors_total",
			Help: "Upstream calls that failed, by route prefix and kind (unreachable, timeout, canceled).",
		}, []string{"route", "kind"}),
		authRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_auth_refusals_total",
			Help: "Requests refused before any upstream, by reason (no_token, invalid, revoked, unavailable).",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.upstreamErrors, m.authRefusals)
	}
	return m
}

func (m *Metrics) observe(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

func (m *Metrics) upstreamError(route, kind string) {
	if m != nil {
		m.upstreamErrors.WithLabelValues(route, kind).Inc()
	}
}

func (m *Metrics) refused(reason string) {
	if m != nil {
		m.authRefusals.WithLabelValues(reason).Inc()
	}
}
