package ingest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"reconnect/internal/dbtest"
	"reconnect/internal/store"
)

// pinRate makes the writer see rate events a second for the rest of the
// test, whatever it records: the window it counts in starts in an hour.
func pinRate(w *Writer, rate float64) {
	w.rateMu.Lock()
	defer w.rateMu.Unlock()
	w.window, w.lastRate = time.Now().Add(time.Hour), rate
}

// batchSizes reads the commit batch-size histogram: how many commits, and
// how many events they held.
func batchSizes(t *testing.T, reg *prometheus.Registry) (commits uint64, events float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "reconnect_inbox_commit_batch_size" {
			var h *dto.Histogram = mf.GetMetric()[0].GetHistogram()
			return h.GetSampleCount(), h.GetSampleSum()
		}
	}
	return 0, 0
}

func inboxEvent(i int) store.InboxEvent {
	return store.InboxEvent{EventID: fmt.Sprintf("linger-%d", i), Source: store.InboxSmartcar, EventType: "VEHICLE_ERROR",
		VehicleID: "v", Body: []byte(`{}`), ReceivedAt: time.Now()}
}

// During a burst a writer waits for more events before it commits: with a
// wait of an hour, eight callers at once are answered by one commit of
// eight as soon as the batch is full, not after the hour.
func TestWriterLingersDuringABurstUntilTheBatchIsFull(t *testing.T) {
	st := store.New(dbtest.Open(t, "sqlite"))
	reg := prometheus.NewRegistry()
	w := NewWriter(st, WriterConfig{MaxBatch: 8, Linger: time.Hour, CommitTimeout: time.Minute}, NewMetrics(reg), nil)
	defer w.Close()
	pinRate(w, 5000)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			if _, err := w.Record(ctx, inboxEvent(i)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if commits, events := batchSizes(t, reg); commits != 1 || events != 8 {
		t.Fatalf("%d commits of %v events, want one of 8", commits, events)
	}
}

// Below the burst rate nothing waits: a lone event commits at once even
// with a wait of an hour configured.
func TestWriterCommitsALoneEventAtOnce(t *testing.T) {
	st := store.New(dbtest.Open(t, "sqlite"))
	reg := prometheus.NewRegistry()
	w := NewWriter(st, WriterConfig{Linger: time.Hour, CommitTimeout: time.Minute}, NewMetrics(reg), nil)
	defer w.Close()
	pinRate(w, burstRate-1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 3 {
		fresh, err := w.Record(ctx, inboxEvent(i))
		if err != nil || !fresh {
			t.Fatalf("event %d: fresh %v, %v", i, fresh, err)
		}
	}
	if commits, events := batchSizes(t, reg); commits != 3 || events != 3 {
		t.Fatalf("%d commits of %v events, want three of one", commits, events)
	}
}
