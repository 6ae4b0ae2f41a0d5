package links_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

const (
	emailTTL = 7 * 24 * time.Hour
	inAppTTL = 15 * time.Minute
	baseURL  = "https://reconnect.example"
)

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type world struct {
	t     *testing.T
	ctx   context.Context
	clock *clock
	store *store.Store
	links *links.Service
	owner model.Owner
	car   model.Vehicle
}

func newWorld(t *testing.T, db *database.DB) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), clock: &clock{t: t0}}
	w.store = store.New(db).WithClock(w.clock.Now)
	w.links = links.New(w.store, links.Config{
		PublicBaseURL: baseURL + "/", AllowedReturn: []string{"https://app.example.com", " http://localhost:3000/ignored/path "},
		EmailTTL: emailTTL, InAppTTL: inAppTTL,
	})
	var err error
	if w.owner, err = w.store.UpsertOwner(w.ctx, store.OwnerInput{HostUserID: "host-1", Email: "owner@example.com"}); err != nil {
		t.Fatal(err)
	}
	w.car = w.vehicle("car-1", model.StateNeedsReauth)
	return w
}

// vehicle creates a car of the owner in the given state.
func (w *world) vehicle(smartcarID string, st model.State) model.Vehicle {
	w.t.Helper()
	v, err := w.store.UpsertVehicle(w.ctx, store.VehicleInput{SmartcarID: smartcarID, OwnerID: &w.owner.ID, Make: "TESLA"})
	if err != nil {
		w.t.Fatal(err)
	}
	if st != model.StateConnected {
		if v, _, _, err = w.store.SetState(w.ctx, v.ID, store.StateChange{To: st, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED", Source: model.SourceWebhook}); err != nil {
			w.t.Fatal(err)
		}
	}
	return v
}

func (w *world) mint(m links.Mint) links.Minted {
	w.t.Helper()
	if m.OwnerID == 0 {
		m.OwnerID = w.owner.ID
	}
	if m.Source == "" {
		m.Source = model.SourceAPI
	}
	got, err := w.links.Mint(w.ctx, nil, m)
	if err != nil {
		w.t.Fatalf("mint %+v: %v", m, err)
	}
	return got
}

func (w *world) opened() []model.Event {
	w.t.Helper()
	evs, err := w.store.EventsByOwner(w.ctx, w.owner.ID, store.Page{})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []model.Event
	for _, e := range evs {
		if e.Kind == model.EventLinkOpened {
			out = append(out, e)
		}
	}
	return out
}

func TestMint(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		cases := []struct {
			name    string
			purpose model.LinkPurpose
			ttl     time.Duration
		}{
			{"an email link lives for the email TTL", model.PurposeEmail, emailTTL},
			{"an in-app link lives for the in-app TTL", model.PurposeInApp, inAppTTL},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				m := w.mint(links.Mint{VehicleID: &w.car.ID, Purpose: tc.purpose, Source: model.SourceAPI, SourceRef: "ref-1"})
				if !m.ExpiresAt.Equal(t0.Add(tc.ttl)) {
					t.Errorf("expires at %s, want %s", m.ExpiresAt, t0.Add(tc.ttl))
				}
				if m.URL != baseURL+"/l/"+m.Token {
					t.Errorf("URL %q does not carry the token under %s/l/", m.URL, baseURL)
				}
				if len(m.Token) < 43 {
					t.Errorf("token %q is shorter than 256 bits of base64", m.Token)
				}
				stored, err := w.store.LinkByID(w.ctx, m.Link.ID)
				if err != nil {
					t.Fatal(err)
				}
				if stored.TokenHash != store.HashSecret(m.Token) || strings.Contains(stored.TokenHash, m.Token) {
					t.Errorf("the token is not stored as its hash only: %q", stored.TokenHash)
				}
				if stored.Purpose != tc.purpose || stored.Source != model.SourceAPI || stored.SourceRef != "ref-1" ||
					stored.VehicleID == nil || *stored.VehicleID != w.car.ID || stored.UsedAt != nil {
					t.Errorf("stored link %+v", stored)
				}
			})
		}
		t.Run("two links never share a token", func(t *testing.T) {
			a, b := w.mint(links.Mint{Purpose: model.PurposeEmail}), w.mint(links.Mint{Purpose: model.PurposeEmail})
			if a.Token == b.Token || a.Link.ID == b.Link.ID {
				t.Fatalf("tokens %q and %q", a.Token, b.Token)
			}
		})
		t.Run("an unknown purpose is refused as invalid", func(t *testing.T) {
			for _, p := range []model.LinkPurpose{"", "sms", "EMAIL"} {
				if _, err := w.links.Mint(w.ctx, nil, links.Mint{OwnerID: w.owner.ID, Purpose: p}); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("purpose %q: %v, want store.ErrInvalid", p, err)
				}
			}
		})
		t.Run("a return URL off the allow-list is refused before anything is stored", func(t *testing.T) {
			var before, after int64
			w.store.DB().Model(&store.OwnerLink{}).Count(&before)
			_, err := w.links.Mint(w.ctx, nil, links.Mint{OwnerID: w.owner.ID, Purpose: model.PurposeInApp, ReturnURL: "https://evil.example/"})
			if !errors.Is(err, links.ErrReturnURL) {
				t.Fatalf("got %v, want ErrReturnURL", err)
			}
			w.store.DB().Model(&store.OwnerLink{}).Count(&after)
			if after != before {
				t.Fatalf("%d links stored by a refused mint", after-before)
			}
		})
		t.Run("an allowed return URL is kept on the link", func(t *testing.T) {
			m := w.mint(links.Mint{Purpose: model.PurposeInApp, ReturnURL: "https://app.example.com/garage?tab=cars"})
			r, err := w.links.Resolve(w.ctx, m.Token)
			if err != nil || r.Link.ReturnURL != "https://app.example.com/garage?tab=cars" {
				t.Fatalf("resolved return URL %q, %v", r.Link.ReturnURL, err)
			}
		})
		t.Run("a link minted inside a transaction that rolls back does not exist", func(t *testing.T) {
			var m links.Minted
			boom := errors.New("roll back")
			err := w.store.Tx(w.ctx, func(tx *store.Store) error {
				var err error
				if m, err = w.links.Mint(w.ctx, tx, links.Mint{OwnerID: w.owner.ID, Purpose: model.PurposeEmail}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			if r, err := w.links.Resolve(w.ctx, m.Token); err != nil || r.Status != links.Unknown {
				t.Fatalf("rolled-back link resolves as %v, %v", r.Status, err)
			}
		})
	})
}

