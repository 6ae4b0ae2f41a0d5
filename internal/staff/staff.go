// Package staff holds the support team's accounts and console sessions:
// argon2id passwords set through one-time links, sign-in with a rate limit
// and a lockout, sessions that end after inactivity, and "view as owner"
// (impersonation), each step written to the audit log.
package staff

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/internal/probe"
	"reconnect/internal/store"
	"reconnect/internal/textcheck"
	"reconnect/web/paths"
)

// Config sets the policies. Zero values take the defaults of Defaults.
type Config struct {
	// BaseURL is where password links point (PUBLIC_BASE_URL).
	BaseURL string
	// PasswordLinkTTL is how long a set-password link works.
	PasswordLinkTTL time.Duration
	// IdleTimeout ends a console session nobody has used for that long.
	IdleTimeout time.Duration
	// SessionMaxAge ends a console session however busy it is.
	SessionMaxAge time.Duration
	// MaxFailures wrong passwords from one address within LockFor slow
	// that address (every sign-in from it is refused for the rest of the
	// window), whichever accounts they named; AccountFailures (four times
	// MaxFailures unless set) against one account from any addresses lock
	// the account for LockFor. Apart, so that one attacker cannot lock the
	// team out, and many cannot guess on at one account.
	MaxFailures     int
	AccountFailures int
	LockFor         time.Duration
	// LoginsPerIP bounds sign-in attempts from one address per LoginWindow,
	// across all accounts (password spraying, and argon2's cost).
	LoginsPerIP int
	LoginWindow time.Duration
	// ImpersonationTTL is how long "view as owner" lasts.
	ImpersonationTTL time.Duration
	// Hash tunes argon2id; tests lower it.
	Hash *argon2id.Params
	// Compare checks a password against a hash (argon2id's); tests count
	// the calls.
	Compare func(password, hash string) (bool, error)
}

// Defaults are the production policies.
var Defaults = Config{
	PasswordLinkTTL: 72 * time.Hour, IdleTimeout: 30 * time.Minute, SessionMaxAge: 12 * time.Hour,
	MaxFailures: 5, LockFor: 15 * time.Minute, LoginsPerIP: 30, LoginWindow: 10 * time.Minute,
	ImpersonationTTL: 30 * time.Minute,
	// 64 MiB, two passes, two lanes: above OWASP's floor and about a
	// tenth of a second on a small server.
	Hash: &argon2id.Params{Memory: 64 * 1024, Iterations: 2, Parallelism: 2, SaltLength: 16, KeyLength: 32},
}

