// Package proctest runs the real reconnect binary as child processes for
// tests: it builds the binary once per test binary, starts `serve` with an
// environment of the test's choosing, waits for it to be ready, and kills or
// stops it. Every wait here waits on a condition (an answer, an exit), never
// on a fixed time: a machine under load only makes them slower.
package proctest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildMu  sync.Mutex
	buildDir string
	built    string
)

// Build compiles reconnect/cmd/reconnect once per test binary and returns
// the binary's path. It is built without the race detector and without cgo
// whatever the test itself runs with: the children are the system under
// test, not the test, and a race-instrumented server is several times
// slower. Call Cleanup from TestMain to remove it.
func Build(t testing.TB) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if built != "" {
		return built
	}
	dir, err := os.MkdirTemp("", "reconnect-bin-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "reconnect")
	// go test puts its own GOROOT/bin first on PATH, so this is the go that
	// runs the test.
	cmd := exec.Command("go", "build", "-o", bin, "reconnect/cmd/reconnect")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		t.Fatalf("go build: %v\n%s", err, out)
	}
	buildDir, built = dir, bin
	return bin
}

// Cleanup removes the binary Build made, if any.
func Cleanup() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
		buildDir, built = "", ""
	}
}

// FreeAddr returns a loopback address with a port nobody listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Server is one `reconnect serve` child process. Addr is its listen
// address (RECONNECT_ADDR, which Env must set); a Server can be started
// again after it ended, on the same address and environment.
type Server struct {
	Name string
	Bin  string
	Addr string
	Env  []string

	cmd    *exec.Cmd
	exited chan struct{}
	logs   *syncBuffer
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.Addr }

// Start runs the binary and returns once /readyz answers 200. It fails the
// test, with the server's output, if the process ends first or the test's
// deadline comes near.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	ctx, cancel := Context(t)
	defer cancel()
	if err := s.Launch(ctx); err != nil {
		t.Fatal(err)
	}
}

// Launch is Start for any goroutine: it returns what went wrong instead of
// failing the test, and gives up when ctx ends.
func (s *Server) Launch(ctx context.Context) error {
	s.cmd = exec.Command(s.Bin, "serve")
	s.cmd.Env = s.Env
	s.logs = &syncBuffer{}
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	dieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(s.cmd, s.exited)
	client := &http.Client{Timeout: 5 * time.Second}
	return Poll(ctx, s.Name+" ready", func() (bool, error) {
		select {
		case <-s.exited:
			return false, fmt.Errorf("%s exited before it was ready (%v):\n%s", s.Name, s.cmd.ProcessState, s.logs)
		default:
		}
		res, err := client.Get(s.URL() + "/readyz")
		if err != nil {
			return false, nil
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK, nil
	})
}

// Running reports whether the process is alive.
func (s *Server) Running() bool {
	if s.exited == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL and waits until the process is gone.
func (s *Server) Kill() {
	if !s.Running() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// Stop sends SIGTERM and waits for the process to end: the server bounds
// its own drain (SHUTDOWN_TIMEOUT).
func (s *Server) Stop() {
	if !s.Running() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.exited
}

// ExitCode is the ended process's exit code (-1 when killed by a signal).
func (s *Server) ExitCode() int {
	if s.cmd == nil || s.cmd.ProcessState == nil {
		return -1
	}
	return s.cmd.ProcessState.ExitCode()
}

// Logs is everything the current (or last) process wrote.
func (s *Server) Logs() string {
	if s.logs == nil {
		return ""
	}
	return s.logs.String()
}

// WaitFor polls cond until it reports true. cond's error fails the test at
// once. The wait has no time limit of its own: it fails, naming what it
// waited for, only when the test's own deadline (go test -timeout) is
// near, so that a slow machine is slow rather than failing.
func WaitFor(t testing.TB, what string, cond func() (bool, error)) {
	t.Helper()
	ctx, cancel := Context(t)
	defer cancel()
	if err := Poll(ctx, what, cond); err != nil {
		t.Fatal(err)
	}
}

// Poll is WaitFor for any goroutine: it returns cond's error, or one
// naming what it waited for when ctx ends first.
func Poll(ctx context.Context, what string, cond func() (bool, error)) error {
	pause := 5 * time.Millisecond
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// Context ends shortly before the test's deadline (go test -timeout), or
// never when there is none, leaving time to report what was waited for.
func Context(t testing.TB) (context.Context, context.CancelFunc) {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if at, ok := d.Deadline(); ok {
			return context.WithDeadline(context.Background(), at.Add(-30*time.Second))
		}
	}
	return context.WithCancel(context.Background())
}

// maxLogs is how much of a child's output is kept: enough to explain a
// failure, bounded for a long burst.
const maxLogs = 4 << 20

// syncBuffer is a bytes.Buffer that the child's output and the test may
// use at once. It keeps the first maxLogs bytes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if room := maxLogs - s.b.Len(); room > 0 {
		s.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
