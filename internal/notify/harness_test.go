package notify_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"reconnect/internal/config"
	"reconnect/internal/dbtest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/mail"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

// clock is the fake time every part of a harness reads.
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
	c.t = t.UTC()
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// fakeQueue records what would be enqueued.
type fakeQueue struct {
	mu   sync.Mutex
	args []river.JobArgs
}

func (q *fakeQueue) InsertTx(_ context.Context, _ *gorm.DB, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.args = append(q.args, args)
	return &rivertype.JobInsertResult{}, nil
}

func (q *fakeQueue) InsertManyTx(_ context.Context, _ *gorm.DB, params []river.InsertManyParams) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, p := range params {
		q.args = append(q.args, p.Args)
	}
	return nil
}

// t0 is a Monday, 10:00 in London: outside everyone's quiet hours in
// Europe.
var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// harness is the email machinery on a fake clock, with a recording sender.
type harness struct {
	t       *testing.T
	ctx     context.Context
	clock   *clock
	store   *store.Store
	links   *links.Service
	mail    *mail.Recorder
	svc     *notify.Service
	machine *lifecycle.Machine
	queue   *fakeQueue
	cfg     notify.Config
}

func defaultConfig() notify.Config {
	return notify.Config{
		AppName: "ChargeWell", BaseURL: "https://reconnect.example",
		Debounce: 15 * time.Minute, Reminders: []time.Duration{48 * time.Hour, 168 * time.Hour}, Max: 3,
		MinInterval: 20 * time.Hour, Quiet: config.QuietHours{Start: 21 * 60, End: 8 * 60},
		TimeZone: time.UTC, LinkTTL: 168 * time.Hour,
	}
}

// eachDialect runs fn on SQLite and (when configured) PostgreSQL.
func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// newHarness builds the machinery on a fresh database of the dialect.
func newHarness(t *testing.T, dialect string, mod func(*notify.Config)) *harness {
	t.Helper()
	db := dbtest.Open(t, dialect)
	h := &harness{t: t, ctx: context.Background(), clock: &clock{}, mail: &mail.Recorder{}, queue: &fakeQueue{}, cfg: defaultConfig()}
	h.clock.Set(t0)
	if mod != nil {
		mod(&h.cfg)
	}
	h.store = store.New(db).WithClock(h.clock.Now)
	h.links = links.New(h.store, links.Config{PublicBaseURL: "https://reconnect.example", EmailTTL: 168 * time.Hour, InAppTTL: 15 * time.Minute})
	h.svc = notify.New(h.cfg, h.store, h.links, h.mail, h.queue, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.machine = lifecycle.New(h.store, h.svc)
	return h
}

type car struct {
	make, model string
	year        int
}

// owner creates an owner with connected cars.
func (h *harness) owner(hostID, email, locale, tz string, cars ...car) (model.Owner, []model.Vehicle) {
	h.t.Helper()
	o, err := h.store.UpsertOwner(h.ctx, store.OwnerInput{HostUserID: hostID, Email: email, Name: strings.ToUpper(hostID[:1]) + hostID[1:] + " Example", Locale: locale, TimeZone: tz})
	if err != nil {
		h.t.Fatal(err)
	}
	var vs []model.Vehicle
	for i, c := range cars {
		v, err := h.store.UpsertVehicle(h.ctx, store.VehicleInput{
			SmartcarID: hostID + "-car-" + string(rune('a'+i)), OwnerID: &o.ID, Make: c.make, Model: c.model, Year: c.year,
		})
		if err != nil {
			h.t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return o, vs
}

var (
	tesla = car{"TESLA", "Model 3", 2021}
	ford  = car{"FORD", "Mustang Mach-E", 2022}
	bmw   = car{"BMW", "i4", 2023}
)

// move changes a vehicle's state through the lifecycle, as detection does.
func (h *harness) move(v model.Vehicle, to model.State, reason string, source model.Source) {
	h.t.Helper()
	if _, _, err := h.machine.Transition(h.ctx, nil, v.ID, store.StateChange{To: to, Reason: reason, Source: source}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) breakAuth(v model.Vehicle) {
	h.t.Helper()
	h.move(v, model.StateNeedsReauth, "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED", "webhook")
}

func (h *harness) fix(v model.Vehicle, source model.Source) {
	h.t.Helper()
	h.move(v, model.StateConnected, "", source)
}

// run is one wake-up of the owner's job.
func (h *harness) run(o model.Owner) (notify.Result, error) {
	h.t.Helper()
	return h.svc.Deliver(h.ctx, o.ID, false)
}

// tick runs the owner's job and fails on an error.
func (h *harness) tick(o model.Owner) notify.Result {
	h.t.Helper()
	res, err := h.run(o)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// schedule returns the owner's schedule.
func (h *harness) schedule(o model.Owner) store.OwnerNotification {
	h.t.Helper()
	n, err := h.store.NotificationOf(h.ctx, o.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// due returns when the owner's next email is due (zero for never).
func (h *harness) due(o model.Owner) time.Time {
	h.t.Helper()
	n := h.schedule(o)
	if n.DueAt == nil {
		return time.Time{}
	}
	return n.DueAt.UTC()
}

// runUntil advances the clock to each due time up to limit and runs the
// owner's job, as the sweep and the queue would; it returns the emails sent
// on the way.
func (h *harness) runUntil(o model.Owner, limit time.Time) []mail.Message {
	h.t.Helper()
	before := len(h.mail.To(o.Email))
	for i := 0; i < 50; i++ {
		d := h.due(o)
		if d.IsZero() || d.After(limit) {
			break
		}
		if d.After(h.clock.Now()) {
			h.clock.Set(d)
		}
		h.tick(o)
	}
	if h.clock.Now().Before(limit) {
		h.clock.Set(limit)
	}
	return h.mail.To(o.Email)[before:]
}

func (h *harness) eventKinds(o model.Owner) []string {
	h.t.Helper()
	evs, err := h.store.OwnerTimeline(h.ctx, o.ID, store.Page{Limit: 500})
	if err != nil {
		h.t.Fatal(err)
	}
	var kinds []string
	for i := len(evs) - 1; i >= 0; i-- {
		kinds = append(kinds, string(evs[i].Kind))
	}
	return kinds
}

func count[S ~string](xs []string, x S) int {
	n := 0
	for _, y := range xs {
		if y == string(x) {
			n++
		}
	}
	return n
}