func (c Config) withDefaults() Config {
	d := Defaults
	if c.PasswordLinkTTL <= 0 {
		c.PasswordLinkTTL = d.PasswordLinkTTL
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.SessionMaxAge <= 0 {
		c.SessionMaxAge = d.SessionMaxAge
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = d.MaxFailures
	}
	if c.AccountFailures <= 0 {
		c.AccountFailures = 4 * c.MaxFailures
	}
	if c.LockFor <= 0 {
		c.LockFor = d.LockFor
	}
	if c.Compare == nil {
		c.Compare = argon2id.ComparePasswordAndHash
	}
	if c.LoginsPerIP <= 0 {
		c.LoginsPerIP = d.LoginsPerIP
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = d.LoginWindow
	}
	if c.ImpersonationTTL <= 0 {
		c.ImpersonationTTL = d.ImpersonationTTL
	}
	if c.Hash == nil {
		c.Hash = d.Hash
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c
}

// Errors callers map to pages.
var (
	// ErrBadCredentials is every refusal that names an account: unknown,
	// wrong password, locked, disabled, no password yet. One error, one
	// wording and the same work for all, so that neither the answer nor its
	// timing tells which.
	ErrBadCredentials = errors.New("staff: wrong email or password")
	ErrRateLimited    = errors.New("staff: too many sign-in attempts")
	ErrLinkInvalid    = errors.New("staff: the password link is unknown, used or expired")
	ErrNoSession      = errors.New("staff: not signed in")
	ErrBadInput       = errors.New("staff: invalid input")
	ErrExists         = errors.New("staff: a staff member with that email exists")
	// ErrImpersonationOver: the impersonation ran out or was ended.
	ErrImpersonationOver = errors.New("staff: impersonation is over")
)

// InputError names the field that is wrong, for the form.
type InputError struct {
	Field   string
	Message string
}

func (e *InputError) Error() string { return "staff: " + e.Field + ": " + e.Message }
func (e *InputError) Unwrap() error { return ErrBadInput }

// Service runs the accounts, sessions and impersonations.
type Service struct {
	store *store.Store
	audit *audit.Log
	cfg   Config

	dummyOnce sync.Once
	dummy     string
}

// New returns the service.
func New(st *store.Store, log *audit.Log, cfg Config) *Service {
	return &Service{store: st, audit: log, cfg: cfg.withDefaults()}
}

// Config is the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Link is a one-time set-password link: URL holds the only copy of the token.
type Link struct {
	URL       string
	ExpiresAt time.Time
}

// PasswordPath is where set-password links point.
const PasswordPath = paths.ConsolePasswordPrefix

// MinPasswordLength follows NIST 800-63B for passwords that are not the
// only factor an attacker needs to guess online (we lock out).
const MinPasswordLength = 12

const maxPasswordLength = 256

// textInput words a textcheck refusal for the form.
func textInput(err error) error {
	var te *textcheck.Error
	if errors.As(err, &te) {
		return &InputError{te.Field, "This " + te.Message + "."}
	}
	return err
}

func validEmail(email string) bool {
	a, err := mail.ParseAddress(email)
	return err == nil && a.Address == email && !strings.ContainsAny(email, " \t\r\n")
}

// Create adds a staff member and returns a link for them to set a password.
func (s *Service) Create(ctx context.Context, by audit.Actor, email, name, role string) (store.Staff, Link, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := textInput(textcheck.Line("email", email, textcheck.Email)); err != nil {
		return store.Staff{}, Link{}, err
	}
	if !validEmail(email) {
		return store.Staff{}, Link{}, &InputError{"email", "Enter an email address such as name@example.com."}
	}
	if err := textInput(textcheck.Line("name", strings.TrimSpace(name), textcheck.PersonName)); err != nil {
		return store.Staff{}, Link{}, err
	}
	if !store.ValidRole(role) {
		return store.Staff{}, Link{}, &InputError{"role", `Choose "agent" or "admin".`}
	}
	var st store.Staff
	var link Link
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		st, err = tx.CreateStaff(ctx, store.Staff{Email: email, Name: strings.TrimSpace(name), Role: role})
		if errors.Is(err, store.ErrConflict) {
			return ErrExists
		}
		if err != nil {
			return err
		}
		if link, err = s.mintLink(ctx, tx, st.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Actor: by, Action: model.AuditStaffCreated, Detail: fmt.Sprintf("%s (%s)", email, role)})
	})
	return st, link, err
}

// NewPasswordLink replaces a staff member's password link, for a forgotten
// password; the current password keeps working until the link is used.
func (s *Service) NewPasswordLink(ctx context.Context, by audit.Actor, staffID int64) (Link, error) {
	var link Link
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		st, err := tx.StaffByID(ctx, staffID)
		if err != nil {
			return err
		}
		if link, err = s.mintLink(ctx, tx, staffID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Actor: by, Action: model.AuditStaffPasswordLink, Detail: st.Email})
	})
	return link, err
}

func (s *Service) mintLink(ctx context.Context, tx *store.Store, staffID int64) (Link, error) {
	token := store.NewSecret("")
	exp := tx.Now().Add(s.cfg.PasswordLinkTTL)
	if err := tx.SetStaffPasswordToken(ctx, staffID, store.HashSecret(token), exp); err != nil {
		return Link{}, err
	}
	return Link{URL: s.cfg.BaseURL + paths.ConsolePassword(token), ExpiresAt: exp}, nil
}

// CheckPasswordLink finds whom a link is for without using it up, so that a
// mail scanner opening the link changes nothing.
func (s *Service) CheckPasswordLink(ctx context.Context, token string) (store.Staff, error) {
	if len(token) < 32 || len(token) > 128 {
		return store.Staff{}, ErrLinkInvalid
	}
	st, err := s.store.StaffByPasswordToken(ctx, store.HashSecret(token))
	if errors.Is(err, store.ErrNotFound) {
		return store.Staff{}, ErrLinkInvalid
	}
	if err != nil {
		return store.Staff{}, err
	}
	if st.DisabledAt != nil || st.PasswordTokenExpires == nil || !s.store.Now().Before(*st.PasswordTokenExpires) {
		return store.Staff{}, ErrLinkInvalid
	}
	return st, nil
}

