package dbtest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// CutProxy forwards TCP to Target until Cut; Start listens again on the same
// address, as a database that went away and came back.
type CutProxy struct {
	Target string
	Addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

// Start listens (on Addr, or a free port the first time) and forwards.
func (p *CutProxy) Start(t testing.TB) {
	t.Helper()
	addr := p.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.Addr = ln, ln.Addr().String()
	p.mu.Unlock()
	t.Cleanup(p.Cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.Target)
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

// Cut closes the listener and every forwarded connection.
func (p *CutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Proxied starts a CutProxy in front of a PostgreSQL URL and returns the URL
// that goes through it, with a short connect timeout so an outage is noticed
// at once.
func Proxied(t testing.TB, raw string) (string, *CutProxy) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p := &CutProxy{Target: u.Host}
	p.Start(t)
	u.Host = p.Addr
	q := u.Query()
	q.Set("connect_timeout", "1")
	u.RawQuery = q.Encode()
	return u.String(), p
}
