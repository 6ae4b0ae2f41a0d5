package smartcarsim

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Delivery is one attempt in the deliveries log.
type Delivery struct {
	EventID    string `json:"eventId"`
	EventType  string `json:"eventType"`
	VehicleID  string `json:"vehicleId,omitempty"`
	DeliveryID string `json:"deliveryId,omitempty"`
	// Attempt counts from 1; 0 marks an event that was never sent.
	Attempt int    `json:"attempt"`
	Status  int    `json:"status,omitempty"`
	Error   string `json:"error,omitempty"`
	// Time is wall-clock time, because retries wait in real time even when
	// the simulator's clock is frozen.
	Time time.Time `json:"time"`
}

// deliveryLog keeps the newest max entries. It trims in bulk so that a
// migration of many vehicles does not copy the log on every append.
type deliveryLog struct {
	max     int
	entries []Delivery
}

func (l *deliveryLog) add(d Delivery) {
	l.entries = append(l.entries, d)
	if len(l.entries) > 2*l.max {
		l.entries = slices.Clone(l.entries[len(l.entries)-l.max:])
	}
}

func (l *deliveryLog) list() []Delivery {
	return slices.Clone(l.entries[max(0, len(l.entries)-l.max):])
}

func (s *Sim) recordDelivery(d Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordDeliveryLocked(d)
}

func (s *Sim) recordDeliveryLocked(d Delivery) {
	if d.Time.IsZero() {
		d.Time = time.Now()
	}
	s.deliveries.add(d)
	s.log.Debug("smartcarsim: webhook", "event", d.EventID, "type", d.EventType, "attempt", d.Attempt,
		"status", d.Status, "err", d.Error)
}

// Deliveries returns the log, oldest first.
func (s *Sim) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deliveries.list()
}

// pool delivers webhook events with at most limit requests in flight. The
// queue is a slice rather than a goroutine per event, and retries wait on
// timers, so an OEM migration of 100,000 vehicles costs memory, not
// 100,000 goroutines.
type pool struct {
	sim    *Sim
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []job
	running int
	limit   int
	closed  bool
	timers  map[*time.Timer]struct{}
	wg      sync.WaitGroup
}

type job struct {
	ev      *event
	attempt int
}

func newPool(s *Sim, client *http.Client) *pool {
	ctx, cancel := context.WithCancel(context.Background())
	p := &pool{sim: s, client: client, ctx: ctx, cancel: cancel, limit: 4, timers: map[*time.Timer]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.dispatch()
	return p
}

func (p *pool) setLimit(n int) {
	p.mu.Lock()
	p.limit = max(1, n)
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *pool) dispatch() {
	defer p.wg.Done()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for !p.closed && (len(p.queue) == 0 || p.running >= p.limit) {
			p.cond.Wait()
		}
		if p.closed {
			return
		}
		j := p.queue[0]
		p.queue[0] = job{}
		p.queue = p.queue[1:]
		p.running++
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.sim.attempt(p.ctx, j)
			p.mu.Lock()
			p.running--
			p.cond.Broadcast()
			p.mu.Unlock()
		}()
	}
}

// enqueue schedules the first attempt of each event.
func (p *pool) enqueue(events []*event) {
	delay := time.Duration(0)
	if d := p.sim.cfg.WebhookRetryDelays; len(d) > 0 {
		delay = d[0]
	}
	for _, e := range events {
		p.schedule(job{ev: e, attempt: 1}, delay)
	}
}

func (p *pool) schedule(j job, delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if delay <= 0 {
		p.queue = append(p.queue, j)
		p.cond.Broadcast()
		return
	}
	var t *time.Timer
	t = time.AfterFunc(delay, func() {
		p.mu.Lock()
		delete(p.timers, t)
		p.mu.Unlock()
		p.schedule(j, 0)
	})
	p.timers[t] = struct{}{}
}

func (p *pool) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for t := range p.timers {
		t.Stop()
	}
	p.timers = nil
	p.queue = nil
	p.cond.Broadcast()
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
}

// attempt makes one delivery and schedules the next on failure. Any non-2xx
// answer, redirect, timeout or transport error counts as a failure; a 2xx
// body is ignored.
func (s *Sim) attempt(ctx context.Context, j job) {
	s.mu.Lock()
	wh := s.webhook
	iso, pretty := s.switches.ISOTimestamps, s.switches.Pretty
	at := s.clock.Now()
	s.mu.Unlock()
	entry := Delivery{EventID: j.ev.id, EventType: j.ev.typ, VehicleID: j.ev.vehicleID, Attempt: j.attempt}
	if wh.url == "" || !wh.verified {
		entry.Error = "dropped: webhook not verified"
		s.recordDelivery(entry)
		return
	}
	entry.DeliveryID = newID()
	body := s.renderEvent(j.ev, entry.DeliveryID, at, iso, pretty)
	status, _, err := s.pool.post(ctx, wh.url, body, wh.amt, true)
	entry.Status = status
	switch {
	case err != nil:
		entry.Error = err.Error()
	case status < 200 || status > 299:
		entry.Error = http.StatusText(status)
	}
	s.recordDelivery(entry)
	if entry.Error == "" || ctx.Err() != nil {
		return
	}
	delays := s.cfg.WebhookRetryDelays
	if j.attempt >= len(delays) {
		s.log.Warn("smartcarsim: webhook event dropped after retries", "event", j.ev.id, "attempts", j.attempt)
		return
	}
	s.pool.schedule(job{ev: j.ev, attempt: j.attempt + 1}, delays[j.attempt])
}
