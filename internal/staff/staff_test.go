package staff_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"reconnect/internal/audit"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/staff"
	"reconnect/internal/store"
)

// clock is a settable time for the store and everything built on it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cheap keeps argon2id fast in tests; the format is the same.
var cheap = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

type fixture struct {
	st    *store.Store
	svc   *staff.Service
	clock *clock
	owner model.Owner
}

func setup(t *testing.T, db *database.DB, cfg staff.Config) fixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	st := store.New(db).WithClock(clk.now)
	cfg.BaseURL, cfg.Hash = "https://reconnect.example", cheap
	svc := staff.New(st, audit.New(st), cfg)
	o, err := st.UpsertOwner(context.Background(), store.OwnerInput{HostUserID: "u-1", Email: "alice@example.com", Name: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{st: st, svc: svc, clock: clk, owner: o}
}

var from = audit.Actor{IP: "203.0.113.7", UserAgent: "test-agent"}

const goodPassword = "correct horse battery staple"

// member creates a staff member with a password and returns their email.
func (f fixture) member(t *testing.T, email, role string) store.Staff {
	t.Helper()
	ctx := context.Background()
	st, link, err := f.svc.Create(ctx, audit.Actor{StaffEmail: "(test)"}, email, "", role)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(link.URL, "https://reconnect.example"+staff.PasswordPath)
	if _, err := f.svc.SetPassword(ctx, from, token, goodPassword, goodPassword); err != nil {
		t.Fatal(err)
	}
	return st
}

func actions(t *testing.T, st *store.Store) []string {
	t.Helper()
	es, err := st.AuditEntries(context.Background(), store.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(es) - 1; i >= 0; i-- {
		out = append(out, string(es[i].Action))
	}
	return out
}

func TestPasswordLinkSetsThePasswordOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db, staff.Config{PasswordLinkTTL: time.Hour})
		ctx := context.Background()
		st, link, err := f.svc.Create(ctx, audit.Actor{StaffEmail: "(test)"}, " Bob@Example.COM ", "Bob", store.RoleAgent)
		if err != nil {
			t.Fatal(err)
		}
		if st.Email != "bob@example.com" || !strings.HasPrefix(link.URL, "https://reconnect.example/console/password/") {
			t.Fatalf("created %+v with link %s", st, link.URL)
		}
		if _, _, err := f.svc.Create(ctx, audit.Actor{}, "bob@example.com", "", store.RoleAdmin); !errors.Is(err, staff.ErrExists) {
			t.Fatalf("second create: %v, want ErrExists", err)
		}
		var bad *staff.InputError
		if _, _, err := f.svc.Create(ctx, audit.Actor{}, "not an email", "", store.RoleAgent); !errors.As(err, &bad) || bad.Field != "email" {
			t.Fatalf("bad email: %v", err)
		}
		if _, _, err := f.svc.Create(ctx, audit.Actor{}, "c@example.com", "", "root"); !errors.As(err, &bad) || bad.Field != "role" {
			t.Fatalf("bad role: %v", err)
		}
		token := link.URL[strings.LastIndex(link.URL, "/")+1:]
		if who, err := f.svc.CheckPasswordLink(ctx, token); err != nil || who.ID != st.ID {
			t.Fatalf("check link: %+v %v", who, err)
		}
		if _, err := f.svc.SetPassword(ctx, from, token, "short", "short"); !errors.As(err, &bad) || bad.Field != "password" {
			t.Fatalf("short password: %v", err)
		}
		if _, err := f.svc.SetPassword(ctx, from, token, goodPassword, goodPassword+"!"); !errors.As(err, &bad) || bad.Field != "confirm" {
			t.Fatalf("mismatch: %v", err)
		}
		if _, err := f.svc.SetPassword(ctx, from, token, goodPassword, goodPassword); err != nil {
			t.Fatal(err)
		}
		got, _ := f.st.StaffByID(ctx, st.ID)
		if !strings.HasPrefix(got.PasswordHash, "$argon2id$") || strings.Contains(got.PasswordHash, goodPassword) {
			t.Fatalf("stored hash %q", got.PasswordHash)
		}
		if _, err := f.svc.SetPassword(ctx, from, token, goodPassword, goodPassword); !errors.Is(err, staff.ErrLinkInvalid) {
			t.Fatalf("link used twice: %v", err)
		}
		// An expired link is refused.
		l2, err := f.svc.NewPasswordLink(ctx, audit.Actor{}, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.add(time.Hour)
		if _, err := f.svc.CheckPasswordLink(ctx, l2.URL[strings.LastIndex(l2.URL, "/")+1:]); !errors.Is(err, staff.ErrLinkInvalid) {
			t.Fatalf("expired link: %v", err)
		}
		want := []string{string(model.AuditStaffCreated), string(model.AuditStaffPasswordSet), string(model.AuditStaffPasswordLink)}
		if got := actions(t, f.st); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("audit %v, want %v", got, want)
		}
	})
}