func TestResolveStatus(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		fixed := w.vehicle("car-fixed", model.StateConnected)
		reconnecting := w.vehicle("car-reconnecting", model.StateReconnecting)
		oem := w.vehicle("car-oem", model.StateNeedsOEMAction)
		cases := []struct {
			name    string
			purpose model.LinkPurpose
			vehicle *int64
			used    bool          // opened once before
			at      time.Duration // after minting
			want    links.Status
		}{
			{"a fresh email link for a broken car is valid", model.PurposeEmail, &w.car.ID, false, 0, links.Valid},
			{"a fresh in-app link for a broken car is valid", model.PurposeInApp, &w.car.ID, false, 0, links.Valid},
			{"a link naming no car is valid", model.PurposeEmail, nil, false, 0, links.Valid},
			{"a link for a car in the middle of reconnecting is valid", model.PurposeEmail, &reconnecting.ID, false, 0, links.Valid},
			{"a link for a car the carmaker must fix is valid", model.PurposeEmail, &oem.ID, false, 0, links.Valid},
			{"an email link one nanosecond before expiry is valid", model.PurposeEmail, &w.car.ID, false, emailTTL - time.Nanosecond, links.Valid},
			{"an email link at its expiry instant is expired", model.PurposeEmail, &w.car.ID, false, emailTTL, links.Expired},
			{"an in-app link at its expiry instant is expired", model.PurposeInApp, &w.car.ID, false, inAppTTL, links.Expired},
			{"an in-app link a minute past its TTL is expired, though an email link would still be valid", model.PurposeInApp, &w.car.ID, false, inAppTTL + time.Minute, links.Expired},
			{"an opened in-app link is used", model.PurposeInApp, &w.car.ID, true, 0, links.Used},
			{"an opened email link stays valid: owners reopen emails", model.PurposeEmail, &w.car.ID, true, time.Hour, links.Valid},
			{"an email link for a car that is connected again is already fixed", model.PurposeEmail, &fixed.ID, false, 0, links.AlreadyFixed},
			{"an opened email link for a connected car is already fixed", model.PurposeEmail, &fixed.ID, true, 0, links.AlreadyFixed},
			{"an opened in-app link for a connected car is used, not already fixed", model.PurposeInApp, &fixed.ID, true, 0, links.Used},
			{"an expired link for a connected car is expired, not already fixed", model.PurposeEmail, &fixed.ID, false, emailTTL, links.Expired},
			{"an opened and expired in-app link is expired, not used", model.PurposeInApp, &w.car.ID, true, inAppTTL, links.Expired},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w.clock.Set(t0)
				m := w.mint(links.Mint{VehicleID: tc.vehicle, Purpose: tc.purpose})
				if tc.used {
					if _, err := w.links.Open(w.ctx, m.Token); err != nil {
						t.Fatal(err)
					}
				}
				w.clock.Set(t0.Add(tc.at))
				r, err := w.links.Resolve(w.ctx, m.Token)
				if err != nil {
					t.Fatal(err)
				}
				if r.Status != tc.want {
					t.Fatalf("status %v, want %v", r.Status, tc.want)
				}
				if r.Status.Usable() != (tc.want == links.Valid || tc.want == links.AlreadyFixed) {
					t.Fatalf("Usable() = %v for %v", r.Status.Usable(), r.Status)
				}
				if r.Link.ID != m.Link.ID || r.Owner.ID != w.owner.ID {
					t.Fatalf("resolved link #%d of owner #%d, want #%d of #%d", r.Link.ID, r.Owner.ID, m.Link.ID, w.owner.ID)
				}
				if (r.Vehicle != nil) != (tc.vehicle != nil) || (r.Vehicle != nil && r.Vehicle.ID != *tc.vehicle) {
					t.Fatalf("resolved vehicle %+v, want #%v", r.Vehicle, tc.vehicle)
				}
			})
		}
		w.clock.Set(t0)
		unknown := []struct{ name, token string }{
			{"a well-formed token that was never minted is unknown", store.NewSecret("")},
			{"an empty token is unknown", ""},
			{"a token shorter than 32 characters is unknown", strings.Repeat("a", 31)},
			{"a token longer than 128 characters is unknown", strings.Repeat("a", 129)},
		}
		for _, tc := range unknown {
			t.Run(tc.name, func(t *testing.T) {
				r, err := w.links.Resolve(w.ctx, tc.token)
				if err != nil || r.Status != links.Unknown || r.Status.Usable() {
					t.Fatalf("status %v, %v", r.Status, err)
				}
			})
		}
		t.Run("a minted token with one character changed is unknown", func(t *testing.T) {
			m := w.mint(links.Mint{Purpose: model.PurposeEmail})
			last := m.Token[len(m.Token)-1]
			swap := byte('A')
			if last == swap {
				swap = 'B'
			}
			r, err := w.links.Resolve(w.ctx, m.Token[:len(m.Token)-1]+string(swap))
			if err != nil || r.Status != links.Unknown {
				t.Fatalf("status %v, %v", r.Status, err)
			}
		})
		t.Run("resolving never uses a link up: a mail scanner may fetch it", func(t *testing.T) {
			m := w.mint(links.Mint{VehicleID: &w.car.ID, Purpose: model.PurposeInApp})
			for range 3 {
				if r, err := w.links.Resolve(w.ctx, m.Token); err != nil || r.Status != links.Valid {
					t.Fatalf("status %v, %v", r.Status, err)
				}
			}
			if l, _ := w.store.LinkByID(w.ctx, m.Link.ID); l.UsedAt != nil || l.OpenedAt != nil {
				t.Fatalf("resolve marked the link: %+v", l)
			}
		})
	})
}

