package ingest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// ProcessorConfig tunes the inbox processor.
type ProcessorConfig struct {
	// Batch is how many events one transaction claims. On SQLite the
	// processor shares the single connection with the receiver's commits,
	// so a batch's transaction time shows up directly as acknowledgement
	// latency: keep it small there.
	Batch int
	// Workers process batches in parallel. PostgreSQL only: there, batches
	// claim disjoint events (SKIP LOCKED) and lock their vehicles in id
	// order; SQLite has one writer.
	Workers int
	// Settle is the pause after a batch that emptied the inbox, so that a
	// trickle of events is applied in batches rather than one by one.
	Settle time.Duration
	// Poll is how often an idle processor looks for work it was not told
	// about (other instances' events, events left by a crash).
	Poll time.Duration
	// TargetTx, when set, adapts the batch size (up to Batch) so that one
	// transaction takes about this long.
	TargetTx time.Duration
	// Yield, when set, reports that the receiver is waiting to commit; the
	// processor then holds back its next batch for a few milliseconds, so
	// acknowledgements keep priority over processing on a shared connection.
	Yield func() bool
	// Load, when set, reports the receiver's recent events per commit.
	// Under a burst the processor then leaves the connection to the
	// receiver most of the time: recording is what must not fall behind,
	// applying catches up after.
	Load func() float64
	// Rate, when set, reports how many events a second the receiver has
	// recorded recently. A fast commit keeps batches small even under a
	// burst, so a high rate counts as a burst too.
	Rate func() float64
}

func (c ProcessorConfig) withDefaults() ProcessorConfig {
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.Settle < 0 {
		c.Settle = 0
	} else if c.Settle == 0 {
		c.Settle = 50 * time.Millisecond
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	return c
}

// Processor applies recorded events to vehicle states, off the request path.
// Each transaction claims a batch, applies it through the lifecycle machine
// and marks the events processed before committing, so an event's effects
// and its "processed" mark commit together: a crash at any point leaves it
// either fully applied or pending, and it is applied exactly once in effect.
type Processor struct {
	store   *store.Store
	machine *lifecycle.Machine
	log     *slog.Logger
	cfg     ProcessorConfig
	metrics *Metrics
	wake    chan struct{}
	backlog atomic.Bool // the first worker's last batch was full
}

// NewProcessor returns a processor; Run drives it.
func NewProcessor(s *store.Store, m *lifecycle.Machine, log *slog.Logger, cfg ProcessorConfig, metrics *Metrics) *Processor {
	return &Processor{store: s, machine: m, log: log, cfg: cfg.withDefaults(), metrics: metrics, wake: make(chan struct{}, 1)}
}

// Wake tells the processor that new events were recorded.
func (p *Processor) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run processes events with the configured workers until ctx ends.
func (p *Processor) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range p.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(ctx, i)
		}()
	}
	wg.Wait()
}

// maxYield bounds how long a batch waits for the receiver: under a
// sustained burst the receiver is never idle, and events must still be
// applied.
const maxYield = 5 * time.Millisecond

// A receiver committing burstLoad events at a time, or recording burstRate
// events a second, is under a burst; the processor then pauses at least
// burstPause between batches. burstRate is far above what an install sees
// outside a carmaker's migration, and below what one instance records in
// one.
const (
	burstLoad  = 16
	burstRate  = 1000
	burstPause = 25 * time.Millisecond
)

// burst reports whether the receiver is under a burst.
func (p *Processor) burst() bool {
	return p.cfg.Load != nil && p.cfg.Load() >= burstLoad || p.cfg.Rate != nil && p.cfg.Rate() >= burstRate
}

