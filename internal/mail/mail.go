// Package mail sends email over SMTP (go-mail) behind a small Sender
// interface, so the rest of the product composes messages and never speaks
// SMTP itself; tests use the Recorder.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"reconnect/internal/config"
)

// Message is one email, already rendered.
type Message struct {
	To     string
	ToName string
	// Subject, Text and HTML are final, translated copy.
	Subject string
	Text    string
	HTML    string
	// MessageID is without angle brackets; every attempt of one email
	// carries the same one.
	MessageID string
	Date      time.Time
	// Unsubscribe is the one-click (RFC 8058) URL; empty for none.
	Unsubscribe string
}

// Sender delivers a message. An error that IsPermanent will fail again on
// every retry; any other error may succeed later.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Error is a failed delivery with the server's reply code (0 when the
// server never answered, e.g. it was down).
type Error struct {
	Code      int
	Permanent bool
	// Unknown: the whole message was handed over but the server's answer to
	// it never came (a timeout or a dropped connection at the end of DATA),
	// so it may have been accepted.
	Unknown bool
	Err     error
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("mail: smtp %d: %v", e.Code, e.Err)
	}
	return fmt.Sprintf("mail: %v", e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a refusal that retrying cannot fix: an
// SMTP 5xx reply (unknown mailbox, rejected content).
func IsPermanent(err error) bool {
	var me *Error
	return errors.As(err, &me) && me.Permanent
}

// IsUnknown reports whether the server may have accepted the message
// despite err: sending it again could deliver it twice.
func IsUnknown(err error) bool {
	var me *Error
	return errors.As(err, &me) && me.Unknown
}

// Code returns the SMTP reply code of a failed delivery, or 0.
func Code(err error) int {
	var me *Error
	if errors.As(err, &me) {
		return me.Code
	}
	return 0
}

// Settings is where and as whom to send.
type Settings struct {
	SMTP    config.SMTP
	From    string
	ReplyTo string
	// Timeout bounds each connection (dial and every command).
	Timeout time.Duration
	// TLSConfig overrides the TLS client settings (tests trust their own CA).
	TLSConfig *tls.Config
}

// SMTP sends each message on its own connection: mail is rare and spread
// out, and a fresh connection never inherits a half-broken session.
type SMTP struct {
	s    Settings
	from *mail.Address
}

// NewSMTP checks the settings and returns a sender.
func NewSMTP(s Settings) (*SMTP, error) {
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return nil, fmt.Errorf("mail: from address: %w", err)
	}
	if s.ReplyTo != "" {
		if _, err := mail.ParseAddress(s.ReplyTo); err != nil {
			return nil, fmt.Errorf("mail: reply-to address: %w", err)
		}
	}
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Second
	}
	return &SMTP{s: s, from: from}, nil
}

func (c *SMTP) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(c.s.SMTP.Port), gomail.WithTimeout(c.s.Timeout)}
	switch c.s.SMTP.TLS {
	case config.TLSMandatory:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case config.TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case config.TLSImplicit:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	tc := c.s.TLSConfig
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tc = tc.Clone()
	if tc.ServerName == "" {
		tc.ServerName = c.s.SMTP.Host
	}
	opts = append(opts, gomail.WithTLSConfig(tc))
	if c.s.SMTP.Username != "" {
		// Over TLS the strongest mechanism the server offers is chosen;
		// go-mail will not discover PLAIN on a plain-text (loopback) link.
		auth := gomail.SMTPAuthAutoDiscover
		if c.s.SMTP.TLS == config.TLSNone {
			auth = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(c.s.SMTP.Username), gomail.WithPassword(c.s.SMTP.Password))
	}
	return gomail.NewClient(c.s.SMTP.Host, opts...)
}

// Send delivers m. go-mail's errors are mapped onto Error so callers can
// tell a refusal (5xx) from a server that is down or busy.
func (c *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := Build(m, c.from.String(), c.s.ReplyTo)
	if err != nil {
		return &Error{Permanent: true, Err: err}
	}
	cl, err := c.client()
	if err != nil {
		return &Error{Permanent: true, Err: err}
	}
	if err := cl.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		// Only the end of DATA can leave the outcome open: before it the
		// server has no complete message to deliver.
		unknown := code == 0 && se.Reason == gomail.ErrSMTPDataClose
		return &Error{Code: code, Permanent: code >= 500 && code < 600, Unknown: unknown, Err: err}
	}
	// A refusal at connection time (e.g. 554 in the greeting, 535 on AUTH)
	// is an operator's problem: retried like an outage until it is fixed.
	return &Error{Code: leadingCode(err.Error()), Err: err}
}

func leadingCode(s string) int {
	for _, p := range strings.Fields(s) {
		if len(p) >= 3 && (p[0] == '4' || p[0] == '5') && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' {
			if len(p) == 3 || p[3] == ' ' || p[3] == '-' {
				return int(p[0]-'0')*100 + int(p[1]-'0')*10 + int(p[2]-'0')
			}
		}
	}
	return 0
}

// Build turns m into a MIME message: multipart/alternative with the plain
// text first and HTML second (clients show the last part they understand).
func Build(m Message, from, replyTo string) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("mail: from: %w", err)
	}
	to := m.To
	if m.ToName != "" {
		to = (&mail.Address{Name: m.ToName, Address: m.To}).String()
	}
	if err := msg.To(to); err != nil {
		return nil, fmt.Errorf("mail: to %q: %w", m.To, err)
	}
	if replyTo != "" {
		if err := msg.ReplyTo(replyTo); err != nil {
			return nil, fmt.Errorf("mail: reply-to: %w", err)
		}
	}
	msg.Subject(m.Subject)
	if m.MessageID == "" {
		msg.SetMessageID()
	} else {
		msg.SetMessageIDWithValue(m.MessageID)
	}
	if m.Date.IsZero() {
		msg.SetDate()
	} else {
		msg.SetDateWithValue(m.Date)
	}
	msg.SetUserAgent("Reconnect")
	// Automatic mail: out-of-office replies to it help nobody.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	if m.Unsubscribe != "" {
		msg.SetListUnsubscribe(m.Unsubscribe)
		msg.SetListUnsubscribePost()
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}
