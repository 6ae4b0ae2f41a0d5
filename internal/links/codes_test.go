package links_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// shownWithCode mints a link as support shows it, and its short code.
func (w *world) shownWithCode() (links.Minted, string) {
	w.t.Helper()
	m := w.mint(links.Mint{Purpose: model.PurposeStaffShown, Source: model.SourceStaff, SourceRef: "sam@support.example"})
	code, exp, err := w.links.MintCode(w.ctx, nil, m.Link)
	if err != nil {
		w.t.Fatal(err)
	}
	if want := w.clock.Now().Add(links.CodeTTL); !exp.Equal(want) {
		w.t.Fatalf("code expires at %s, want %s", exp, want)
	}
	return m, code
}

func TestCodeAlphabetHasNoLookAlikes(t *testing.T) {
	for _, c := range "0O1IL" {
		if strings.ContainsRune(links.CodeAlphabet, c) {
			t.Errorf("the alphabet holds %q, which reads like another character", c)
		}
	}
	seen := map[string]bool{}
	for range 2000 {
		c := links.NewCode()
		if len(c) != links.CodeLength {
			t.Fatalf("code %q is not %d characters", c, links.CodeLength)
		}
		if n, ok := links.NormalizeCode(c); !ok || n != c {
			t.Fatalf("code %q does not read back (%q %v)", c, n, ok)
		}
		seen[c] = true
	}
	if len(seen) < 2000 {
		t.Fatalf("%d distinct codes out of 2000", len(seen))
	}
}

func TestNormalizeCode(t *testing.T) {
	for _, tc := range []struct {
		typed, want string
		ok          bool
	}{
		{"ABCD-2345", "ABCD2345", true},
		{" abcd 2345 ", "ABCD2345", true},
		{"abcd-23-45", "ABCD2345", true},
		{"ABCD-234", "", false},          // too short
		{"ABCD-23456", "", false},        // too long
		{"ABCD-0345", "", false},         // 0 is not in the alphabet
		{"ABCD-I345", "", false},         // nor I
		{"ABCD-2345<script>", "", false}, // nor anything else
		{"ÄBCD-2345", "", false},
	} {
		got, ok := links.NormalizeCode(tc.typed)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q, %v", tc.typed, got, ok, tc.want, tc.ok)
		}
	}
	if got := links.FormatCode("ABCD2345"); got != "ABCD-2345" {
		t.Errorf("FormatCode = %q", got)
	}
}

// A code opens the owner's link once, in any case and with a dash or
// without; a second use is refused, and so is the link it opened.
func TestCodeOpensTheLinkOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		m, code := w.shownWithCode()
		stored, err := w.store.LinkCodeByHash(w.ctx, store.HashSecret("link-code:"+code))
		if err != nil {
			t.Fatalf("the code is not stored by its hash: %v", err)
		}
		if strings.Contains(stored.CodeHash, code) {
			t.Fatal("the code is stored in clear")
		}
		r, err := w.links.OpenCode(w.ctx, strings.ToLower(links.FormatCode(code)))
		if err != nil || r.Status != links.Valid || r.Owner.ID != w.owner.ID || r.Link.ID != m.Link.ID {
			t.Fatalf("first use: %+v %v", r, err)
		}
		if n := len(w.opened()); n != 1 {
			t.Fatalf("%d link_opened events, want 1", n)
		}
		if r, err := w.links.OpenCode(w.ctx, code); err != nil || r.Status != links.Used {
			t.Fatalf("second use: %v %v, want Used", r.Status, err)
		}
		if r, err := w.links.Open(w.ctx, m.Token); err != nil || r.Status != links.Used {
			t.Fatalf("the link after its code: %v %v, want Used", r.Status, err)
		}
		if n := len(w.opened()); n != 1 {
			t.Fatalf("%d link_opened events after the refusals, want 1", n)
		}
	})
}

// The link used first leaves its code nothing to open.
func TestCodeAfterItsLinkWasUsed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		m, code := w.shownWithCode()
		if r, err := w.links.Open(w.ctx, m.Token); err != nil || r.Status != links.Valid {
			t.Fatalf("link: %v %v", r.Status, err)
		}
		if r, err := w.links.OpenCode(w.ctx, code); err != nil || r.Status != links.Used {
			t.Fatalf("code after the link: %v %v, want Used", r.Status, err)
		}
	})
}

// A code lives 15 minutes: a second before it still opens, at 15 minutes
// it has expired.
func TestCodeExpiresAfterFifteenMinutes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		_, late := w.shownWithCode()
		_, onTime := w.shownWithCode()
		w.clock.Set(t0.Add(links.CodeTTL - time.Second))
		if r, err := w.links.OpenCode(w.ctx, onTime); err != nil || r.Status != links.Valid {
			t.Fatalf("at 14:59: %v %v", r.Status, err)
		}
		w.clock.Set(t0.Add(links.CodeTTL))
		if r, err := w.links.OpenCode(w.ctx, late); err != nil || r.Status != links.Expired {
			t.Fatalf("at 15:00: %v %v, want Expired", r.Status, err)
		}
		if n := len(w.opened()); n != 1 {
			t.Fatalf("%d link_opened events, want 1", n)
		}
	})
}

// A wrong code (well formed or not) opens nothing and counts as a failure.
func TestWrongCodeOpensNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		_, code := w.shownWithCode()
		wrong := "ABCD2345"
		if wrong == code {
			wrong = "ABCD2346"
		}
		for _, typed := range []string{wrong, "nonsense", ""} {
			if r, err := w.links.OpenCode(w.ctx, typed); err != nil || r.Status != links.Unknown || r.Owner.ID != 0 {
				t.Fatalf("%q: %+v %v, want Unknown and no owner", typed, r, err)
			}
		}
		if n := len(w.opened()); n != 0 {
			t.Fatalf("%d link_opened events", n)
		}
		if n, err := w.store.Hits(w.ctx, "link_code_failures", time.Hour); err != nil || n != 3 {
			t.Fatalf("%d failures counted (%v), want 3", n, err)
		}
	})
}

// One address gets CodeAttemptsPerAddress tries per window, another is
// unaffected, and the window's end lets the first try again. Wrong codes
// from everyone together past CodeFailuresPerHour stop every address.
func TestCodeAttemptsAreLimited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		for i := range links.CodeAttemptsPerAddress {
			if err := w.links.CodeAttempt(w.ctx, "198.51.100.7"); err != nil {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
		}
		if err := w.links.CodeAttempt(w.ctx, "198.51.100.7"); !errors.Is(err, links.ErrTooManyCodeAttempts) {
			t.Fatalf("attempt %d: %v, want ErrTooManyCodeAttempts", links.CodeAttemptsPerAddress+1, err)
		}
		if err := w.links.CodeAttempt(w.ctx, "203.0.113.9"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		w.clock.Set(t0.Add(links.CodeAttemptWindow))
		if err := w.links.CodeAttempt(w.ctx, "198.51.100.7"); err != nil {
			t.Fatalf("after the window: %v", err)
		}

		// Everyone's wrong codes together.
		for range links.CodeFailuresPerHour {
			if _, err := w.store.Hit(w.ctx, "link_code_failures", time.Hour, links.CodeFailuresPerHour); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.links.CodeAttempt(w.ctx, "192.0.2.1"); !errors.Is(err, links.ErrTooManyCodeAttempts) {
			t.Fatalf("after %d wrong codes from everyone: %v, want ErrTooManyCodeAttempts", links.CodeFailuresPerHour, err)
		}
	})
}