func addr(ip string) audit.Actor { return audit.Actor{IP: ip, UserAgent: "test-agent"} }

// Wrong passwords from one address slow that address, not the account:
// three from A against B, and B still signs in from C.
func TestWrongPasswordsSlowTheAddressNotTheAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db, staff.Config{MaxFailures: 3, LockFor: 15 * time.Minute})
		ctx := context.Background()
		f.member(t, "bea@example.com", store.RoleAgent)
		a, c := addr("203.0.113.1"), addr("203.0.113.3")
		for i := 0; i < 3; i++ {
			if _, _, err := f.svc.Login(ctx, a, "bea@example.com", "wrong password!"); !errors.Is(err, staff.ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		// A is slowed, whichever account it names, even with the right password.
		for _, email := range []string{"bea@example.com", "someone@example.com"} {
			if _, _, err := f.svc.Login(ctx, a, email, goodPassword); !errors.Is(err, staff.ErrRateLimited) {
				t.Fatalf("A after three failures, as %s: %v, want ErrRateLimited", email, err)
			}
		}
		cur, token, err := f.svc.Login(ctx, c, "bea@example.com", goodPassword)
		if err != nil || token == "" || cur.Staff.Email != "bea@example.com" {
			t.Fatalf("B from C: %v", err)
		}
		if st, _ := f.st.StaffByID(ctx, cur.Staff.ID); st.LockedUntil != nil {
			t.Fatalf("the account was locked: %+v", st)
		}
		// The window passes and A may try again.
		f.clock.add(15 * time.Minute)
		if _, _, err := f.svc.Login(ctx, a, "bea@example.com", goodPassword); err != nil {
			t.Fatalf("A after the window: %v", err)
		}
	})
}

// An account guessed at from many addresses is locked for everyone, the
// right password included, until the lock runs out.
func TestAnAccountUnderAttackFromManyAddressesIsLocked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db, staff.Config{MaxFailures: 3, AccountFailures: 6, LockFor: 15 * time.Minute})
		ctx := context.Background()
		f.member(t, "bea@example.com", store.RoleAgent)
		for i := 0; i < 6; i++ {
			from := addr(fmt.Sprintf("198.51.100.%d", i))
			if _, _, err := f.svc.Login(ctx, from, "bea@example.com", "wrong password!"); !errors.Is(err, staff.ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		if _, _, err := f.svc.Login(ctx, addr("192.0.2.50"), "bea@example.com", goodPassword); !errors.Is(err, staff.ErrBadCredentials) {
			t.Fatalf("the right password while locked: %v, want the one refusal", err)
		}
		if !slices.Contains(actions(t, f.st), string(model.AuditStaffLocked)) {
			t.Fatal("the lock is not in the audit log")
		}
		f.clock.add(15 * time.Minute)
		cur, _, err := f.svc.Login(ctx, addr("192.0.2.50"), "bea@example.com", goodPassword)
		if err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		if st, _ := f.st.StaffByID(ctx, cur.Staff.ID); st.LockedUntil != nil || st.LastLoginAt == nil {
			t.Fatalf("a good sign-in should clear the lock: %+v", st)
		}
	})
}

