package campaign_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// world is a campaign service over a real database, with a clock the test
// moves and the lifecycle the service is registered on, as in the app.
type world struct {
	t     *testing.T
	ctx   context.Context
	store *store.Store
	lc    *lifecycle.Machine
	svc   *campaign.Service
	host  *recordingHost

	mu  sync.Mutex
	now time.Time
}

// start is the tests' "now": a Monday morning in 2027.
var start = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)

func newWorld(t *testing.T, db *database.DB) *world {
	w := &world{t: t, ctx: context.Background(), now: start, host: &recordingHost{}}
	w.store = store.New(db).WithClock(w.clock)
	w.lc = lifecycle.New(w.store)
	w.svc = campaign.New(w.store, w.lc, w.host)
	w.lc.AddVehicleHook(w.svc)
	w.lc.AddHook(w.svc)
	return w
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func (w *world) owner(hostID, email string) model.Owner {
	w.t.Helper()
	o, err := w.store.UpsertOwner(w.ctx, store.OwnerInput{HostUserID: hostID, Email: email})
	if err != nil {
		w.t.Fatal(err)
	}
	return o
}

// car saves a vehicle through the lifecycle, as the API does.
func (w *world) car(id string, owner *model.Owner, make, mdl string, year int, country string) model.Vehicle {
	w.t.Helper()
	in := store.VehicleInput{SmartcarID: id, Make: make, Model: mdl, Year: year, Country: country, VIN: vinOf(id)}
	if owner != nil {
		in.OwnerID = &owner.ID
	}
	v, err := w.lc.SaveVehicle(w.ctx, nil, in)
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

// vinOf makes a 17-character VIN from an id.
func vinOf(id string) string {
	v := "VIN" + id + "00000000000000000"
	return v[:17]
}

func (w *world) create(in campaign.Input) model.Campaign {
	w.t.Helper()
	c, err := w.svc.Create(w.ctx, in)
	if err != nil {
		w.t.Fatalf("create: %v", err)
	}
	return c
}

func (w *world) launch(id int64) model.Campaign {
	w.t.Helper()
	c, err := w.svc.Launch(w.ctx, id)
	if err != nil {
		w.t.Fatalf("launch: %v", err)
	}
	return c
}

// notices lists an owner's notices in a campaign.
func (w *world) notices(c model.Campaign, o model.Owner) []store.Notice {
	w.t.Helper()
	ns, err := w.store.NoticesOfOwner(w.ctx, c.ID, o.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return ns
}

func (w *world) member(c model.Campaign, v model.Vehicle) store.CampaignVehicle {
	w.t.Helper()
	cv, err := w.store.CampaignVehicleOf(w.ctx, c.ID, v.ID)
	if err != nil {
		w.t.Fatalf("vehicle %s in campaign %d: %v", v.SmartcarID, c.ID, err)
	}
	return cv
}

// tesla is a valid campaign definition; tests change what they test.
func tesla(cutover time.Time) campaign.Input {
	return campaign.Input{Name: "Tesla moves to a new platform", Make: "TESLA", Reason: model.ReasonNewPlatform, CutoverAt: cutover}
}

// recordingHost records the host webhooks the service asked for.
type recordingHost struct {
	mu   sync.Mutex
	sent []string
}

func (h *recordingHost) CampaignVehicleCompleted(_ context.Context, _ *store.Store, campaignID int64, v model.Vehicle, source model.Source, _ time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent = append(h.sent, fmt.Sprintf("%d:%s@%s", campaignID, v.SmartcarID, source))
	return nil
}

func (h *recordingHost) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.sent...)
}

func (h *recordingHost) CampaignPaused(_ context.Context, _ *store.Store, c model.Campaign, reason model.PauseReason, _ store.WaveHealth, _ time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent = append(h.sent, fmt.Sprintf("%d:paused:%s", c.ID, reason))
	return nil
}