func TestOpen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		type linkOpened struct {
			LinkID    int64             `json:"link_id"`
			Purpose   model.LinkPurpose `json:"purpose"`
			Source    model.Source      `json:"source"`
			SourceRef string            `json:"source_ref"`
		}
		detail := func(t *testing.T, e model.Event) linkOpened {
			t.Helper()
			var d linkOpened
			if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
				t.Fatalf("link_opened detail %q is not JSON: %v", e.Detail, err)
			}
			return d
		}

		t.Run("an in-app link opens once and then reports used", func(t *testing.T) {
			w.clock.Set(t0)
			before := len(w.opened())
			m := w.mint(links.Mint{VehicleID: &w.car.ID, Purpose: model.PurposeInApp, Source: model.SourceAPI, SourceRef: "app-session-9"})
			r, err := w.links.Open(w.ctx, m.Token)
			if err != nil || r.Status != links.Valid {
				t.Fatalf("first open: %v, %v", r.Status, err)
			}
			w.clock.Set(t0.Add(time.Second))
			if r, err := w.links.Open(w.ctx, m.Token); err != nil || r.Status != links.Used || r.Status.Usable() {
				t.Fatalf("second open: %v, %v", r.Status, err)
			}
			evs := w.opened()
			if len(evs)-before != 1 {
				t.Fatalf("%d link_opened events, want 1", len(evs)-before)
			}
			e := evs[0]
			if e.Source != model.SourceOwner || e.VehicleID == nil || *e.VehicleID != w.car.ID || e.OwnerID == nil || *e.OwnerID != w.owner.ID {
				t.Fatalf("event %+v", e)
			}
			if d := detail(t, e); d != (linkOpened{m.Link.ID, model.PurposeInApp, model.SourceAPI, "app-session-9"}) {
				t.Fatalf("detail %+v", d)
			}
			if l, _ := w.store.LinkByID(w.ctx, m.Link.ID); l.UsedAt == nil || !l.UsedAt.Equal(t0) || l.OpenedAt == nil || !l.OpenedAt.Equal(t0) {
				t.Fatalf("link after open: used %v opened %v", l.UsedAt, l.OpenedAt)
			}
		})

		t.Run("an email link opens again and again, each time on the timeline with its source", func(t *testing.T) {
			w.clock.Set(t0)
			before := len(w.opened())
			m := w.mint(links.Mint{VehicleID: &w.car.ID, Purpose: model.PurposeEmail, Source: model.SourceEmail, SourceRef: "<msg-1@reconnect.example>"})
			for i := range 3 {
				w.clock.Set(t0.Add(time.Duration(i) * time.Hour))
				if r, err := w.links.Open(w.ctx, m.Token); err != nil || r.Status != links.Valid {
					t.Fatalf("open %d: %v, %v", i+1, r.Status, err)
				}
			}
			evs := w.opened()
			if len(evs)-before != 3 {
				t.Fatalf("%d link_opened events, want 3", len(evs)-before)
			}
			if d := detail(t, evs[0]); d != (linkOpened{m.Link.ID, model.PurposeEmail, model.SourceEmail, "<msg-1@reconnect.example>"}) {
				t.Fatalf("detail %+v", d)
			}
			l, _ := w.store.LinkByID(w.ctx, m.Link.ID)
			if l.OpenedAt == nil || !l.OpenedAt.Equal(t0) || l.UsedAt == nil || !l.UsedAt.Equal(t0.Add(2*time.Hour)) {
				t.Fatalf("first opened %v (want %s), last used %v (want %s)", l.OpenedAt, t0, l.UsedAt, t0.Add(2*time.Hour))
			}
		})

		t.Run("a link for a connected car opens, already fixed, and is recorded", func(t *testing.T) {
			w.clock.Set(t0)
			fixed := w.vehicle("car-open-fixed", model.StateConnected)
			before := len(w.opened())
			m := w.mint(links.Mint{VehicleID: &fixed.ID, Purpose: model.PurposeInApp})
			if r, err := w.links.Open(w.ctx, m.Token); err != nil || r.Status != links.AlreadyFixed {
				t.Fatalf("open: %v, %v", r.Status, err)
			}
			if len(w.opened())-before != 1 {
				t.Fatal("opening an already-fixed link was not recorded")
			}
			if r, _ := w.links.Open(w.ctx, m.Token); r.Status != links.Used {
				t.Fatalf("second open of an in-app link for a fixed car: %v", r.Status)
			}
		})

		t.Run("a link naming no car records the owner only", func(t *testing.T) {
			w.clock.Set(t0)
			m := w.mint(links.Mint{Purpose: model.PurposeEmail, Source: model.SourceStaff, SourceRef: "staff@example.com"})
			if r, err := w.links.Open(w.ctx, m.Token); err != nil || r.Status != links.Valid || r.Vehicle != nil {
				t.Fatalf("open: %v %+v, %v", r.Status, r.Vehicle, err)
			}
			e := w.opened()[0]
			if e.VehicleID != nil || e.OwnerID == nil || *e.OwnerID != w.owner.ID {
				t.Fatalf("event %+v", e)
			}
			if d := detail(t, e); d.Source != model.SourceStaff || d.SourceRef != "staff@example.com" {
				t.Fatalf("detail %+v", d)
			}
		})

		refused := []struct {
			name  string
			token func() string
			want  links.Status
		}{
			{"an expired link does not open and is not recorded", func() string {
				m := w.mint(links.Mint{VehicleID: &w.car.ID, Purpose: model.PurposeEmail})
				w.clock.Set(t0.Add(emailTTL))
				return m.Token
			}, links.Expired},
			{"an unknown token does not open and is not recorded", func() string { return store.NewSecret("") }, links.Unknown},
		}
		for _, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				w.clock.Set(t0)
				before := len(w.opened())
				token := tc.token()
				r, err := w.links.Open(w.ctx, token)
				if err != nil || r.Status != tc.want || r.Status.Usable() {
					t.Fatalf("open: %v, %v", r.Status, err)
				}
				if len(w.opened()) != before {
					t.Fatal("a refused open was recorded")
				}
				if r.Link.ID != 0 {
					if l, _ := w.store.LinkByID(w.ctx, r.Link.ID); l.UsedAt != nil {
						t.Fatal("a refused open used the link")
					}
				}
			})
		}

		t.Run("two concurrent opens of an in-app link let exactly one through", func(t *testing.T) {
			w.clock.Set(t0)
			m := w.mint(links.Mint{VehicleID: &w.car.ID, Purpose: model.PurposeInApp})
			var wg sync.WaitGroup
			statuses := make([]links.Status, 4)
			errs := make([]error, 4)
			for i := range statuses {
				wg.Go(func() {
					r, err := w.links.Open(w.ctx, m.Token)
					statuses[i], errs[i] = r.Status, err
				})
			}
			wg.Wait()
			valid := 0
			for i, s := range statuses {
				if errs[i] != nil {
					// SQLite's single writer may answer busy; that open did not happen.
					continue
				}
				switch s {
				case links.Valid:
					valid++
				case links.Used:
				default:
					t.Errorf("open %d: %v", i, s)
				}
			}
			if valid != 1 {
				t.Fatalf("%d opens succeeded, want exactly 1 (%v %v)", valid, statuses, errs)
			}
		})
	})
}