func (p *Processor) work(ctx context.Context, worker int) {
	backoff := time.Duration(0)
	size := p.cfg.Batch
	var took time.Duration
	for ctx.Err() == nil {
		if p.burst() {
			// During a burst one worker applies events, an eighth of the
			// time: the CPU and the database go to recording, and the
			// backlog is applied once the burst is over.
			if worker > 0 {
				sleep(ctx, burstPause)
				continue
			}
			sleep(ctx, max(burstPause, 7*took))
		}
		if worker > 0 && !p.backlog.Load() {
			// Extra workers only help with a backlog; at a steady rate one
			// keeps up and the others would only take CPU from the receiver.
			sleep(ctx, p.cfg.Settle)
			continue
		}
		if p.cfg.Yield != nil {
			for waited := time.Duration(0); waited < maxYield && p.cfg.Yield(); waited += 500 * time.Microsecond {
				sleep(ctx, 500*time.Microsecond)
			}
		}
		start, limit := time.Now(), size
		n, err := p.process(ctx, limit)
		took = time.Since(start)
		if worker == 0 {
			p.backlog.Store(err == nil && n == limit)
		}
		if p.cfg.TargetTx > 0 && err == nil {
			// Keep each transaction near the target: halve the batch when
			// it ran long (new vehicles, many changes), grow it back when
			// batches are cheap.
			switch {
			case took > p.cfg.TargetTx && size > 4:
				size /= 2
			case took < p.cfg.TargetTx/2 && n == limit:
				size = min(2*size, p.cfg.Batch)
			}
		}
		switch {
		case err != nil && ctx.Err() == nil:
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			p.log.Error("inbox processing failed; retrying", "err", err, "in", backoff)
			sleep(ctx, backoff)
			continue
		case n > 0:
			backoff = 0
			if n < limit {
				sleep(ctx, p.cfg.Settle)
			}
			continue
		}
		select {
		case <-ctx.Done():
		case <-p.wake:
			sleep(ctx, p.cfg.Settle)
		case <-time.After(p.cfg.Poll):
		}
	}
}

