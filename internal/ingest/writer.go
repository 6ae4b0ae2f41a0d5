package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"reconnect/internal/store"
)

// ErrUnavailable means an event could not be recorded in time: the caller
// must not acknowledge it (the sender will retry).
var ErrUnavailable = errors.New("ingest: inbox unavailable")

// WriterConfig tunes group commit.
type WriterConfig struct {
	// MaxBatch caps the rows of one insert transaction.
	MaxBatch int
	// Writers is how many transactions may be in flight at once. SQLite has
	// one connection, so more than one only queues; PostgreSQL overlaps one
	// batch's commit with the next batch's insert.
	Writers int
	// Queue is how many events may wait for a writer.
	Queue int
	// CommitTimeout bounds one batch, so an unreachable database turns into
	// a quick "no" instead of requests piling up.
	CommitTimeout time.Duration
	// Linger is how long a writer waits for more events before it commits
	// a batch during a burst (LingerAbove events a second or more, by
	// default the processor's burst rate; Linger 2 ms by default, negative
	// for never). A commit costs about the same for one row as for tens:
	// without the wait a burst on two cores committed 3.7 events at a time,
	// with 2 ms 27, for a fifth less CPU per event. Below that rate nothing
	// waits: a lone event commits at once.
	Linger      time.Duration
	LingerAbove float64
}

func (c WriterConfig) withDefaults() WriterConfig {
	if c.MaxBatch <= 0 {
		c.MaxBatch = 256
	}
	if c.Writers <= 0 {
		c.Writers = 1
	}
	if c.Queue <= 0 {
		c.Queue = 8192
	}
	if c.CommitTimeout <= 0 {
		c.CommitTimeout = 800 * time.Millisecond
	}
	if c.Linger == 0 {
		c.Linger = 2 * time.Millisecond
	}
	if c.LingerAbove <= 0 {
		c.LingerAbove = burstRate
	}
	return c
}

// Writer records events durably with group commit: callers hand over one
// event each and wait; a writer goroutine inserts everything that queued up
// while the previous transaction committed, in one transaction, and then
// answers every caller of that batch. One row per transaction tops out near
// the database's fsync rate; a batch costs about the same as one row, so
// throughput grows with load while an idle system still commits at once.
type Writer struct {
	store   *store.Store
	cfg     WriterConfig
	in      chan *pending
	quit    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup
	onWrite func() // after a commit that added rows
	metrics *Metrics
	waiting atomic.Int64
	// load is a moving average of batch sizes, times 16: how hard the
	// receiver is being pushed right now.
	load      atomic.Int64
	lastFlush atomic.Int64 // unix nanoseconds

	// The recording rate, counted per rateWindow: a burst shows in it even
	// when each commit is quick and batches stay small.
	rateMu   sync.Mutex
	window   time.Time // start of the window being counted
	inWindow int       // events recorded in it
	lastRate float64   // events per second in the window before
}

// rateWindow is the span the recording rate is counted over.
const rateWindow = 100 * time.Millisecond

type pending struct {
	ev   store.InboxEvent
	done chan result
}

type result struct {
	fresh bool
	err   error
}

// NewWriter starts the writer goroutines; Close stops them.
func NewWriter(s *store.Store, cfg WriterConfig, m *Metrics, onWrite func()) *Writer {
	cfg = cfg.withDefaults()
	if onWrite == nil {
		onWrite = func() {}
	}
	w := &Writer{store: s, cfg: cfg, in: make(chan *pending, cfg.Queue), quit: make(chan struct{}), onWrite: onWrite, metrics: m}
	for range cfg.Writers {
		w.wg.Add(1)
		go w.loop()
	}
	return w
}

