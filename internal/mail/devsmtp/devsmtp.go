// Package devsmtp is a small SMTP server that keeps what it receives in
// memory: the demo's outbox and the tests' inbox. Mail reaches it over real
// SMTP, so the whole sending path is exercised, TLS and AUTH included.
package devsmtp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received email.
type Message struct {
	ID         int
	From       string
	To         []string
	Raw        []byte
	ReceivedAt time.Time
	Parsed
}

// Options configure a server. The zero value listens on a free loopback
// port without TLS or AUTH.
type Options struct {
	Addr string
	// Username and Password, when set, make AUTH PLAIN mandatory.
	Username, Password string
	// TLSConfig, when set, offers STARTTLS.
	TLSConfig *tls.Config
	// Check decides each complete message before it is kept; an error (an
	// *smtp.SMTPError carries a reply code) refuses it.
	Check func(from string, to []string, raw []byte) error
	// Inbox keeps messages across a restart of the server; nil makes one.
	Inbox *Inbox
}

// Server is a running SMTP server.
type Server struct {
	Inbox *Inbox
	opts  Options
	srv   *smtp.Server
	ln    net.Listener
	done  chan struct{}
}

// Start listens and serves in the background until Close.
func Start(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Inbox == nil {
		opts.Inbox = NewInbox(500)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("devsmtp: listen on %s: %w", opts.Addr, err)
	}
	s := &Server{Inbox: opts.Inbox, opts: opts, ln: ln, done: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.MaxRecipients = 50
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	s.srv.TLSConfig = opts.TLSConfig
	s.srv.AllowInsecureAuth = opts.TLSConfig == nil
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is an SMTP_URL that reaches this server.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr()}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	if s.opts.TLSConfig == nil {
		u.RawQuery = "tls=none"
	}
	return u.String()
}

// Close stops listening and drops open connections; a message whose DATA
// was not complete is lost, as with any SMTP server.
func (s *Server) Close() error {
	// Our own listener too: Close may come before Serve has registered it.
	_ = s.ln.Close()
	err := s.srv.Close()
	<-s.done
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.opts.Username || pass != ss.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Username != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.opts.Check != nil {
		if err := ss.s.opts.Check(ss.from, ss.to, raw); err != nil {
			return err
		}
	}
	ss.s.Inbox.add(ss.from, ss.to, raw)
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// Inbox keeps received messages in memory, newest last, up to a limit.
type Inbox struct {
	mu      sync.Mutex
	msgs    []Message
	next    int
	max     int
	changed chan struct{}
}

// NewInbox keeps at most max messages (the oldest are dropped).
func NewInbox(max int) *Inbox {
	if max <= 0 {
		max = 500
	}
	return &Inbox{max: max, changed: make(chan struct{})}
}

func (in *Inbox) add(from string, to []string, raw []byte) {
	p, err := Parse(raw)
	if err != nil {
		p = Parsed{Text: string(raw)}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.next++
	in.msgs = append(in.msgs, Message{ID: in.next, From: from, To: append([]string(nil), to...), Raw: raw, ReceivedAt: time.Now().UTC(), Parsed: p})
	if len(in.msgs) > in.max {
		in.msgs = in.msgs[len(in.msgs)-in.max:]
	}
	close(in.changed)
	in.changed = make(chan struct{})
}

// Messages returns every kept message, oldest first.
func (in *Inbox) Messages() []Message {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Message(nil), in.msgs...)
}

// Get returns one message by id.
func (in *Inbox) Get(id int) (Message, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, m := range in.msgs {
		if m.ID == id {
			return m, true
		}
	}
	return Message{}, false
}

// To returns the messages addressed (in the envelope) to addr.
func (in *Inbox) To(addr string) []Message {
	var out []Message
	for _, m := range in.Messages() {
		for _, t := range m.To {
			if strings.EqualFold(t, addr) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// Wait blocks until ok accepts the inbox or ctx ends.
func (in *Inbox) Wait(ctx context.Context, ok func([]Message) bool) ([]Message, error) {
	for {
		in.mu.Lock()
		msgs := append([]Message(nil), in.msgs...)
		ch := in.changed
		in.mu.Unlock()
		if ok(msgs) {
			return msgs, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return msgs, fmt.Errorf("devsmtp: waiting for mail: %w", ctx.Err())
		}
	}
}

// SelfSignedTLS makes a certificate for 127.0.0.1 and localhost, and the
// client configuration that trusts it, for tests of the TLS policies.
func SelfSignedTLS() (server, client *tls.Config, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "devsmtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client, nil
}