// Unknown, locked, disabled, password-less and wrong-password sign-ins
// are refused alike: the same error, exactly one password-hash comparison
// and the same database statements, so neither the answer nor the time it
// takes tells them apart.
func TestLoginRefusalsAreAlike(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		var compares atomic.Int64
		cfg := staff.Config{MaxFailures: 5, AccountFailures: 5, LockFor: time.Hour, Compare: func(pw, hash string) (bool, error) {
			compares.Add(1)
			return argon2id.ComparePasswordAndHash(pw, hash)
		}}
		f := setup(t, db, cfg)
		ctx := context.Background()
		f.member(t, "valid@example.com", store.RoleAgent)
		locked := f.member(t, "locked@example.com", store.RoleAgent)
		disabled := f.member(t, "disabled@example.com", store.RoleAgent)
		if _, _, err := f.svc.Create(ctx, audit.Actor{}, "nopassword@example.com", "", store.RoleAgent); err != nil {
			t.Fatal(err)
		}
		if err := f.st.LockStaffByEmail(ctx, locked.Email, f.clock.now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := f.st.SetStaffDisabled(ctx, disabled.ID, true); err != nil {
			t.Fatal(err)
		}
		// A first refusal makes the dummy hash; the cases below compare.
		_, _, _ = f.svc.Login(ctx, addr("192.0.2.1"), "warm@example.com", "x")

		var statements atomic.Int64
		count := func(*gorm.DB) { statements.Add(1) }
		cb := db.Gorm.Callback()
		for name, err := range map[string]error{
			"query":  cb.Query().After("gorm:query").Register("test:count_query", count),
			"create": cb.Create().After("gorm:create").Register("test:count_create", count),
			"update": cb.Update().After("gorm:update").Register("test:count_update", count),
			"delete": cb.Delete().After("gorm:delete").Register("test:count_delete", count),
			"row":    cb.Row().After("gorm:row").Register("test:count_row", count),
			"raw":    cb.Raw().After("gorm:raw").Register("test:count_raw", count),
		} {
			if err != nil {
				t.Fatalf("count %s: %v", name, err)
			}
		}
		type work struct{ compares, statements int64 }
		var first *work
		var firstName string
		for i, tc := range []struct{ name, email, password string }{
			{"unknown account", "nobody@example.com", goodPassword},
			{"wrong password", "valid@example.com", "wrong password!"},
			{"locked, right password", "locked@example.com", goodPassword},
			{"disabled, right password", "disabled@example.com", goodPassword},
			{"no password yet", "nopassword@example.com", goodPassword},
		} {
			compares.Store(0)
			statements.Store(0)
			_, _, err := f.svc.Login(ctx, addr(fmt.Sprintf("198.51.100.%d", 10+i)), tc.email, tc.password)
			if !errors.Is(err, staff.ErrBadCredentials) {
				t.Fatalf("%s: %v, want ErrBadCredentials", tc.name, err)
			}
			w := &work{compares.Load(), statements.Load()}
			if w.compares != 1 {
				t.Fatalf("%s: %d password comparisons, want 1", tc.name, w.compares)
			}
			if first == nil {
				first, firstName = w, tc.name
			} else if *w != *first {
				t.Fatalf("%s did %+v, %s did %+v", tc.name, *w, firstName, *first)
			}
		}
		t.Logf("each refusal: %+v", *first)
	})
}

