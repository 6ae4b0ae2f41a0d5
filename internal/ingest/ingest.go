// Package ingest is detection: it records Smartcar webhooks and host-reported
// errors durably before they are acknowledged (group commit into an inbox
// table), then applies them in batches off the request path, turning
// classified errors into vehicle state changes through the lifecycle
// machine. It also keeps legacy tokens alive and, when asked, checks
// connections on a schedule.
package ingest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"reconnect/internal/lifecycle"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

// Config assembles the service.
type Config struct {
	// ManagementTokens verify SC-Signature; two are accepted during a rotation.
	ManagementTokens []string
	Writer           WriterConfig
	Processor        ProcessorConfig
	// RecordTimeout bounds how long a request waits for its event to be
	// committed; past it the answer is 503 and the sender retries.
	RecordTimeout time.Duration
	// YieldToReceiver gives the receiver's commits priority over processing
	// (SQLite, where both share one connection).
	YieldToReceiver bool
}

// Service is detection's front door: the receiver's and the error API's
// domain side, and the processor behind them.
type Service struct {
	store     *store.Store
	log       *slog.Logger
	tokens    []string
	timeout   time.Duration
	writer    *Writer
	processor *Processor
	metrics   *Metrics

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New builds the service; the writer runs at once, the processor from Start.
func New(s *store.Store, m *lifecycle.Machine, log *slog.Logger, metrics *Metrics, cfg Config) *Service {
	if log == nil {
		log = slog.Default()
	}
	if cfg.RecordTimeout <= 0 {
		cfg.RecordTimeout = 900 * time.Millisecond
	}
	svc := &Service{store: s, log: log, tokens: cfg.ManagementTokens, timeout: cfg.RecordTimeout, metrics: metrics}
	var processor *Processor
	svc.writer = NewWriter(s, cfg.Writer, metrics, func() { processor.Wake() })
	cfg.Processor.Load, cfg.Processor.Rate = svc.writer.Load, svc.writer.Rate
	if cfg.YieldToReceiver {
		cfg.Processor.Yield = svc.writer.Busy
	}
	processor = NewProcessor(s, m, log.With("component", "inbox"), cfg.Processor, metrics)
	svc.processor = processor
	return svc
}

// Metrics returns the service's metrics (the receiver counts refusals).
func (s *Service) Metrics() *Metrics { return s.metrics }

// Processor returns the inbox processor (tests drain it directly).
func (s *Service) Processor() *Processor { return s.processor }

// Start runs the processor until Stop.
func (s *Service) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.processor.Run(ctx)
	}()
}

// Stop writes what is queued, then stops the processor (an event it was
// applying rolls back and stays pending). Stop the HTTP server first.
func (s *Service) Stop(ctx context.Context) error {
	s.writer.Close()
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ingest: stop: %w", ctx.Err())
	}
}

// Receipt is the answer to a webhook delivery.
type Receipt struct {
	// Challenge is the VERIFY answer; empty for other events.
	Challenge string
	EventID   string
	EventType smartcar.EventType
	Duplicate bool
}

// ReceiveWebhook checks a Smartcar delivery (the raw body and its
// SC-Signature) and, unless it is a VERIFY, records it durably. A nil error
// means the caller may acknowledge it.
func (s *Service) ReceiveWebhook(ctx context.Context, body []byte, signature string) (Receipt, error) {
	received := s.store.Now()
	d, err := Inspect(body, signature, s.tokens, received)
	if err != nil {
		var se *SignatureError
		if errors.As(err, &se) {
			s.metrics.SignatureFailure(se.Reason)
		}
		return Receipt{}, err
	}
	if d.Event.Type == smartcar.EventVerify {
		return Receipt{Challenge: d.Challenge, EventID: d.Event.EventID, EventType: d.Event.Type}, nil
	}
	fresh, err := s.record(ctx, d.Record)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{EventID: d.Record.EventID, EventType: d.Event.Type, Duplicate: !fresh}, nil
}

// ReportReceipt is the answer to a host-reported error.
type ReportReceipt struct {
	EventID        string
	Duplicate      bool
	Classification smartcar.Classification
}

// ReportError records an error the host forwarded; it is applied like a
// webhook. idempotencyKey (optional) makes a retried report a duplicate.
func (s *Service) ReportError(ctx context.Context, body []byte, idempotencyKey string) (ReportReceipt, error) {
	received := s.store.Now()
	r, e, err := ParseReport(body, received)
	if err != nil {
		return ReportReceipt{}, err
	}
	id := "host:" + idempotencyKey
	if idempotencyKey == "" {
		id = "host:" + randomID()
	} else if !validID(idempotencyKey) {
		return ReportReceipt{}, &FieldError{"Idempotency-Key", "printable characters without spaces, at most 128"}
	}
	fresh, err := s.record(ctx, store.InboxEvent{EventID: id, Source: store.InboxHost, EventType: TypeErrorReport,
		VehicleID: r.VehicleID, Body: body, DeliveredAt: r.OccurredAt, ReceivedAt: received})
	if err != nil {
		return ReportReceipt{}, err
	}
	if !fresh {
		// A key names one report. A retry sends the same body and gets the
		// first answer; another body under the key would be dropped while
		// the answer described it, so it is refused. The inbox row already
		// holds the body recorded under the key (for as long as the key is
		// remembered at all), so it is compared with no hash column to add.
		prev, err := s.store.InboxByEventID(ctx, id)
		if err != nil {
			return ReportReceipt{}, err
		}
		if !bytes.Equal(prev.Body, body) {
			return ReportReceipt{}, &FieldError{"Idempotency-Key", "was used before with a different body; send a new key with a new report"}
		}
	}
	return ReportReceipt{EventID: id, Duplicate: !fresh, Classification: smartcar.Classify(e)}, nil
}

func (s *Service) record(ctx context.Context, ev store.InboxEvent) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	fresh, err := s.writer.Record(ctx, ev)
	switch {
	case err != nil:
		s.metrics.Received(ev.Source, "unavailable")
	case fresh:
		s.metrics.Received(ev.Source, "recorded")
	default:
		s.metrics.Received(ev.Source, "duplicate")
	}
	return fresh, err
}

// Status is what the API tells about one recorded event.
type Status struct {
	Event     store.InboxEvent
	Processed bool
}

// EventStatus looks an event up by its Smartcar event id (or a host report's
// "host:" id); store.ErrNotFound if it was never recorded.
func (s *Service) EventStatus(ctx context.Context, eventID string) (Status, error) {
	ev, err := s.store.InboxByEventID(ctx, eventID)
	if err != nil {
		return Status{}, err
	}
	return Status{Event: ev, Processed: ev.ProcessedAt != nil}, nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
