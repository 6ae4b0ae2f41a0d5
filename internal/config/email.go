package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Email configures sending (SMTP) and when owners are emailed.
type Email struct {
	// SMTPURL is smtp://user:pass@host:port?tls=mandatory|starttls|smtps|none;
	// empty turns email off.
	SMTPURL string `env:"SMTP_URL"`
	From    string `env:"MAIL_FROM"`
	ReplyTo string `env:"MAIL_REPLY_TO"`
	// Debounce: the first email waits until an owner's cars have stayed
	// broken this long, so a connection that recovers by itself sends nothing.
	Debounce time.Duration `env:"EMAIL_DEBOUNCE" envDefault:"15m"`
	// Reminders are offsets from the first email.
	Reminders []time.Duration `env:"EMAIL_REMINDERS" envSeparator:"," envDefault:"48h,168h"`
	// Max caps the emails of one episode (first email and reminders).
	Max int `env:"EMAIL_MAX" envDefault:"3"`
	// MinInterval is the per-owner frequency cap between automatic emails.
	MinInterval time.Duration `env:"EMAIL_MIN_INTERVAL" envDefault:"20h"`
	// QuietHoursRaw is "21:00-08:00" in the owner's time zone, or "off".
	QuietHoursRaw string `env:"EMAIL_QUIET_HOURS" envDefault:"21:00-08:00"`
	// TimeZone is used for owners without a (valid) time zone of their own.
	TimeZone string `env:"EMAIL_TIME_ZONE" envDefault:"UTC"`
	// UnknownRetryAfter: an attempt whose outcome is unknown (the server
	// did not answer the end of the message in time, or we crashed before
	// recording its answer) is not tried again before this long.
	UnknownRetryAfter time.Duration `env:"EMAIL_UNKNOWN_RETRY_AFTER" envDefault:"30m"`

	// SMTP and QuietHours are parsed from the raw values by Load.
	SMTP       SMTP       `env:"-"`
	QuietHours QuietHours `env:"-"`
}

// Enabled reports whether email is configured.
func (e Email) Enabled() bool { return e.SMTPURL != "" }

// TLS policies of SMTP_URL.
const (
	TLSMandatory = "mandatory" // STARTTLS, refuse to send without it
	TLSStartTLS  = "starttls"  // STARTTLS when offered (opportunistic)
	TLSImplicit  = "smtps"     // TLS from the first byte (port 465)
	TLSNone      = "none"      // plain text: loopback only
)

// SMTP is a parsed SMTP_URL.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      string
}

// QuietHours is a daily window, in minutes after local midnight, in which no
// automatic email goes out. Start > End wraps past midnight.
type QuietHours struct {
	Off        bool
	Start, End int
}

// Holds reports whether the wall-clock time of local falls in the window.
func (q QuietHours) Holds(local time.Time) bool {
	if q.Off {
		return false
	}
	m := local.Hour()*60 + local.Minute()
	if q.Start < q.End {
		return m >= q.Start && m < q.End
	}
	return m >= q.Start || m < q.End
}

// ParseSMTPURL reads SMTP_URL. Plain-text SMTP is only allowed to a loopback
// address, where nothing can listen in (and is the default there);
// everything else needs TLS unless told otherwise.
func ParseSMTPURL(raw string) (SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") {
		return SMTP{}, fmt.Errorf("not an smtp:// or smtps:// URL with a host")
	}
	s := SMTP{Host: u.Hostname(), TLS: u.Query().Get("tls")}
	if s.TLS == "" {
		switch {
		case u.Scheme == "smtps":
			s.TLS = TLSImplicit
		case isLoopback(s.Host):
			s.TLS = TLSNone // a relay on this machine, usually without a certificate
		default:
			s.TLS = TLSMandatory
		}
	}
	switch s.TLS {
	case TLSMandatory, TLSStartTLS:
		s.Port = 587
	case TLSImplicit:
		s.Port = 465
	case TLSNone:
		s.Port = 25
		if !isLoopback(s.Host) {
			return SMTP{}, fmt.Errorf("tls=none is only allowed for a loopback host; use tls=mandatory or smtps")
		}
	default:
		return SMTP{}, fmt.Errorf("tls=%q: use mandatory, starttls, smtps or none", s.TLS)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTP{}, fmt.Errorf("bad port %q", p)
		}
		s.Port = n
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseQuietHours reads "HH:MM-HH:MM" or "off".
func ParseQuietHours(raw string) (QuietHours, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.EqualFold(raw, "off") {
		return QuietHours{Off: true}, nil
	}
	a, b, ok := strings.Cut(raw, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("no dash")
	}
	clock := func(s string) (int, error) {
		t, err := time.Parse("15:04", strings.TrimSpace(s))
		if err != nil {
			return 0, err
		}
		return t.Hour()*60 + t.Minute(), nil
	}
	start, err := clock(a)
	if err != nil {
		return QuietHours{}, err
	}
	end, err := clock(b)
	if err != nil {
		return QuietHours{}, err
	}
	if start == end {
		return QuietHours{Off: true}, nil
	}
	return QuietHours{Start: start, End: end}, nil
}

func (e *Email) validate() error {
	if e.SMTPURL != "" {
		s, err := ParseSMTPURL(e.SMTPURL)
		if err != nil {
			return &Error{"SMTP_URL", "smtp://user:pass@host:587?tls=mandatory (or tls=starttls, smtps://host:465; tls=none only for a loopback host): " + err.Error()}
		}
		e.SMTP = s
		if a, err := mail.ParseAddress(e.From); err != nil || a.Address == "" {
			return &Error{"MAIL_FROM", `the sender address, such as "ChargeWell <noreply@example.com>" (required with SMTP_URL)`}
		}
	}
	if e.ReplyTo != "" {
		if _, err := mail.ParseAddress(e.ReplyTo); err != nil {
			return &Error{"MAIL_REPLY_TO", "an email address such as support@example.com"}
		}
	}
	if e.Debounce < 0 || e.Debounce > 24*time.Hour {
		return &Error{"EMAIL_DEBOUNCE", "a duration from 0s to 24h, such as 15m"}
	}
	if e.Max < 1 || e.Max > 10 {
		return &Error{"EMAIL_MAX", "a whole number from 1 to 10"}
	}
	prev := time.Duration(0)
	for _, r := range e.Reminders {
		if r <= prev {
			return &Error{"EMAIL_REMINDERS", "comma-separated, increasing durations after the first email, such as 48h,168h"}
		}
		prev = r
	}
	if e.MinInterval < 0 {
		return &Error{"EMAIL_MIN_INTERVAL", "a duration such as 20h (0s turns the cap off)"}
	}
	q, err := ParseQuietHours(e.QuietHoursRaw)
	if err != nil {
		return &Error{"EMAIL_QUIET_HOURS", `"21:00-08:00" (24-hour clock, owner's time zone) or "off"`}
	}
	e.QuietHours = q
	if _, err := time.LoadLocation(e.TimeZone); err != nil || e.TimeZone == "" {
		return &Error{"EMAIL_TIME_ZONE", "an IANA time zone such as Europe/Berlin or UTC"}
	}
	return nil
}

func (e Email) redactedURL() string {
	u, err := url.Parse(e.SMTPURL)
	if err != nil || u.User == nil {
		return e.SMTPURL
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	return u.String()
}

func (e Email) reminders() string {
	var rem []string
	for _, r := range e.Reminders {
		rem = append(rem, r.String())
	}
	return strings.Join(rem, ",")
}
