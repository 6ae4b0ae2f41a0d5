package ingest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"reconnect/internal/dbtest"
	"reconnect/internal/ingest"
	"reconnect/internal/store"
)

// BenchmarkProcess measures the processor alone: events recorded in the
// inbox, one per vehicle (an OEM migration), applied in batches.
func BenchmarkProcess(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			db := dbtest.Open(b, dialect)
			s := store.New(db)
			const n = 2000
			svc := newBenchService(b, db)
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				var evs []store.InboxEvent
				for j := range n {
					body := authFailed(fmt.Sprintf("b%d-%d", i, j), fmt.Sprintf("bv%d-%d", i, j), t0).body()
					d, err := ingest.Inspect(body, sign(body), []string{amt}, t0)
					if err != nil {
						b.Fatal(err)
					}
					evs = append(evs, d.Record)
				}
				for k := 0; k < len(evs); k += 250 {
					if _, err := s.RecordInbox(context.Background(), evs[k:min(k+250, len(evs))]); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start, cpu := time.Now(), cpuTime()
				if err := svc.Processor().Drain(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
				// The steady figure on a shared machine: this process's CPU
				// (the processor; not the PostgreSQL server's) per event.
				b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/n, "cpu-µs/event")
			}
		})
	}
}

// BenchmarkRecord measures the receiver's domain side alone: 50 concurrent
// deliveries checked and committed with group commit, no HTTP.
func BenchmarkRecord(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, processing := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/processing=%v", dialect, processing), func(b *testing.B) {
				db := dbtest.Open(b, dialect)
				svc := newBenchService(b, db)
				if processing {
					svc.Start(context.Background())
				}
				var n atomic.Int64
				start := time.Now()
				b.SetParallelism(25)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := n.Add(1)
						body := authFailed(fmt.Sprintf("r-%d", i), fmt.Sprintf("rv-%d", i%5000), t0).body()
						if _, err := svc.ReceiveWebhook(context.Background(), body, sign(body)); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "events/s")
			})
		}
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