// Record stores ev and returns once it is committed. fresh is false when an
// event with the same id was recorded before, which is as good for the sender
// as a new record. Any error means nothing may be acknowledged.
func (w *Writer) Record(ctx context.Context, ev store.InboxEvent) (fresh bool, err error) {
	p := &pending{ev: ev, done: make(chan result, 1)}
	w.waiting.Add(1)
	defer w.waiting.Add(-1)
	select {
	case w.in <- p:
	case <-ctx.Done():
		return false, fmt.Errorf("%w: queue full: %v", ErrUnavailable, ctx.Err())
	case <-w.quit:
		return false, fmt.Errorf("%w: shutting down", ErrUnavailable)
	}
	select {
	case r := <-p.done:
		return r.fresh, r.err
	case <-ctx.Done():
		// The batch may still commit; the sender's retry is then a duplicate.
		return false, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
	}
}

// Busy reports whether callers are waiting for a commit.
func (w *Writer) Busy() bool { return w.waiting.Load() > 0 }

// Load is the recent average number of events per commit: about 1 when
// requests trickle in, tens during a burst.
func (w *Writer) Load() float64 {
	if time.Since(time.Unix(0, w.lastFlush.Load())) > 100*time.Millisecond {
		return 0 // the burst is over
	}
	return float64(w.load.Load()) / 16
}

// Rate is how many events a second were recorded recently (over the last
// complete rateWindow); 0 once nothing has been recorded for two windows.
func (w *Writer) Rate() float64 {
	w.rateMu.Lock()
	defer w.rateMu.Unlock()
	if time.Since(w.window) > 2*rateWindow {
		return 0
	}
	return w.lastRate
}

func (w *Writer) countRate(n int, now time.Time) {
	w.rateMu.Lock()
	defer w.rateMu.Unlock()
	if d := now.Sub(w.window); d >= rateWindow {
		w.lastRate = 0
		if d < 2*rateWindow {
			w.lastRate = float64(w.inWindow) / d.Seconds()
		}
		w.window, w.inWindow = now, 0
	}
	w.inWindow += n
}

// Close stops accepting events, writes those already queued and waits.
func (w *Writer) Close() {
	w.stopped.Do(func() { close(w.quit) })
	w.wg.Wait()
}

func (w *Writer) loop() {
	defer w.wg.Done()
	batch := make([]*pending, 0, w.cfg.MaxBatch)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		select {
		case p := <-w.in:
			batch = append(batch, p)
		case <-w.quit:
			// Callers blocked on sending see quit too; what made it into the
			// queue is written before the writer goes.
			for {
				select {
				case p := <-w.in:
					batch = append(batch, p)
					if len(batch) == w.cfg.MaxBatch {
						w.flush(batch)
						batch = batch[:0]
					}
				default:
					w.flush(batch)
					return
				}
			}
		}
	gather:
		for len(batch) < w.cfg.MaxBatch {
			select {
			case p := <-w.in:
				batch = append(batch, p)
			default:
				break gather
			}
		}
		if len(batch) < w.cfg.MaxBatch && w.cfg.Linger > 0 && w.Rate() >= w.cfg.LingerAbove {
			linger.Reset(w.cfg.Linger)
		wait:
			for len(batch) < w.cfg.MaxBatch {
				select {
				case p := <-w.in:
					batch = append(batch, p)
				case <-linger.C:
					break wait
				case <-w.quit:
					break wait // the loop's next turn writes what is left
				}
			}
			linger.Stop()
		}
		w.flush(batch)
		clear(batch)
		batch = batch[:0]
	}
}

func (w *Writer) flush(batch []*pending) {
	if len(batch) == 0 {
		return
	}
	evs := make([]store.InboxEvent, len(batch))
	for i, p := range batch {
		evs[i] = p.ev
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.CommitTimeout)
	start := time.Now()
	fresh, err := w.store.RecordInbox(ctx, evs)
	cancel()
	w.metrics.batch(len(batch), time.Since(start), err)
	old := w.load.Load()
	w.load.Store(old - old/8 + int64(len(batch))*16/8)
	now := time.Now()
	w.lastFlush.Store(now.UnixNano())
	w.countRate(len(batch), now)
	if err != nil {
		err = fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	added := false
	for i, p := range batch {
		r := result{err: err}
		if err == nil {
			r.fresh = fresh[i]
			added = added || fresh[i]
		}
		p.done <- r
	}
	if added {
		w.onWrite()
	}
}
