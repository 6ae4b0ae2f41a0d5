package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// buildDir holds the binary the fault test builds; TestMain removes it.
var buildDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildServer compiles the real binary once per test binary.
var buildServer = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "reconnect-fault-")
	if err != nil {
		return "", err
	}
	buildDir = dir
	bin := filepath.Join(dir, "reconnect")
	// go test puts its own GOROOT/bin first on PATH, so this is the go that runs the test.
	cmd := exec.Command("go", "build", "-o", bin, "reconnect/cmd/reconnect")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// server is the real binary, run as a child process.
type server struct {
	t    *testing.T
	bin  string
	env  []string
	url  string
	cmd  *exec.Cmd
	logs *bytes.Buffer
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "serve")
	s.cmd.Env = s.env
	s.logs = &bytes.Buffer{}
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			s.cmd.Process.Kill()
			s.t.Fatalf("server not ready:\n%s", s.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.kill()
	}
}

// The server is killed with SIGKILL in the middle of a burst and restarted;
// the sender then retries what got no 2xx, as Smartcar would. Every
// acknowledged event must be recorded, every event processed exactly once,
// and every vehicle must end where a clean delivery would have left it.
func TestKilledMidBurstLosesNothingAndAppliesEverythingOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin, err := buildServer()
	if err != nil {
		t.Fatal(err)
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			dbURL := dbtest.URL(t, dialect)
			addr := freeAddr(t)
			srv := &server{t: t, bin: bin, url: "http://" + addr, env: append(os.Environ(),
				"DATABASE_URL="+dbURL, "RECONNECT_ADDR="+addr, "PUBLIC_BASE_URL=http://"+addr,
				"SMARTCAR_MANAGEMENT_TOKEN="+amt, "LOG_LEVEL=error", "RECONNECT_DATA_DIR="+t.TempDir())}
			srv.start()
			defer func() {
				if srv.cmd.ProcessState == nil {
					srv.kill()
				}
			}()

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
			client := &http.Client{Timeout: 5 * time.Second}
			send := func(body []byte) bool {
				req, _ := http.NewRequest(http.MethodPost, srv.url+"/webhooks/smartcar", bytes.NewReader(body))
				req.Header.Set("SC-Signature", sign(body))
				res, err := client.Do(req)
				if err != nil {
					return false
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				return res.StatusCode/100 == 2
			}

			var acked sync.Map
			var nAcked atomic.Int64
			var failed [][]byte
			var mu sync.Mutex
			queue := make(chan []byte)
			var wg sync.WaitGroup
			for range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for body := range queue {
						if send(body) {
							acked.Store(eventIDOf(body), true)
							nAcked.Add(1)
							continue
						}
						mu.Lock()
						failed = append(failed, body)
						mu.Unlock()
					}
				}()
			}
			killed := make(chan struct{})
			go func() {
				for nAcked.Load() < int64(len(events))*2/5 {
					time.Sleep(time.Millisecond)
				}
				srv.kill()
				close(killed)
			}()
			for _, b := range events {
				queue <- b
			}
			close(queue)
			wg.Wait()
			<-killed
			t.Logf("%d acknowledged before and around the kill, %d to retry", nAcked.Load(), len(failed))
			if len(failed) == 0 {
				t.Fatal("the kill came too late to test anything")
			}

			srv.start()
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
				if !send(b) {
					t.Fatalf("retry %d failed after the restart", i)
				}
				acked.Store(eventIDOf(b), true)
			}
			for _, b := range events[:50] {
				if !send(b) {
					t.Fatal("duplicate refused")
				}
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				n, err := s.InboxPendingCount(context.Background())
				if err == nil && n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d events still pending: %v\n%s", n, err, srv.logs)
				}
				time.Sleep(100 * time.Millisecond)
			}
			srv.stop()

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
