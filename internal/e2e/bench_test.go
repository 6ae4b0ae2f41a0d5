package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// load requests url from `workers` goroutines for d and returns requests per
// second and the 50th and 99th percentile latencies.
func load(b *testing.B, client *http.Client, req func() *http.Request, workers int, d time.Duration) (rps float64, p50, p99 time.Duration) {
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) {
				start := time.Now()
				res, err := client.Do(req())
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Errorf("status %d", res.StatusCode)
					return
				}
				local = append(local, time.Since(start))
				n.Add(1)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		return 0, 0, 0
	}
	return float64(n.Load()) / d.Seconds(), lat[len(lat)/2], lat[len(lat)*99/100]
}

// BenchmarkOwnerPage measures the owner's page (session, query, templ render)
// for an owner with five vehicles against a bare Echo handler in the same run.
// The goal is at least half the bare handler's requests per second.
func BenchmarkOwnerPage(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			w := startWorld(b, dialect, nil)
			ctx := context.Background()
			o, _ := w.app.Store.UpsertOwner(ctx, store.OwnerInput{HostUserID: "bench-owner", Email: "bench@example.com", Name: "Bench"})
			for i := 0; i < 5; i++ {
				v, _ := w.app.Store.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: fmt.Sprintf("bench-%d", i), OwnerID: &o.ID, Make: "TESLA", Model: "Model 3", Year: 2020 + i})
				if i < 2 {
					w.app.Lifecycle.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED"})
				}
			}
			m, _ := w.app.Links.Mint(ctx, nil, linkMintEmail(o.ID))
			br := newBrowser(b, w.appURL)
			br.open(m.URL)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Jar: br.c.Jar}
			ownerURL, _ := url.Parse(w.appURL + "/me")

			bare := echo.New()
			bare.GET("/hello", func(c echo.Context) error { return c.String(200, "hello") })
			bareSrv := httptest.NewServer(bare)
			defer bareSrv.Close()

			b.ResetTimer()
			const workers, d = 16, 3 * time.Second
			cpu := cpuTime()
			bareRPS, _, bareP99 := load(b, client, func() *http.Request { r, _ := http.NewRequest("GET", bareSrv.URL+"/hello", nil); return r }, workers, d)
			bareCPU := cpuTime() - cpu
			cpu = cpuTime()
			pageRPS, pageP50, pageP99 := load(b, client, func() *http.Request { r, _ := http.NewRequest("GET", ownerURL.String(), nil); return r }, workers, d)
			pageCPU := cpuTime() - cpu
			// CPU per request is the steady figure on a shared machine. It is
			// this process's: the server's and the clients' (and, for the
			// page, not the PostgreSQL server's); the bare handler's figure
			// is what the clients and net/http cost alone.
			b.ReportMetric(float64(pageCPU.Microseconds())/(pageRPS*d.Seconds()), "page-cpu-µs/req")
			b.ReportMetric(float64(bareCPU.Microseconds())/(bareRPS*d.Seconds()), "bare-cpu-µs/req")
			b.ReportMetric(pageRPS, "page-req/s")
			b.ReportMetric(bareRPS, "bare-req/s")
			b.ReportMetric(pageRPS/bareRPS, "ratio")
			b.ReportMetric(float64(pageP50.Microseconds())/1000, "page-p50-ms")
			b.ReportMetric(float64(pageP99.Microseconds())/1000, "page-p99-ms")
			b.ReportMetric(float64(bareP99.Microseconds())/1000, "bare-p99-ms")
		})
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
