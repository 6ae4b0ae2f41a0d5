package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never answered", url)
}

// `reconnect demo` brings up the app and the simulator, seeded, prints the
// owner links, serves them, and stops cleanly when its context ends (Ctrl-C).
func TestDemoStartsAndStopsCleanly(t *testing.T) {
	appAddr, simAddr := freeAddr(t), "localhost:"+strings.Split(freeAddr(t), ":")[1]
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--addr", appAddr, "--sim-addr", simAddr},
			map[string]string{"RECONNECT_DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn", "METRICS_ADDR": "127.0.0.1:0"}, &out, &errb)
	}()
	waitFor(t, "http://"+appAddr+"/readyz")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{"demo-alice", "demo-bob", "demo-carol", "/_control/migrations", "http://" + appAddr + "/l/", "support@example.com", "/console", "/console/campaigns/1", "new sign-in"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("demo output lacks %q:\n%s\n%s", want, out.String(), errb.String())
		}
	}
	res, err := http.Get("http://" + simAddr + "/_control/vehicles")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("simulator: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "TESLA") {
		t.Fatalf("simulator not seeded: %s", body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("demo exited %d: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("demo did not stop within 20 s")
	}
}

// SIGTERM stops the HTTP servers (public and metrics) and the job workers
// and exits 0.
func TestServeStopsCleanlyOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "reconnect")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "RECONNECT_ADDR="+addr, "METRICS_ADDR="+metricsAddr, "RECONNECT_DATA_DIR="+t.TempDir(), "LOG_FORMAT=json")
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "http://"+addr+"/healthz")
	waitFor(t, "http://"+metricsAddr+"/metrics")
	if res, err := http.Get("http://" + addr + "/metrics"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics on the public listener: %v %v, want 404", res, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- cmd.Wait() }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("serve exited with %v:\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve did not stop within 20 s of SIGTERM")
	}
	if _, err := net.DialTimeout("tcp", metricsAddr, time.Second); err == nil {
		t.Error("the metrics listener outlived the process")
	}
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"stopped: requests drained`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}
