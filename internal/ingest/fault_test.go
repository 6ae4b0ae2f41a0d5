package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/proctest"
	"reconnect/internal/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	proctest.Cleanup()
	os.Exit(code)
}

// The server is killed with SIGKILL in the middle of a burst and restarted;
// the sender then retries what got no 2xx, as Smartcar would. Every
// acknowledged event must be recorded, every event processed exactly once,
// and every vehicle must end where a clean delivery would have left it.
func TestKilledMidBurstLosesNothingAndAppliesEverythingOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := proctest.Build(t)
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			dbURL := dbtest.URL(t, dialect)
			addr := proctest.FreeAddr(t)
			srv := &proctest.Server{Name: "server", Bin: bin, Addr: addr, Env: append(os.Environ(),
				"DATABASE_URL="+dbURL, "RECONNECT_ADDR="+addr, "PUBLIC_BASE_URL=http://"+addr,
				// Its own metrics address: the default port may be taken by
				// anything else running on the machine.
				"METRICS_ADDR="+proctest.FreeAddr(t),
				"SMARTCAR_MANAGEMENT_TOKEN="+amt, "LOG_LEVEL=error", "RECONNECT_DATA_DIR="+t.TempDir())}
			srv.Start(t)
			defer srv.Kill()

			// 300 vehicles, 10 events each: break, fix, break, … so the last
			// event decides each vehicle's final state.
			const vehicles, perVehicle = 300, 10
			var events [][]byte
			ids := map[string]bool{}
			for e := 0; e < perVehicle; e++ {
				for v := 0; v < vehicles; v++ {
					at := t0.Add(time.Duration(e) * time.Second)
					w := authFailed(fmt.Sprintf("f-%d-%d", v, e), fmt.Sprintf("fv-%d", v), at)
					if e%2 == 1 {
						w.State = "RESOLVED"
					}
					events = append(events, w.body())
					ids[w.EventID] = true
				}
			}
			// No client timeout: the server bounds its own answer (503 when
			// a commit takes too long), and a killed server refuses or
			// resets at once.
			client := &http.Client{}
			send := func(body []byte) bool {
				req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/webhooks/smartcar", bytes.NewReader(body))
				req.Header.Set("SC-Signature", sign(body))
				res, err := client.Do(req)
				if err != nil {
					return false
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				return res.StatusCode/100 == 2
			}
			// deliver sends until the server acknowledges, as Smartcar
			// retries: a busy machine may answer 503, which says "later",
			// not "lost".
			deliver := func(what string, body []byte) {
				proctest.WaitFor(t, what, func() (bool, error) {
					if !srv.Running() {
						return false, fmt.Errorf("the server exited:\n%s", srv.Logs())
					}
					return send(body), nil
				})
			}

			var acked sync.Map
			var nAcked atomic.Int64
			var failed [][]byte
			var mu sync.Mutex
			// The kill comes once 40 % are acknowledged: the sender that
			// acknowledges the event that reaches the mark says so.
			mark := int64(len(events)) * 2 / 5
			reached := make(chan struct{})
			queue := make(chan []byte)
			var wg sync.WaitGroup
			for range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for body := range queue {
						if send(body) {
							acked.Store(eventIDOf(body), true)
							if nAcked.Add(1) == mark {
								close(reached)
							}
							continue
						}
						mu.Lock()
						failed = append(failed, body)
						mu.Unlock()
					}
				}()
			}
			killed, allSent := make(chan bool), make(chan struct{})
			go func() {
				select {
				case <-reached:
					srv.Kill()
					killed <- true
				case <-allSent:
					killed <- false
				}
			}()
			for _, b := range events {
				queue <- b
			}
			close(queue)
			wg.Wait()
			close(allSent)
			if !<-killed {
				t.Fatalf("only %d of %d events acknowledged, the kill was to come at %d:\n%s", nAcked.Load(), len(events), mark, srv.Logs())
			}
			t.Logf("%d acknowledged before and around the kill, %d to retry", nAcked.Load(), len(failed))
			if len(failed) == 0 {
				t.Fatal("the kill came too late to test anything")
			}

			srv.Start(t)
			db := openDB(t, dbURL)
			s := store.New(db)
			// Before any retry: everything the killed server acknowledged is there.
			var recorded []string
			if err := db.Gorm.Table("webhook_events").Pluck("event_id", &recorded).Error; err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, id := range recorded {
				have[id] = true
			}
			acked.Range(func(k, _ any) bool {
				if !have[k.(string)] {
					t.Errorf("event %v was acknowledged but not recorded", k)
				}
				return true
			})
			// Smartcar's retries: what got no 2xx is sent again, and some
			// acknowledged events are duplicated too.
			for i, b := range failed {
				deliver(fmt.Sprintf("retry %d acknowledged", i), b)
				acked.Store(eventIDOf(b), true)
			}
			for i, b := range events[:50] {
				deliver(fmt.Sprintf("duplicate %d acknowledged", i), b)
			}
			proctest.WaitFor(t, "the inbox drained", func() (bool, error) {
				if !srv.Running() {
					return false, fmt.Errorf("the server exited:\n%s", srv.Logs())
				}
				n, err := s.InboxPendingCount(context.Background())
				return err == nil && n == 0, nil
			})
			srv.Stop()
			if code := srv.ExitCode(); code != 0 {
				t.Fatalf("the server exited %d on SIGTERM:\n%s", code, srv.Logs())
			}

			// Every event is recorded and processed...
			var rows []struct {
				EventID string
				Status  string
			}
			if err := db.Gorm.Table("webhook_events").Select("event_id, status").Where("processed_at IS NOT NULL").Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(events) {
				t.Fatalf("%d events processed, want %d", len(rows), len(events))
			}
			// ...and applied exactly once: one input entry per event on the timelines.
			var details []string
			if err := db.Gorm.Table("vehicle_events").Where("kind IN ?", []model.EventKind{model.EventWebhookReceived, model.EventErrorIgnored}).
				Pluck("detail", &details).Error; err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, d := range details {
				var v struct {
					EventID string `json:"event_id"`
				}
				_ = json.Unmarshal([]byte(d), &v)
				seen[v.EventID]++
			}
			for id := range ids {
				if seen[id] != 1 {
					t.Fatalf("event %s applied %d times", id, seen[id])
				}
			}
			if len(seen) != len(ids) {
				t.Fatalf("%d events on timelines, want %d", len(seen), len(ids))
			}
			// The last event of each vehicle was a break (an even count of
			// alternations starting with a break ends with RESOLVED, so
			// perVehicle=10 ends connected).
			counts, err := s.CountByState(context.Background())
			if err != nil || counts[model.StateConnected] != vehicles {
				t.Fatalf("final states %v %v, want all %d connected", counts, err, vehicles)
			}
		})
	}
}

func eventIDOf(body []byte) string {
	var v struct {
		EventID string `json:"eventId"`
	}
	_ = json.Unmarshal(body, &v)
	return v.EventID
}

func openDB(t *testing.T, url string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
