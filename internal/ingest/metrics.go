package ingest

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are detection's Prometheus series. A nil *Metrics records nothing.
type Metrics struct {
	signatureFailures *prometheus.CounterVec
	received          *prometheus.CounterVec
	batchSize         prometheus.Histogram
	commitSeconds     prometheus.Histogram
	processed         *prometheus.CounterVec
	refreshes         *prometheus.CounterVec
}

// NewMetrics registers detection's series on reg (nil: a private registry).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		signatureFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "reconnect", Subsystem: "webhook", Name: "signature_failures_total",
			Help: "Smartcar webhook requests refused for a missing or wrong SC-Signature, by reason.",
		}, []string{"reason"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "reconnect", Subsystem: "inbox", Name: "events_total",
			Help: "Events offered to the inbox, by source and result (recorded, duplicate, unavailable).",
		}, []string{"source", "result"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "reconnect", Subsystem: "inbox", Name: "commit_batch_size",
			Help:    "Events per group-commit transaction.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500},
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "reconnect", Subsystem: "inbox", Name: "commit_seconds",
			Help:    "Duration of one group-commit transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12),
		}),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "reconnect", Subsystem: "inbox", Name: "processed_total",
			Help: "Inbox events processed, by status (processed, failed).",
		}, []string{"status"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "reconnect", Subsystem: "keepalive", Name: "refreshes_total",
			Help: "Token keep-alive refreshes, by result (ok, dead, error).",
		}, []string{"result"}),
	}
	reg.MustRegister(m.signatureFailures, m.received, m.batchSize, m.commitSeconds, m.processed, m.refreshes)
	return m
}

// SignatureFailure counts a refused webhook request.
func (m *Metrics) SignatureFailure(reason string) {
	if m != nil {
		m.signatureFailures.WithLabelValues(reason).Inc()
	}
}

// Received counts an event offered to the inbox.
func (m *Metrics) Received(source, result string) {
	if m != nil {
		m.received.WithLabelValues(source, result).Inc()
	}
}

func (m *Metrics) batch(n int, took time.Duration, err error) {
	if m == nil || err != nil {
		return
	}
	m.batchSize.Observe(float64(n))
	m.commitSeconds.Observe(took.Seconds())
}

func (m *Metrics) processedN(status string, n int) {
	if m != nil && n > 0 {
		m.processed.WithLabelValues(status).Add(float64(n))
	}
}

func (m *Metrics) refresh(result string) {
	if m != nil {
		m.refreshes.WithLabelValues(result).Inc()
	}
}