// CheckPassword applies the password rules.
func CheckPassword(pw, confirm, email string) error {
	switch n := utf8.RuneCountInString(pw); {
	case n < MinPasswordLength:
		return &InputError{"password", fmt.Sprintf("Use at least %d characters.", MinPasswordLength)}
	case len(pw) > maxPasswordLength:
		return &InputError{"password", fmt.Sprintf("Use at most %d characters.", maxPasswordLength)}
	case strings.EqualFold(pw, email):
		return &InputError{"password", "Do not use your email address as the password."}
	case pw != confirm:
		return &InputError{"confirm", "The two passwords differ."}
	}
	return nil
}

// SetPassword uses a link to set the password.
func (s *Service) SetPassword(ctx context.Context, by audit.Actor, token, pw, confirm string) (store.Staff, error) {
	st, err := s.CheckPasswordLink(ctx, token)
	if err != nil {
		return store.Staff{}, err
	}
	if err := CheckPassword(pw, confirm, st.Email); err != nil {
		return store.Staff{}, err
	}
	hash, err := argon2id.CreateHash(pw, s.cfg.Hash)
	if err != nil {
		return store.Staff{}, fmt.Errorf("staff: hash password: %w", err)
	}
	by.StaffID, by.StaffEmail = st.ID, st.Email
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SetStaffPassword(ctx, st.ID, hash); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Actor: by, Action: model.AuditStaffPasswordSet})
	})
	return st, err
}

// dummyHash is compared against when there is no real hash, so that an
// unknown email takes as long to refuse as a wrong password.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		s.dummy, _ = argon2id.CreateHash(store.NewSecret(""), s.cfg.Hash)
	})
	return s.dummy
}

// Session is a signed-in console browser: the staff member (read afresh on
// every request, so a role change or a disabled account counts at once) and
// the session row.
type Session struct {
	Staff   store.Staff
	Session store.StaffSession
}

// Actor names the session's staff member for the audit log.
func (cur Session) Actor(ip, ua string) audit.Actor {
	return audit.Actor{StaffID: cur.Staff.ID, StaffEmail: cur.Staff.Email, IP: ip, UserAgent: ua}
}

// IsAdmin reports whether the staff member is an admin.
func (cur Session) IsAdmin() bool { return cur.Staff.Role == store.RoleAdmin }

// Login checks a password and opens a session; token goes in the cookie.
//
// An address with too many attempts or wrong passwords is refused before
// anything else (ErrRateLimited, which says nothing about any account).
// Otherwise every refusal is ErrBadCredentials after the same statements
// and exactly one password-hash comparison, against the account's hash or
// a dummy one.
func (s *Service) Login(ctx context.Context, from audit.Actor, email, password string) (cur Session, token string, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	from.StaffEmail = email
	ok, err := s.store.Hit(ctx, "staff-login-ip:"+from.IP, s.cfg.LoginWindow, s.cfg.LoginsPerIP)
	if err != nil {
		return Session{}, "", err
	}
	failed, err := s.store.Hits(ctx, failedFromBucket(from.IP), s.cfg.LockFor)
	if err != nil {
		return Session{}, "", err
	}
	if !ok || failed >= s.cfg.MaxFailures {
		detail := "rate limited"
		if failed >= s.cfg.MaxFailures {
			detail = fmt.Sprintf("address slowed: %d wrong passwords from it", failed)
		}
		if err := s.audit.Record(ctx, nil, audit.Entry{Actor: from, Action: model.AuditStaffLoginFailed, Detail: detail}); err != nil {
			return Session{}, "", err
		}
		return Session{}, "", ErrRateLimited
	}
	if len(password) > maxPasswordLength {
		password = password[:maxPasswordLength]
	}
	st, err := s.store.StaffByEmail(ctx, email)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Session{}, "", err
	}
	hash := s.dummyHash()
	if known && st.PasswordHash != "" {
		hash = st.PasswordHash
	}
	match, err := s.cfg.Compare(password, hash)
	if err != nil {
		return Session{}, "", fmt.Errorf("staff: compare password: %w", err)
	}
	now := s.store.Now()
	var why string
	switch {
	case !known:
		why = "unknown account"
	case st.DisabledAt != nil || st.PasswordHash == "":
		why = "account disabled or without a password"
	case st.LockedUntil != nil && now.Before(*st.LockedUntil):
		// Locked means locked: the right password does not open it either.
		why = "account locked until " + st.LockedUntil.UTC().Format(time.RFC3339)
	case !match:
		why = "wrong password"
	}
	if known {
		from.StaffID = st.ID
	}
	if why != "" {
		return Session{}, "", s.refuse(ctx, from, email, why)
	}
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		cur, token, err = s.openSession(ctx, tx, st, from, "")
		return err
	})
	if err != nil {
		return Session{}, "", err
	}
	return cur, token, nil
}

