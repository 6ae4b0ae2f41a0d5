// Package campaign runs migration campaigns: a carmaker announces a change
// (a new platform, a new sign-in) after which its owners must sign in again,
// and Reconnect tells every affected owner ahead of the cut-over, in waves,
// and follows each vehicle until it is re-authenticated.
//
// A campaign is defined as a draft (Create, Update): a make and optional
// narrowing rules (models, model years, countries, an explicit list of
// vehicle ids or VINs), a reason, a cut-over time and a notice schedule
// (offsets from the cut-over). Preview counts its cohort live. Launch
// snapshots the cohort into campaign_vehicles, and every notice owed to
// each owner is a campaign_notices row before it is sent (the first written
// by the launch, the rest by the job it queues: SettleLaunch), so a crash
// loses and duplicates nothing; a vehicle that matches later joins on its own
// (VehicleSaved). DueNotices hands the sender what is due; completion and
// decline (StateChanged, Reauthenticated) end a vehicle's part and, when an
// owner has nothing left to do, their pending notices.
package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// Errors callers test with errors.Is (and *FieldError with errors.As). A
// missing campaign is store.ErrNotFound.
var (
	// ErrTransition: the campaign's state does not allow the action
	// (launching a cancelled campaign, editing a running one). HTTP 409.
	ErrTransition = errors.New("campaign: not allowed in the campaign's state")
	// ErrEmptyCohort: a launch found no vehicle to include. HTTP 422.
	ErrEmptyCohort = errors.New("campaign: no vehicle matches the campaign")
)

// FieldError is bad input in one field, named as the API spells it
// ("make", "custom_message.en", "notice_offsets[2]"). HTTP 422.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return "campaign: " + e.Field + " " + e.Message }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// IdempotencyKeyField names the idempotency key in errors: a key reused
// with another request body is refused as bad input in it.
const IdempotencyKeyField = "Idempotency-Key"

// HostWebhooks tells the host app that a vehicle completed a campaign,
// inside the transaction that recorded it (hostwebhook.Notifier's
// Campaigns). Nil sends nothing.
type HostWebhooks interface {
	CampaignVehicleCompleted(ctx context.Context, tx *store.Store, campaignID int64, v model.Vehicle, source model.Source, at time.Time) error
	// CampaignPaused: the campaign paused itself for reason, with the
	// last wave's numbers.
	CampaignPaused(ctx context.Context, tx *store.Store, c model.Campaign, reason model.PauseReason, h store.WaveHealth, at time.Time) error
}

// Service runs campaigns over the store. Its clock is the store's.
type Service struct {
	store     *store.Store
	lifecycle *lifecycle.Machine
	host      HostWebhooks
	settings  Settings
	// autoPauses counts auto-pauses; nil counts nothing.
	autoPauses *AutoPauses
	// safety spaces slow inline safety checks (shared by the copies
	// Recorded makes).
	safety *safetyRuns
	// queue, when set, takes a launch's settling (SettleLater).
	queue Queue
}

// New returns the service. lc changes vehicle states when the host reports
// a re-authentication it ran itself; host may be nil. Register the service
// on lc (AddHook, AddVehicleHook) so that completions and late joins are
// seen.
func New(s *store.Store, lc *lifecycle.Machine, host HostWebhooks) *Service {
	return &Service{store: s, lifecycle: lc, host: host, safety: &safetyRuns{}}
}

// Cohort counts a campaign's vehicles: how many, their distinct owners, by
// current connection state, and how many cannot be told (no owner, or an
// owner without an email address).
type Cohort = store.CohortCounts

// Counts are a launched campaign's cumulative funnel: vehicles notified,
// opened, started, completed, declined, failed, of Vehicles.
type Counts = store.FunnelCounts

// Get reads a campaign; store.ErrNotFound when there is none.
func (s *Service) Get(ctx context.Context, id int64) (model.Campaign, error) {
	return s.store.CampaignByID(ctx, id)
}

// List lists campaigns newest first, a page (ids below p.Before) at a time.
func (s *Service) List(ctx context.Context, p store.Page) ([]model.Campaign, error) {
	return s.store.Campaigns(ctx, p)
}

// Counts reads a campaign's funnel (all zero for a draft).
func (s *Service) Counts(ctx context.Context, id int64) (Counts, error) {
	if _, err := s.store.CampaignByID(ctx, id); err != nil {
		return Counts{}, err
	}
	return s.store.CampaignFunnel(ctx, id)
}

