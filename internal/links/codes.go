package links

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"reconnect/internal/store"
)

// A short code is what support staff read out over the phone beside a
// fresh link: the owner types it at /code and it opens the link it belongs
// to. Eight characters of an alphabet without look-alikes (no 0, O, 1, I,
// L) are about 40 bits: far too many to guess within the attempt limits
// below while a code lives, and short enough to say twice.
const (
	CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	CodeLength   = 8
	// CodeTTL is how long a code works; it is used once.
	CodeTTL = 15 * time.Minute

	// CodeAttemptsPerAddress is how many codes one address may try in
	// CodeAttemptWindow, right or wrong.
	CodeAttemptsPerAddress = 10
	CodeAttemptWindow      = 15 * time.Minute
	// CodeFailuresPerHour bounds wrong codes from every address together,
	// so many addresses cannot share out a guessing run. Reaching it stops
	// codes for everyone until the hour ends (links still work): a guessing
	// run costs owners the phone shortcut for a while, never their page.
	CodeFailuresPerHour = 1000
)

// ErrTooManyCodeAttempts means the address (or everyone together) tried
// too many codes; the owner waits, or uses the link.
var ErrTooManyCodeAttempts = errors.New("links: too many code attempts")

// Rate-limit buckets of the code attempts.
const (
	codeAddressBucket = "link_code_ip:"
	codeFailureBucket = "link_code_failures"
)

// NewCode returns a fresh random code of CodeLength characters of
// CodeAlphabet, drawn without modulo bias.
func NewCode() string {
	const n = len(CodeAlphabet)
	limit := 256 - 256%n
	out := make([]byte, 0, CodeLength)
	buf := make([]byte, 16)
	for len(out) < CodeLength {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < CodeLength {
				out = append(out, CodeAlphabet[int(b)%n])
			}
		}
	}
	return string(out)
}

// FormatCode groups a code in two halves ("ABCD-EFGH") for reading out.
func FormatCode(code string) string {
	if len(code) != CodeLength {
		return code
	}
	return code[:CodeLength/2] + "-" + code[CodeLength/2:]
}

// NormalizeCode reads what an owner typed: any case, with spaces or dashes
// anywhere. ok is false when it cannot be a code.
func NormalizeCode(typed string) (code string, ok bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r < 128 && strings.IndexByte(CodeAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return "", false
		}
		if b.Len() > CodeLength {
			return "", false
		}
	}
	if b.Len() != CodeLength {
		return "", false
	}
	return b.String(), true
}

func hashCode(code string) string { return store.HashSecret("link-code:" + code) }

// MintCode makes a short code for a link in tx, living CodeTTL or until
// the link expires, whichever is first. The code is returned once; only
// its hash is stored.
func (s *Service) MintCode(ctx context.Context, tx *store.Store, l store.OwnerLink) (code string, expiresAt time.Time, err error) {
	if tx == nil {
		tx = s.store
	}
	code = NewCode()
	expiresAt = tx.Now().Add(CodeTTL)
	if l.ExpiresAt.Before(expiresAt) {
		expiresAt = l.ExpiresAt
	}
	_, err = tx.CreateLinkCode(ctx, store.LinkCode{LinkID: l.ID, CodeHash: hashCode(code), ExpiresAt: expiresAt})
	return code, expiresAt, err
}

// CodeAttempt counts one try of a code from addr and refuses with
// ErrTooManyCodeAttempts past CodeAttemptsPerAddress in the window, or
// while wrong codes from everyone together have reached
// CodeFailuresPerHour.
func (s *Service) CodeAttempt(ctx context.Context, addr string) error {
	failures, err := s.store.Hits(ctx, codeFailureBucket, time.Hour)
	if err != nil {
		return err
	}
	if failures >= CodeFailuresPerHour {
		return ErrTooManyCodeAttempts
	}
	ok, err := s.store.Hit(ctx, codeAddressBucket+addr, CodeAttemptWindow, CodeAttemptsPerAddress)
	if err != nil {
		return err
	}
	if !ok {
		return ErrTooManyCodeAttempts
	}
	return nil
}

// ResolveCode looks a typed code up without using it: Unknown for a code
// that is not one, Expired or Used for a code past its life, or else the
// status of the link it opens. A wrong code counts towards
// CodeFailuresPerHour.
func (s *Service) ResolveCode(ctx context.Context, typed string) (Resolved, store.LinkCode, error) {
	code, ok := NormalizeCode(typed)
	var c store.LinkCode
	err := store.ErrNotFound
	if ok {
		c, err = s.store.LinkCodeByHash(ctx, hashCode(code))
	}
	if errors.Is(err, store.ErrNotFound) {
		if _, err := s.store.Hit(ctx, codeFailureBucket, time.Hour, CodeFailuresPerHour); err != nil {
			return Resolved{}, c, err
		}
		return Resolved{Status: Unknown}, c, nil
	}
	if err != nil {
		return Resolved{}, c, err
	}
	l, err := s.store.LinkByID(ctx, c.LinkID)
	if err != nil {
		return Resolved{}, c, err
	}
	r, err := s.resolveLink(ctx, l)
	if err != nil {
		return r, c, err
	}
	switch {
	case c.UsedAt != nil:
		r.Status = Used
	case !s.store.Now().Before(c.ExpiresAt):
		r.Status = Expired
	}
	return r, c, nil
}

// OpenCode uses a typed code, once, and the link it belongs to, as Open
// does for the link's token. The caller opens the owner session only when
// the status is usable.
func (s *Service) OpenCode(ctx context.Context, typed string) (Resolved, error) {
	r, c, err := s.ResolveCode(ctx, typed)
	if err != nil || !r.Status.Usable() {
		return r, err
	}
	ok, err := s.store.UseLinkCode(ctx, c.ID)
	if err != nil {
		return Resolved{}, err
	}
	if !ok {
		r.Status = Used
		return r, nil
	}
	return s.open(ctx, r)
}
