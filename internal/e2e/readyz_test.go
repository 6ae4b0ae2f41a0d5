package e2e

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"reconnect/internal/dbtest"
)

// cutProxy forwards TCP to target until cut; resume listens again on the same
// address, as a database that went away and came back.
type cutProxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func (p *cutProxy) start(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func readyz(t *testing.T, base string) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	res, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/readyz")
	if err != nil {
		t.Fatalf("readyz: %v", err)
	}
	res.Body.Close()
	return res.StatusCode, time.Since(start)
}

// With PostgreSQL unreachable /readyz answers 503 within 2 s, and 200 again
// once it is back, without a restart. /healthz stays 200 throughout.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		_, base := startApp(t, "sqlite", nil)
		if code, _ := readyz(t, base); code != 200 {
			t.Fatalf("readyz %d", code)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		raw := dbtest.URL(t, "postgres")
		u, _ := url.Parse(raw)
		proxy := &cutProxy{addr: "127.0.0.1:0", target: u.Host}
		proxy.start(t)
		// Migrate directly; serve through the proxy.
		direct := raw
		u.Host = proxy.addr
		q := u.Query()
		q.Set("connect_timeout", "1")
		u.RawQuery = q.Encode()
		_ = direct
		_, base := startApp(t, "postgres", map[string]string{"DATABASE_URL": u.String()})

		if code, _ := readyz(t, base); code != 200 {
			t.Fatalf("readyz before the outage: %d", code)
		}
		proxy.cut()
		code, took := readyz(t, base)
		if code != 503 || took > 2*time.Second {
			t.Fatalf("readyz during the outage: %d after %v, want 503 within 2s", code, took)
		}
		if res, err := http.Get(base + "/healthz"); err != nil || res.StatusCode != 200 {
			t.Fatalf("healthz must not depend on the database: %v", err)
		}
		proxy.start(t)
		deadline := time.Now().Add(10 * time.Second)
		for {
			if code, _ := readyz(t, base); code == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("readyz did not recover after the database came back")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}