func TestLoginIsRateLimitedPerAddress(t *testing.T) {
	f := setup(t, dbtest.Open(t, "sqlite"), staff.Config{LoginsPerIP: 3, LoginWindow: time.Minute, MaxFailures: 100})
	ctx := context.Background()
	f.member(t, "agent@example.com", store.RoleAgent)
	for i := 0; i < 3; i++ {
		_, _, _ = f.svc.Login(ctx, from, "agent@example.com", "nope nope nope")
	}
	if _, _, err := f.svc.Login(ctx, from, "agent@example.com", goodPassword); !errors.Is(err, staff.ErrRateLimited) {
		t.Fatalf("fourth attempt: %v, want ErrRateLimited", err)
	}
	other := from
	other.IP = "198.51.100.1"
	if _, _, err := f.svc.Login(ctx, other, "agent@example.com", goodPassword); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

func TestSessionsEndAfterInactivityAndLogout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db, staff.Config{IdleTimeout: 30 * time.Minute, SessionMaxAge: 2 * time.Hour})
		ctx := context.Background()
		f.member(t, "agent@example.com", store.RoleAgent)
		_, token, err := f.svc.Login(ctx, from, "agent@example.com", goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resume(ctx, "forged-token"); !errors.Is(err, staff.ErrNoSession) {
			t.Fatalf("forged token: %v", err)
		}
		// Activity keeps it alive past the idle timeout...
		for i := 0; i < 3; i++ {
			f.clock.add(20 * time.Minute)
			if _, err := f.svc.Resume(ctx, token); err != nil {
				t.Fatalf("after %d×20 minutes of activity: %v", i+1, err)
			}
		}
		// ...but not past the maximum age.
		f.clock.add(61 * time.Minute)
		if _, err := f.svc.Resume(ctx, token); !errors.Is(err, staff.ErrNoSession) {
			t.Fatalf("past the maximum age: %v", err)
		}

		_, token, _ = f.svc.Login(ctx, from, "agent@example.com", goodPassword)
		f.clock.add(31 * time.Minute)
		if _, err := f.svc.Resume(ctx, token); !errors.Is(err, staff.ErrNoSession) {
			t.Fatalf("idle for 31 minutes: %v", err)
		}

		cur, token, _ := f.svc.Login(ctx, from, "agent@example.com", goodPassword)
		if _, err := f.svc.StartImpersonation(ctx, cur, from, f.owner, "ticket #123"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Logout(ctx, cur, from); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resume(ctx, token); !errors.Is(err, staff.ErrNoSession) {
			t.Fatalf("after logout: %v", err)
		}
		if _, err := f.svc.ActiveImpersonation(ctx, cur, from); !errors.Is(err, staff.ErrNoImpersonation) {
			t.Fatalf("logout must end the impersonation: %v", err)
		}
		es, _ := f.st.AuditEntries(ctx, store.AuditFilter{Action: model.AuditImpersonationEnd})
		if len(es) != 1 || !strings.HasPrefix(es[0].Detail, store.EndedByLogout) || es[0].OwnerHostUserID != "u-1" {
			t.Fatalf("impersonation end entries: %+v", es)
		}
	})
}