// Preview counts a campaign's cohort: a draft's live match of its rules, a
// launched campaign's snapshot, each by the vehicles' current states.
func (s *Service) Preview(ctx context.Context, id int64) (Cohort, error) {
	c, err := s.store.CampaignByID(ctx, id)
	if err != nil {
		return Cohort{}, err
	}
	if c.State == model.CampaignDraft {
		return s.store.CountCohort(ctx, store.CohortFilterOf(c))
	}
	return s.store.CountCampaignCohort(ctx, id)
}

// PreviewInput counts the cohort a campaign defined by in would have now,
// without saving anything; bad input is a *FieldError.
func (s *Service) PreviewInput(ctx context.Context, in Input) (Cohort, error) {
	c, err := in.campaign()
	if err != nil {
		return Cohort{}, err
	}
	f := store.CohortFilterOf(c)
	if in.VehicleIDs != nil {
		f.Refs = normalizeRefs(in.VehicleIDs)
	}
	return s.store.CountCohort(ctx, f)
}

// VehiclePage selects a window of a campaign's vehicles: those after the
// vehicle id After (0 for the first page), at most Limit (1–500, default 50).
type VehiclePage struct {
	After int64
	Limit int
}

// Vehicles is one page of a campaign's vehicles; Next is the After of the
// following page, 0 when this is the last.
type Vehicles struct {
	Rows []store.CampaignVehicleRow
	Next int64
}

// VehiclesPage lists a launched campaign's vehicles with their owners and
// funnel steps, by vehicle id. query, when set, keeps vehicles whose VIN or
// Smartcar id, or whose owner's email address, starts with it.
func (s *Service) VehiclesPage(ctx context.Context, id int64, query string, p VehiclePage) (Vehicles, error) {
	if _, err := s.store.CampaignByID(ctx, id); err != nil {
		return Vehicles{}, err
	}
	limit := p.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.store.CampaignVehicles(ctx, id, query, p.After, limit+1)
	if err != nil {
		return Vehicles{}, err
	}
	out := Vehicles{Rows: rows}
	if len(rows) > limit {
		out.Rows = rows[:limit]
		out.Next = rows[limit-1].VehicleID
	}
	return out, nil
}

// Pause stops a running campaign's notices until Resume; ErrTransition
// unless it is running.
func (s *Service) Pause(ctx context.Context, id int64) (model.Campaign, error) {
	return s.move(ctx, id, model.CampaignPaused)
}

// Resume restarts a paused campaign; notices that fell due meanwhile go out
// (one per owner: see DueNotices). ErrTransition unless it is paused.
//
// A campaign that paused itself released its later wave only if the hold
// passed without trouble: owners not yet released when it paused wait a
// full WaveHold from the resume, so the wave that caused the pause is
// watched again before the rest hear from us.
func (s *Service) Resume(ctx context.Context, id int64) (model.Campaign, error) {
	return s.move(ctx, id, model.CampaignRunning)
}

// Finish ends a running or paused campaign as planned and withdraws its
// pending notices; ErrTransition otherwise.
func (s *Service) Finish(ctx context.Context, id int64) (model.Campaign, error) {
	return s.move(ctx, id, model.CampaignFinished)
}

// Cancel calls a campaign off (a draft, or a running or paused one) and
// withdraws its pending notices; ErrTransition when it is already over.
func (s *Service) Cancel(ctx context.Context, id int64) (model.Campaign, error) {
	return s.move(ctx, id, model.CampaignCancelled)
}

// move is every transition but the launch.
func (s *Service) move(ctx context.Context, id int64, to model.CampaignState) (model.Campaign, error) {
	var out model.Campaign
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		c, err := tx.LockCampaign(ctx, id)
		if err != nil {
			return err
		}
		if !c.State.CanMoveTo(to) || to == model.CampaignRunning && c.State == model.CampaignDraft {
			return fmt.Errorf("%w: %s cannot become %s", ErrTransition, c.State, to)
		}
		if moved, err := tx.MoveCampaign(ctx, id, c.State, to, tx.Now()); err != nil {
			return err
		} else if !moved {
			return fmt.Errorf("%w: it changed meanwhile", ErrTransition)
		}
		if to == model.CampaignRunning && c.AutoPaused() && c.PausedAt != nil && c.WaveHold > 0 {
			if _, err := tx.HoldUnreleased(ctx, id, *c.PausedAt, tx.Now().Add(c.WaveHold)); err != nil {
				return err
			}
		}
		if to == model.CampaignFinished || to == model.CampaignCancelled {
			if _, err := tx.CancelCampaignNotices(ctx, id, "", string(to)); err != nil {
				return err
			}
		}
		out, err = tx.CampaignByID(ctx, id)
		return err
	})
	return out, err
}