func TestReturnURLAllowed(t *testing.T) {
	svc := links.New(nil, links.Config{AllowedReturn: []string{
		"https://app.example.com", " http://localhost:3000/ignored/path ", "https://Mixed.Example.org/", "not a url", "app.example.net",
	}})
	cases := []struct {
		name string
		raw  string
		want bool
	}{
		{"a page on an allowed https origin is allowed", "https://app.example.com/garage?x=1#top", true},
		{"the bare allowed origin is allowed", "https://app.example.com", true},
		{"the host is compared without regard to case", "https://APP.Example.COM/back", true},
		{"an allowed origin configured in mixed case matches", "https://mixed.example.org/x", true},
		{"an allowed origin configured with a path allows the origin", "http://localhost:3000/done", true},
		{"an empty URL is refused", "", false},
		{"another origin is refused", "https://evil.example/", false},
		{"a suffix of an allowed host is refused", "https://app.example.com.evil.example/", false},
		{"a subdomain of an allowed host is refused", "https://x.app.example.com/", false},
		{"the allowed host over plain http is refused", "http://app.example.com/", false},
		{"the allowed host on another port is refused", "https://app.example.com:8443/", false},
		{"the allowed localhost on another port is refused", "http://localhost:3001/", false},
		{"the allowed localhost without its port is refused", "http://localhost/", false},
		{"a scheme-relative URL to another host is refused", "//evil.example/", false},
		{"a scheme-relative URL to the allowed host is refused", "//app.example.com/garage", false},
		{"a relative path is refused", "/garage", false},
		{"javascript: is refused", "javascript:alert(1)", false},
		{"javascript: dressed as the allowed origin is refused", "javascript://app.example.com/%0Aalert(1)", false},
		{"data: is refused", "data:text/html,<script>alert(1)</script>", false},
		{"the allowed origin as userinfo before another host is refused", "https://app.example.com@evil.example/", false},
		{"user and password on the allowed host are refused", "https://user:pass@app.example.com/", false},
		{"an encoded slash before @ is still userinfo and refused", "https://app.example.com%2F@evil.example/", false},
		{"the allowed origin in the fragment of another host is refused", "https://evil.example#@app.example.com", false},
		{"the allowed origin in the query of another host is refused", "https://evil.example?@app.example.com", false},
		{"a backslash that browsers read as a slash is refused", "https://evil.example\\@app.example.com/", false},
		{"backslashes in place of slashes are refused", "https:\\\\app.example.com\\garage", false},
		{"a space inside the URL is refused", "https://app.example.com/a b", false},
		{"a leading space is refused", " https://app.example.com/", false},
		{"a tab inside the URL is refused", "https://app.example.com/\tx", false},
		{"a newline inside the URL is refused", "https://app.example.com/\r\nx", false},
		{"a configured origin without a scheme allows nothing", "https://app.example.net/", false},
		{"ftp on the allowed host is refused", "ftp://app.example.com/", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := svc.ReturnURLAllowed(tc.raw); got != tc.want {
				t.Fatalf("ReturnURLAllowed(%q) = %v, want %v", tc.raw, got, tc.want)
			}
		})
	}
	if links.New(nil, links.Config{}).ReturnURLAllowed("https://app.example.com/") {
		t.Fatal("with no allow-list every return URL must be refused")
	}
}