func TestDisabledStaffLoseTheirSessions(t *testing.T) {
	f := setup(t, dbtest.Open(t, "sqlite"), staff.Config{})
	ctx := context.Background()
	st := f.member(t, "agent@example.com", store.RoleAgent)
	_, token, err := f.svc.Login(ctx, from, "agent@example.com", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetDisabled(ctx, audit.Actor{}, st.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Resume(ctx, token); !errors.Is(err, staff.ErrNoSession) {
		t.Fatalf("disabled: %v", err)
	}
	if _, _, err := f.svc.Login(ctx, from, "agent@example.com", goodPassword); !errors.Is(err, staff.ErrBadCredentials) {
		t.Fatalf("disabled login: %v", err)
	}
}

func TestImpersonationNeedsAReasonAndEndsOnTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db, staff.Config{ImpersonationTTL: 30 * time.Minute, IdleTimeout: 2 * time.Hour, SessionMaxAge: 3 * time.Hour})
		ctx := context.Background()
		f.member(t, "agent@example.com", store.RoleAgent)
		cur, _, err := f.svc.Login(ctx, from, "agent@example.com", goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		var bad *staff.InputError
		if _, err := f.svc.StartImpersonation(ctx, cur, from, f.owner, "  x "); !errors.As(err, &bad) || bad.Field != "reason" {
			t.Fatalf("no reason: %v", err)
		}
		im, err := f.svc.StartImpersonation(ctx, cur, from, f.owner, "Ticket 4711: car shows disconnected")
		if err != nil {
			t.Fatal(err)
		}
		if !im.ExpiresAt.Equal(f.clock.now().Add(30 * time.Minute)) {
			t.Fatalf("expires %v", im.ExpiresAt)
		}
		f.clock.add(29 * time.Minute)
		got, err := f.svc.ActiveImpersonation(ctx, cur, from)
		if err != nil || got.Owner.ID != f.owner.ID || got.Left(f.clock.now()) != time.Minute {
			t.Fatalf("at 29 minutes: %+v %v", got, err)
		}
		f.clock.add(2 * time.Minute)
		if _, err := f.svc.ActiveImpersonation(ctx, cur, from); !errors.Is(err, staff.ErrImpersonationOver) {
			t.Fatalf("at 31 minutes: %v, want ErrImpersonationOver", err)
		}
		if _, err := f.svc.ActiveImpersonation(ctx, cur, from); !errors.Is(err, staff.ErrNoImpersonation) {
			t.Fatalf("after it ended: %v", err)
		}
		ends, _ := f.st.AuditEntries(ctx, store.AuditFilter{Action: model.AuditImpersonationEnd})
		if len(ends) != 1 || ends[0].Detail != "expired after 30m0s" || ends[0].StaffEmail != "agent@example.com" || *ends[0].OwnerID != f.owner.ID {
			t.Fatalf("end entries: %+v", ends)
		}

		// One left to run out unobserved is closed by the periodic sweep,
		// once however often it runs.
		if _, err := f.svc.StartImpersonation(ctx, cur, from, f.owner, "Ticket 4712"); err != nil {
			t.Fatal(err)
		}
		f.clock.add(45 * time.Minute)
		sweep := &staff.SweepWorker{Staff: f.svc}
		for i := 0; i < 2; i++ {
			if err := sweep.Work(ctx, &river.Job[staff.SweepArgs]{JobRow: &rivertype.JobRow{}}); err != nil {
				t.Fatalf("sweep %d: %v", i+1, err)
			}
		}
		ends, _ = f.st.AuditEntries(ctx, store.AuditFilter{Action: model.AuditImpersonationEnd})
		if len(ends) != 2 || ends[0].Detail != "expired after 30m0s" {
			t.Fatalf("end entries after the sweep: %+v", ends)
		}
	})
}

func TestStartingAnotherImpersonationEndsTheFirst(t *testing.T) {
	f := setup(t, dbtest.Open(t, "sqlite"), staff.Config{})
	ctx := context.Background()
	f.member(t, "agent@example.com", store.RoleAgent)
	cur, _, _ := f.svc.Login(ctx, from, "agent@example.com", goodPassword)
	bob, _ := f.st.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-2", Name: "Bob"})
	if _, err := f.svc.StartImpersonation(ctx, cur, from, f.owner, "ticket 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.StartImpersonation(ctx, cur, from, bob, "ticket 2"); err != nil {
		t.Fatal(err)
	}
	im, err := f.svc.ActiveImpersonation(ctx, cur, from)
	if err != nil || im.Owner.ID != bob.ID {
		t.Fatalf("active: %+v %v", im, err)
	}
	ends, _ := f.st.AuditEntries(ctx, store.AuditFilter{Action: model.AuditImpersonationEnd})
	if len(ends) != 1 || *ends[0].OwnerID != f.owner.ID || !strings.HasPrefix(ends[0].Detail, store.EndedByReplace) {
		t.Fatalf("ends: %+v", ends)
	}
}
