package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/internal/staff"
	"reconnect/internal/store"
)

// startProxy runs a reverse proxy in front of base, the way a load
// balancer does: it appends its peer's address to X-Forwarded-For. It
// listens, and reaches the app, from 127.0.0.1.
func startProxy(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httputil.NewSingleHostReverseProxy(u))
	t.Cleanup(srv.Close)
	return srv.URL
}

// forwardedFor sets an X-Forwarded-For of the client's own choosing.
type forwardedFor struct {
	next  http.RoundTripper
	claim string
}

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.claim)
	return f.next.RoundTrip(r)
}

// browserFrom is a browser whose connections leave from ip (any address
// in 127.0.0.0/8 is the loopback), so that each test client has an
// address of its own; claim, when set, is an X-Forwarded-For it sends.
func browserFrom(t *testing.T, base, ip, claim string) *browser {
	b := newBrowser(t, base)
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	b.c.Transport = tr
	if claim != "" {
		b.c.Transport = forwardedFor{next: tr, claim: claim}
	}
	return b
}

// signInAs posts the console's sign-in form and returns the status.
func signInAs(b *browser, email, password string) int {
	tok := b.csrf("/console/login")
	res, _ := b.post("/console/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}})
	return res.StatusCode
}

// auditIPs lists the addresses of the audit entries of one action, newest first.
func auditIPs(t *testing.T, st *store.Store, action model.AuditAction) []string {
	t.Helper()
	es, err := st.AuditEntries(context.Background(), store.AuditFilter{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.IP)
	}
	return out
}

func newStaffMember(t *testing.T, st *store.Store, base, email string) {
	t.Helper()
	ctx := context.Background()
	svc := staff.New(st, audit.New(st), staff.Config{BaseURL: base})
	_, link, err := svc.Create(ctx, audit.Actor{}, email, "", store.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	token := link.URL[strings.LastIndex(link.URL, "/")+1:]
	if _, err := svc.SetPassword(ctx, audit.Actor{}, token, staffPassword, staffPassword); err != nil {
		t.Fatal(err)
	}
}

// Behind a proxy listed in TRUSTED_PROXIES the client's own address counts:
// in the audit log, and for sign-in limits, so that three wrong passwords
// from A slow A and not staff member B signing in from C. An address a
// client claims for itself counts for nothing.
func TestClientAddressThroughATrustedProxy(t *testing.T) {
	a, base := startApp(t, "sqlite", map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32", "STAFF_LOGIN_MAX_FAILURES": "3"})
	newStaffMember(t, a.Store, base, "bea@support.example")
	proxy := startProxy(t, base)

	fromA := browserFrom(t, proxy, "127.0.0.2", "")
	for i := 0; i < 3; i++ {
		if got := signInAs(fromA, "bea@support.example", "not the password"); got != http.StatusUnauthorized {
			t.Fatalf("wrong password %d from A: %d", i+1, got)
		}
	}
	if got := signInAs(fromA, "bea@support.example", staffPassword); got != http.StatusTooManyRequests {
		t.Fatalf("A after three wrong passwords: %d, want 429", got)
	}
	if got := signInAs(browserFrom(t, proxy, "127.0.0.3", ""), "bea@support.example", staffPassword); got != http.StatusSeeOther {
		t.Fatalf("B from C: %d, want 303 (signed in)", got)
	}
	if got := auditIPs(t, a.Store, model.AuditStaffLogin); len(got) != 1 || got[0] != "127.0.0.3" {
		t.Fatalf("the sign-in was audited from %v, want C (127.0.0.3)", got)
	}
	for _, ip := range auditIPs(t, a.Store, model.AuditStaffLoginFailed) {
		if ip != "127.0.0.2" {
			t.Fatalf("a refusal was audited from %s, want A (127.0.0.2)", ip)
		}
	}

	// "Email me a new link" is limited per client too: A's ten requests
	// use up A's allowance, not C's.
	resend := func(b *browser, i int) int {
		tok := b.csrf("/")
		res, _ := b.post("/links/resend", url.Values{"_csrf": {tok}, "email": {fmt.Sprintf("owner%d@example.com", i)}})
		return res.StatusCode
	}
	for i := 0; i < 10; i++ {
		if got := resend(fromA, i); got != http.StatusOK {
			t.Fatalf("resend %d from A: %d", i+1, got)
		}
	}
	if got := resend(fromA, 10); got != http.StatusTooManyRequests {
		t.Fatalf("resend 11 from A: %d, want 429", got)
	}
	if got := resend(browserFrom(t, proxy, "127.0.0.3", ""), 11); got != http.StatusOK {
		t.Fatalf("resend from C after A's: %d, want 200", got)
	}

	// Spoofed: straight to the app from an address that is no proxy, and
	// through the proxy with a made-up header in front of what it adds.
	signInAs(browserFrom(t, base, "127.0.0.4", "198.51.100.7"), "bea@support.example", "not the password")
	signInAs(browserFrom(t, proxy, "127.0.0.5", "198.51.100.8"), "bea@support.example", "not the password")
	got := auditIPs(t, a.Store, model.AuditStaffLoginFailed)
	if len(got) < 2 || got[0] != "127.0.0.5" || got[1] != "127.0.0.4" {
		t.Fatalf("spoofed X-Forwarded-For: audited from %v, want 127.0.0.5 then 127.0.0.4", got[:min(len(got), 2)])
	}
}

// Without TRUSTED_PROXIES the socket's peer is the client, whatever
// X-Forwarded-For says: behind a proxy, every client is the proxy.
func TestClientAddressWithoutTrustedProxies(t *testing.T) {
	a, base := startApp(t, "sqlite", map[string]string{"STAFF_LOGIN_MAX_FAILURES": "3"})
	newStaffMember(t, a.Store, base, "bea@support.example")

	signInAs(browserFrom(t, base, "127.0.0.4", "198.51.100.7"), "bea@support.example", "not the password")
	if got := auditIPs(t, a.Store, model.AuditStaffLoginFailed); len(got) != 1 || got[0] != "127.0.0.4" {
		t.Fatalf("a client's own X-Forwarded-For was believed: %v", got)
	}
	proxy := startProxy(t, base)
	signInAs(browserFrom(t, proxy, "127.0.0.2", ""), "bea@support.example", "not the password")
	if got := auditIPs(t, a.Store, model.AuditStaffLoginFailed); got[0] != "127.0.0.1" {
		t.Fatalf("through an untrusted proxy: audited from %s, want the proxy (127.0.0.1)", got[0])
	}
}