// Drain processes until the inbox is empty (tests, tools).
func (p *Processor) Drain(ctx context.Context) error {
	for {
		n, err := p.ProcessBatch(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// ProcessBatch applies one batch and returns how many events it finished.
// When a batch fails for any reason but an unreachable database, its events
// are retried one per transaction so that one bad event cannot hold up the
// rest; an event that fails alone is marked failed with the reason.
func (p *Processor) ProcessBatch(ctx context.Context) (int, error) {
	return p.process(ctx, p.cfg.Batch)
}

func (p *Processor) process(ctx context.Context, limit int) (int, error) {
	var claimed []store.InboxEvent
	var done int
	err := p.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if claimed, err = tx.ClaimInbox(ctx, limit); err != nil {
			return err
		}
		done, err = p.apply(ctx, tx, claimed)
		return err
	})
	if err == nil {
		p.metrics.processedN(store.InboxProcessed, done)
		return done, nil
	}
	if database.IsTransient(err) || ctx.Err() != nil || len(claimed) == 0 {
		return 0, err
	}
	p.log.Warn("inbox batch failed; applying its events one by one", "err", err, "events", len(claimed))
	for _, ev := range claimed {
		if err := p.processOne(ctx, ev.ID); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

func (p *Processor) processOne(ctx context.Context, id int64) error {
	err := p.store.Tx(ctx, func(tx *store.Store) error {
		evs, err := tx.ClaimInboxByID(ctx, id)
		if err != nil {
			return err
		}
		_, err = p.apply(ctx, tx, evs)
		return err
	})
	if err == nil {
		p.metrics.processedN(store.InboxProcessed, 1)
		return nil
	}
	if database.IsTransient(err) || ctx.Err() != nil {
		return err
	}
	p.log.Error("inbox event cannot be applied; marked failed", "inbox_id", id, "err", err)
	p.metrics.processedN(store.InboxFailed, 1)
	return p.store.Tx(ctx, func(tx *store.Store) error {
		return tx.FinishInbox(ctx, []int64{id}, store.InboxFailed, store.Clip(err.Error(), 300))
	})
}

// apply processes claimed events within tx and marks them finished. It
// plans every event first against the vehicles as they stand (in memory),
// then writes in few statements: the inputs' timeline entries in one, each
// state change through the lifecycle machine, the vehicles' event clocks in
// one, the inbox marks in one.
func (p *Processor) apply(ctx context.Context, tx *store.Store, claimed []store.InboxEvent) (int, error) {
	if len(claimed) == 0 {
		return 0, nil
	}
	var finished, unreadable []int64
	byVehicle := map[string][]*observation{}
	var order []string
	for _, ev := range claimed {
		o, err := observe(ev)
		if err != nil {
			p.log.Error("inbox event unreadable; marked failed", "event_id", ev.EventID, "err", err)
			unreadable = append(unreadable, ev.ID)
			continue
		}
		if o.vehicle.ID == "" {
			// Legacy schedule deliveries name no vehicle: recorded, nothing to apply.
			finished = append(finished, ev.ID)
			continue
		}
		if _, ok := byVehicle[o.vehicle.ID]; !ok {
			order = append(order, o.vehicle.ID)
		}
		byVehicle[o.vehicle.ID] = append(byVehicle[o.vehicle.ID], o)
	}
	if err := tx.FinishInbox(ctx, unreadable, store.InboxFailed, "unreadable"); err != nil {
		return 0, err
	}
	vehicles, err := p.vehicles(ctx, tx, order, byVehicle)
	if err != nil {
		return 0, err
	}
	var inputs []model.Event
	var changes []plannedChange
	clocks := map[int64]store.EventClock{}
	for _, id := range order {
		obs := byVehicle[id]
		// Within a batch, apply in the order one at a time would have:
		// by receipt. A delivery that arrived after a newer one from the
		// same source is then stale on that source's own clock, as it
		// would be in separate batches.
		slices.SortStableFunc(obs, func(a, b *observation) int {
			return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.inbox.ID, b.inbox.ID))
		})
		tv := vehicles[id]
		var clock store.EventClock
		for _, o := range obs {
			in, chs := plan(&tv, o, &clock)
			inputs = append(inputs, in)
			changes = append(changes, chs...)
			finished = append(finished, o.inbox.ID)
		}
		if clock.LastEventAt != nil || clock.LastSignalAt != nil || clock.Sources != nil {
			clocks[tv.ID] = clock
		}
	}
	if err := tx.AddEvents(ctx, inputs); err != nil {
		return 0, err
	}
	// The hooks of a change lock the owner's rows (the email schedule, the
	// campaign notices). Two processors (of one instance or of several)
	// whose batches hold cars of the same owners would take those locks in
	// the order of their batches and could deadlock; in owner order they
	// only wait. The sort is stable, so each car's changes keep their order,
	// and each round of TransitionsFrom keeps it too.
	slices.SortStableFunc(changes, func(a, b plannedChange) int {
		return cmp.Or(cmp.Compare(ownerKey(a.ownerID), ownerKey(b.ownerID)), cmp.Compare(a.vehicleID, b.vehicleID))
	})
	steps := make([]lifecycle.Step, len(changes))
	for i, c := range changes {
		steps[i] = lifecycle.Step{VehicleID: c.vehicleID, OwnerID: c.ownerID, From: c.from, FromReason: c.fromReason, Change: c.change}
	}
	if err := p.machine.TransitionsFrom(ctx, tx, steps); err != nil {
		return 0, fmt.Errorf("ingest: apply %d state changes: %w", len(steps), err)
	}
	if err := tx.SetEventClocks(ctx, clocks); err != nil {
		return 0, err
	}
	if err := tx.FinishInbox(ctx, finished, store.InboxProcessed, ""); err != nil {
		return 0, err
	}
	return len(finished) + len(unreadable), nil
}

// plannedChange is a state change an event calls for.
type plannedChange struct {
	vehicleID int64
	// from and fromReason are where the vehicle stands before the change,
	// as read and locked in the batch's transaction.
	from       model.State
	fromReason string
	ownerID    *int64
	change     store.StateChange
}

// ownerKey orders changes by owner; cars without one first.
func ownerKey(id *int64) int64 {
	if id == nil {
		return 0
	}
	return *id
}

// plan decides what one event does to tv and moves tv (in memory) to where
// the planned changes will leave it, so that the vehicle's next event is
// judged against its new state. It returns the event's timeline entry and
// its state changes.
//
// An event is stale when we received it before the vehicle's state gate
// (our clock: the newest deciding event's receipt, or a change made here),
// or when its own source has already sent a newer deciding event (that
// source's clock). Senders' clocks are never compared with ours or with
// each other's, so a sender running behind or ahead cannot outrank another.
func plan(tv *store.TrackedVehicle, o *observation, clock *store.EventClock) (model.Event, []plannedChange) {
	stale := o.previous || o.at.Before(tv.StateGate()) || staleOnOwnClock(tv.SourceClocks, o)
	var outs []Outcome
	var changes []plannedChange
	decisive := false
	for _, v := range o.verdicts {
		d := decide(tv.State, tv.Reason, v, stale)
		outs = append(outs, d.outcome)
		decisive = decisive || d.decisive
		// As SetState does: only a different state or reason is a change.
		if !d.change || (d.to == tv.State && d.reason == tv.Reason) {
			continue
		}
		changes = append(changes, plannedChange{vehicleID: tv.ID, from: tv.State, fromReason: tv.Reason, ownerID: tv.OwnerID, change: store.StateChange{
			To: d.to, Reason: d.reason, ResolutionURL: d.url, Source: o.source, At: o.at,
			Detail: changeDetail(o.inbox.EventID, o.eventType),
		}})
		tv.State, tv.Reason, tv.StateChangedAt = d.to, d.reason, o.at
	}
	if o.signals {
		outs = append(outs, OutcomeSignals)
		if tv.LastSignalAt == nil || tv.LastSignalAt.Before(o.at) {
			at := o.at
			tv.LastSignalAt, clock.LastSignalAt = &at, &at
		}
	}
	if decisive && !stale {
		at := o.at
		tv.LastEventAt, clock.LastEventAt = &at, &at
		if advanceOwnClock(&tv.SourceClocks, o) {
			sc := tv.SourceClocks
			clock.Sources = &sc
		}
	}
	kind := o.kind
	if o.kind != model.EventHealthCheck && recordedOnly(outs) {
		kind = model.EventErrorIgnored
	}
	owner := tv.OwnerID
	if o.previous {
		owner = o.previousOwner
	}
	return model.Event{VehicleID: &tv.ID, OwnerID: owner, Kind: kind, Source: o.source,
		Detail: o.detail(outs), OccurredAt: o.at}, changes
}

// vehicles tracks (and on PostgreSQL locks) the batch's vehicles, creating
// the ones we have never seen and completing what the events tell about
// them: the Smartcar user, the host's external id, and the owner whose host
// user id that external id is.
func (p *Processor) vehicles(ctx context.Context, tx *store.Store, ids []string, obs map[string][]*observation) (map[string]store.TrackedVehicle, error) {
	tracked, err := tx.TrackVehicles(ctx, ids)
	if err != nil {
		return nil, err
	}
	var ext []string
	for _, id := range ids {
		// A known car under another Smartcar user may have a new owner,
		// named by the user's external id.
		if v, ok := tracked[id]; !ok || v.OwnerID == nil || newSmartcarUser(v.Vehicle, factsOf(obs[id])) {
			for _, o := range obs[id] {
				if o.externalID != "" {
					ext = append(ext, o.externalID)
				}
			}
		}
	}
	owners, err := tx.OwnerIDsByHostIDs(ctx, ext)
	if err != nil {
		return nil, err
	}
	var missing []store.VehicleInput
	for _, id := range ids {
		facts := factsOf(obs[id])
		var owner *int64
		if oid, ok := owners[facts.externalID]; ok && facts.externalID != "" {
			owner = &oid
		}
		v, known := tracked[id]
		if known && newSmartcarUser(v.Vehicle, facts) {
			late, err := p.previousOwnersEvents(ctx, tx, v.Vehicle, obs[id], owner)
			if err != nil {
				return nil, err
			}
			if late {
				continue
			}
			moved, err := p.changedHands(ctx, tx, v.Vehicle, facts, owner, obs[id][0].source)
			if err != nil {
				return nil, err
			}
			v.Vehicle = moved
			tracked[id] = v
			continue
		}
		if !known {
			missing = append(missing, store.VehicleInput{
				SmartcarID: id, OwnerID: owner, SmartcarUserID: facts.userID, ExternalID: facts.externalID,
				Make: facts.vehicle.Make, Model: facts.vehicle.Model, Year: facts.vehicle.Year, VIN: facts.vehicle.VIN,
			})
			continue
		}
		if (v.SmartcarUserID == "" && facts.userID != "") || (v.ExternalID == "" && facts.externalID != "") || (v.OwnerID == nil && owner != nil) {
			if err := tx.CompleteDetectedVehicle(ctx, v.Vehicle, facts.userID, facts.externalID, owner); err != nil {
				return nil, err
			}
			if v.OwnerID == nil {
				v.OwnerID = owner
			}
			tracked[id] = v
		}
	}
	if len(missing) == 0 {
		return tracked, nil
	}
	// Creating in id order keeps two processors from deadlocking on each
	// other's new rows.
	slices.SortFunc(missing, func(a, b store.VehicleInput) int { return cmp.Compare(a.SmartcarID, b.SmartcarID) })
	created := map[string]model.Vehicle{}
	for _, source := range []model.Source{model.SourceWebhook, model.SourceAPI, model.SourceHealthCheck} {
		var ins []store.VehicleInput
		for _, in := range missing {
			if obs[in.SmartcarID][0].source == source {
				ins = append(ins, in)
			}
		}
		got, err := tx.AddDetectedVehicles(ctx, ins, source)
		if err != nil {
			return nil, err
		}
		maps.Copy(created, got)
	}
	var raced []string
	for _, in := range missing {
		if v, ok := created[in.SmartcarID]; ok {
			tracked[in.SmartcarID] = store.TrackedVehicle{Vehicle: v}
		} else {
			raced = append(raced, in.SmartcarID)
		}
	}
	if len(raced) > 0 {
		// Another instance created them first; its transaction has
		// committed by now (the insert waited for it), so lock and read.
		again, err := tx.TrackVehicles(ctx, raced)
		if err != nil {
			return nil, err
		}
		for id, v := range again {
			tracked[id] = v
		}
	}
	return tracked, nil
}

// newSmartcarUser says whether events name an owned car under a Smartcar
// user other than the one that connected it: someone else granted access
// to it, so it has most likely changed hands.
func newSmartcarUser(v model.Vehicle, f facts) bool {
	return v.OwnerID != nil && v.SmartcarUserID != "" && f.userID != "" && f.userID != v.SmartcarUserID
}

// previousOwnersEvents reports whether events naming a Smartcar user other
// than the car's are the previous owner's, arriving late: the car changed
// hands, and the events either name (by external id) an owner the car had
// before, or reached us before it changed hands (a backlog, a Smartcar
// retry). Such events must not move the car back nor reopen that owner's
// episode: they are marked previous, recorded on the previous owner's
// timeline and change nothing. A car that truly goes back to a previous
// owner does so through the host or that owner's own Connect.
func (p *Processor) previousOwnersEvents(ctx context.Context, tx *store.Store, v model.Vehicle, obs []*observation, named *int64) (bool, error) {
	if v.OwnerChangedAt == nil {
		return false, nil
	}
	before, err := tx.PreviousOwnersOf(ctx, v.ID, v.OwnerID)
	if err != nil {
		return false, err
	}
	late := named != nil && slices.Contains(before, *named)
	for _, o := range obs {
		late = late || o.at.Before(*v.OwnerChangedAt)
	}
	if !late {
		return false, nil
	}
	var prev *int64
	switch {
	case named != nil && slices.Contains(before, *named):
		prev = named
	case len(before) > 0:
		prev = &before[0]
	}
	for _, o := range obs {
		o.previous, o.previousOwner = true, prev
	}
	p.log.Info("events of a car's previous owner arrived late; recorded, nothing changed", "vehicle_id", v.ID)
	return true, nil
}

// changedHands records a car that reappeared under another Smartcar user:
// it goes to the owner the user's external id names, or, when none is
// named (or it is the same owner's), it is only suspected and leaves its
// owner until the host says whose it is. The owner's own new Smartcar
// account is no change of hands. Either way the car is the new user's.
func (p *Processor) changedHands(ctx context.Context, tx *store.Store, v model.Vehicle, f facts, newOwner *int64, source model.Source) (model.Vehicle, error) {
	if newOwner == nil || *newOwner != *v.OwnerID {
		var err error
		if v, _, err = p.machine.ChangeOwner(ctx, tx, v.ID, lifecycle.OwnerMove{To: newOwner, ExternalID: f.externalID,
			Cause: model.OwnerChangeSmartcarUser, Source: source}); err != nil {
			return v, err
		}
	}
	if err := tx.SetSmartcarUser(ctx, v.ID, f.userID); err != nil {
		return v, err
	}
	v.SmartcarUserID = f.userID
	return v, nil
}

type facts struct {
	vehicle            vehicleFacts
	userID, externalID string
}

type vehicleFacts struct {
	Make, Model, VIN string
	Year             int
}

func factsOf(obs []*observation) facts {
	var f facts
	for _, o := range obs {
		f.userID = cmp.Or(f.userID, o.userID)
		f.externalID = cmp.Or(f.externalID, o.externalID)
		f.vehicle.Make = cmp.Or(f.vehicle.Make, o.vehicle.Make)
		f.vehicle.Model = cmp.Or(f.vehicle.Model, o.vehicle.Model)
		f.vehicle.VIN = cmp.Or(f.vehicle.VIN, o.vehicle.VIN)
		f.vehicle.Year = cmp.Or(f.vehicle.Year, o.vehicle.Year)
	}
	return f
}

func changeDetail(eventID, typ string) string {
	b, _ := json.Marshal(map[string]string{"event_id": eventID, "type": typ})
	return string(b)
}