// A link shown to support staff opens one session, within 15 minutes, and
// says it came from staff (as does an email link sent on their behalf), so
// the owner pages can refuse it in a browser where staff are signed in.
func TestStaffShownLinksAreSingleUseAndShortLived(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		m, err := w.links.Mint(w.ctx, nil, links.Mint{OwnerID: w.owner.ID, Purpose: model.PurposeStaffShown, Source: model.SourceStaff, SourceRef: "sam@support.example"})
		if err != nil {
			t.Fatal(err)
		}
		if !m.ExpiresAt.Equal(t0.Add(links.StaffShownTTL)) || links.StaffShownTTL != 15*time.Minute {
			t.Fatalf("expires at %s, want 15 minutes after %s", m.ExpiresAt, t0)
		}
		w.clock.Set(t0.Add(links.StaffShownTTL - time.Second))
		r, err := w.links.Resolve(w.ctx, m.Token)
		if err != nil || r.Status != links.Valid || !r.FromStaff() {
			t.Fatalf("a second before expiry: %v from staff %v, %v", r.Status, r.FromStaff(), err)
		}
		if r, err := w.links.Open(w.ctx, m.Token); err != nil || r.Status != links.Valid {
			t.Fatalf("first use: %v %v", r.Status, err)
		}
		if r, err := w.links.Open(w.ctx, m.Token); err != nil || r.Status != links.Used {
			t.Fatalf("second use: %v %v, want used", r.Status, err)
		}

		unused, err := w.links.Mint(w.ctx, nil, links.Mint{OwnerID: w.owner.ID, Purpose: model.PurposeStaffShown, Source: model.SourceStaff})
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Set(w.clock.Now().Add(links.StaffShownTTL))
		if r, err := w.links.Open(w.ctx, unused.Token); err != nil || r.Status != links.Expired {
			t.Fatalf("after 15 minutes: %v %v, want expired", r.Status, err)
		}

		emailed, err := w.links.Mint(w.ctx, nil, links.Mint{OwnerID: w.owner.ID, Purpose: model.PurposeEmail, Source: model.SourceStaff})
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := w.links.Resolve(w.ctx, emailed.Token); !r.FromStaff() {
			t.Fatal("an email link sent on a staff member's behalf must say it came from staff")
		}
		own, _ := w.links.Mint(w.ctx, nil, links.Mint{OwnerID: w.owner.ID, Purpose: model.PurposeEmail, Source: model.SourceEmail})
		if r, _ := w.links.Resolve(w.ctx, own.Token); r.FromStaff() {
			t.Fatal("an ordinary email link is not from staff")
		}
	})
}