// failedFromBucket counts wrong passwords from one address.
func failedFromBucket(ip string) string { return "staff-login-failed-ip:" + ip }

// refuse counts a failed sign-in against the address and the account and
// audits it, by the same statements whether or not the account exists (the
// account's count is keyed by the email asked for).
func (s *Service) refuse(ctx context.Context, from audit.Actor, email, why string) error {
	if _, err := s.store.Hit(ctx, failedFromBucket(from.IP), s.cfg.LockFor, s.cfg.MaxFailures); err != nil {
		return err
	}
	ok, err := s.store.Hit(ctx, "staff-login-failed-account:"+email, s.cfg.LockFor, s.cfg.AccountFailures-1)
	if err != nil {
		return err
	}
	if !ok {
		until := s.store.Now().Add(s.cfg.LockFor)
		if err := s.store.LockStaffByEmail(ctx, email, until); err != nil {
			return err
		}
		detail := fmt.Sprintf("%d or more wrong passwords within %s; locked until %s", s.cfg.AccountFailures, s.cfg.LockFor, until.UTC().Format(time.RFC3339))
		if err := s.audit.Record(ctx, nil, audit.Entry{Actor: from, Action: model.AuditStaffLocked, Detail: detail}); err != nil {
			return err
		}
	}
	if err := s.audit.Record(ctx, nil, audit.Entry{Actor: from, Action: model.AuditStaffLoginFailed, Detail: why}); err != nil {
		return err
	}
	return ErrBadCredentials
}

// Resume finds the session behind a cookie's token and records the
// activity. ErrNoSession when it is unknown, ended, idle too long, too old,
// or its staff member is disabled.
func (s *Service) Resume(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	ss, err := s.store.StaffSessionByTokenHash(ctx, store.HashSecret(token))
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	now := s.store.Now()
	if ss.EndedAt != nil || !now.Before(ss.ExpiresAt) {
		return Session{}, ErrNoSession
	}
	st, err := s.store.StaffByID(ctx, ss.StaffID)
	if err != nil {
		return Session{}, err
	}
	cur := Session{Staff: st, Session: ss}
	if st.DisabledAt != nil || now.Sub(ss.LastSeenAt) >= s.cfg.IdleTimeout {
		if err := s.end(ctx, cur, audit.Actor{StaffID: st.ID, StaffEmail: st.Email}, "inactivity"); err != nil {
			return Session{}, err
		}
		return Session{}, ErrNoSession
	}
	// Activity is written at most every tenth of the timeout, so a busy
	// console does not write on every click.
	// A probe (HEAD) is not activity: a monitor must not keep a session alive.
	if now.Sub(ss.LastSeenAt) >= s.cfg.IdleTimeout/10 && !probe.Is(ctx) {
		if err := s.store.TouchStaffSession(ctx, ss.ID); err != nil {
			return Session{}, err
		}
		cur.Session.LastSeenAt = now
	}
	return cur, nil
}

// Logout ends the session and any impersonation it holds.
func (s *Service) Logout(ctx context.Context, cur Session, by audit.Actor) error {
	return s.end(ctx, cur, by, "")
}

// end closes a session; why is empty for a logout, or says what ended it.
func (s *Service) end(ctx context.Context, cur Session, by audit.Actor, why string) error {
	return s.store.Tx(ctx, func(tx *store.Store) error {
		ended, err := tx.EndStaffSession(ctx, cur.Session.ID)
		if err != nil || !ended {
			return err
		}
		im, err := tx.OpenImpersonation(ctx, cur.Session.ID)
		switch {
		case err == nil:
			reason := store.EndedByLogout
			if im.ExpiresAt.Before(tx.Now()) {
				reason = store.EndedByExpiry
			}
			if err := s.endImpersonation(ctx, tx, im, by, reason); err != nil {
				return err
			}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if why == "" {
			return s.audit.Record(ctx, tx, audit.Entry{Actor: by, Action: model.AuditStaffLogout})
		}
		return s.audit.Record(ctx, tx, audit.Entry{Actor: by, Action: model.AuditStaffLogout, Detail: "session ended after " + why})
	})
}
