package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"reconnect/internal/model"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

// The auto-pause thresholds, over the last wave since its release (or the
// campaign's last resume). Gmail and Yahoo start refusing bulk senders
// whose spam complaint rate passes 0.3 %; a bounce rate over a few percent
// says the address list is stale or the domain's mail is misconfigured;
// Connect failing for a fifth of owners says the repair path is broken.
// Each needs a minimum count so that the first two failures of a wave do
// not stop it.
const (
	MinEmailsForSafety  = 50
	MaxBounceRate       = 0.05
	MaxComplaintRate    = 0.003
	MinConnectForSafety = 20
	MaxConnectErrorRate = 0.20
)

// WaveHealth is how the last wave went: see store.WaveHealth.
type WaveHealth = store.WaveHealth

// Tripped names the threshold h passes, or "" when the wave is healthy.
func Tripped(h WaveHealth) model.PauseReason {
	if h.Emails >= MinEmailsForSafety {
		if float64(h.Complaints) > MaxComplaintRate*float64(h.Emails) {
			return model.PauseComplaints
		}
		if float64(h.Failed+h.Bounced) > MaxBounceRate*float64(h.Emails) {
			return model.PauseBounces
		}
	}
	if h.ConnectAttempts >= MinConnectForSafety && float64(h.ConnectErrors) > MaxConnectErrorRate*float64(h.ConnectAttempts) {
		return model.PauseConnectErrors
	}
	return ""
}

// Settings are the service's defaults from configuration: the waves of a
// campaign created without its own (CAMPAIGN_FIRST_WAVE, CAMPAIGN_WAVE_HOLD).
type Settings struct {
	// FirstWave is a percentage, 1–100; 0 leaves 100 (no waves).
	FirstWave int
	// WaveHold is how long the later wave waits; 0: none.
	WaveHold time.Duration
}

// Configure sets the defaults; call it before the service is used.
func (s *Service) Configure(st Settings) { s.settings = st }

// AutoPauses counts the campaigns that paused themselves, by reason:
// reconnect_campaign_auto_pauses_total{reason}.
type AutoPauses struct{ total *prometheus.CounterVec }

// NewAutoPauses registers the counter on reg.
func NewAutoPauses(reg prometheus.Registerer) *AutoPauses {
	m := &AutoPauses{total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "reconnect", Name: "campaign_auto_pauses_total",
		Help: "Campaigns that paused themselves because their last wave bounced, drew complaints or failed at Connect, by reason.",
	}, []string{"reason"})}
	for _, r := range model.PauseReasons {
		m.total.WithLabelValues(string(r))
	}
	reg.MustRegister(m.total)
	return m
}

// ObserveAutoPauses has every auto-pause counted by m.
func (s *Service) ObserveAutoPauses(m *AutoPauses) { s.autoPauses = m }

// CheckSafety pauses the campaign when it is running and its last wave
// passes a threshold (Tripped), inside tx: the pause, its reason and
// numbers, an audit entry, the host's campaign.paused webhook and the
// counter go together with whatever tx records. paused is true when this
// call paused it. It is cheap enough to run after every failed or bounced
// email; the periodic check (SafetyWorker) catches a wave that tips over
// on a success.
func (s *Service) CheckSafety(ctx context.Context, tx *store.Store, campaignID int64) (paused bool, err error) {
	if tx == nil {
		tx = s.store
	}
	c, err := tx.CampaignByID(ctx, campaignID)
	if err != nil || c.State != model.CampaignRunning {
		return false, err
	}
	now := tx.Now()
	var after time.Time
	if c.ResumedAt != nil {
		after = *c.ResumedAt
	}
	start := time.Now()
	h, err := tx.CampaignWaveHealth(ctx, campaignID, now, after, string(smartcar.ConnectAccessDenied))
	s.safety.done(campaignID, start, time.Now(), h.Emails+h.ConnectAttempts)
	if err != nil {
		return false, err
	}
	reason := Tripped(h)
	if reason == "" {
		return false, nil
	}
	// The conditional move makes one caller the one that paused it, when
	// several failures are recorded at once.
	if moved, err := tx.MoveCampaign(ctx, campaignID, model.CampaignRunning, model.CampaignPaused, now); err != nil || !moved {
		return false, err
	}
	detail, _ := json.Marshal(h)
	if err := tx.SetCampaignPause(ctx, campaignID, reason, string(detail)); err != nil {
		return false, err
	}
	audit, _ := json.Marshal(map[string]any{"campaign_id": campaignID, "name": c.Name, "reason": reason, "health": h})
	if _, err := tx.AppendAudit(ctx, store.AuditEntry{Action: model.AuditCampaignAutoPaused, Detail: store.Clip(string(audit), 2000)}); err != nil {
		return false, err
	}
	if s.host != nil {
		if err := s.host.CampaignPaused(ctx, tx, c, reason, h, now); err != nil {
			return false, err
		}
	}
	if s.autoPauses != nil {
		s.autoPauses.total.WithLabelValues(string(reason)).Inc()
	}
	return true, nil
}

// Inline checks (after a refused or bounced email, a failed Connect) cost
// what counting the last wave costs: milliseconds for a wave of hundreds,
// a second or more for a wave of 100,000 on a small server. A check of a
// big wave (bigSafetyWave emails or more) that took longer than
// slowSafetyCheck is not repeated inline by this instance for
// safetyCheckSpacing times its duration, so the checks take at most about
// 5 % of the time however many emails fail; the periodic check
// (SafetyWorker) and the next inline one after the gap catch up. There one
// more email moves the ratio by less than 0.05 %. Smaller waves, where a
// few emails tip the ratio, are checked every time, however slow the
// server is at the moment.
const (
	slowSafetyCheck    = 50 * time.Millisecond
	safetyCheckSpacing = 20
	bigSafetyWave      = 2000
)

// safetyRuns remembers when each campaign was last checked by this
// instance and how long it took.
type safetyRuns struct {
	mu   sync.Mutex
	last map[int64]safetyRun
}

type safetyRun struct {
	end  time.Time
	took time.Duration
	// counted is how many emails and Connect trips the check counted.
	counted int64
}

// due reports whether an inline check of the campaign may run now.
func (r *safetyRuns) due(id int64, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	run, ok := r.last[id]
	return !ok || run.counted < bigSafetyWave || run.took < slowSafetyCheck || now.Sub(run.end) >= safetyCheckSpacing*run.took
}

func (r *safetyRuns) done(id int64, start, end time.Time, counted int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[int64]safetyRun{}
	}
	r.last[id] = safetyRun{end: end, took: end.Sub(start), counted: counted}
}

// checkInline is CheckSafety unless a slow check of the campaign ran just
// now (see slowSafetyCheck).
func (s *Service) checkInline(ctx context.Context, tx *store.Store, id int64) error {
	if !s.safety.due(id, time.Now()) {
		return nil
	}
	_, err := s.CheckSafety(ctx, tx, id)
	return err
}

// checkNotices runs the inline check for each campaign of ns, once.
func (s *Service) checkNotices(ctx context.Context, tx *store.Store, ns []OwnerNotice) error {
	seen := map[int64]bool{}
	for _, n := range ns {
		if id := n.Notice.CampaignID; !seen[id] {
			seen[id] = true
			if err := s.checkInline(ctx, tx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// EmailReported runs CheckSafety, in tx, for the campaigns whose notices
// the email with this Message-ID carried: the host's mail provider said it
// bounced or drew a complaint.
func (s *Service) EmailReported(ctx context.Context, tx *store.Store, messageID string) error {
	ids, err := tx.CampaignsOfEmail(ctx, messageID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.checkInline(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// SafetyArgs asks for every running campaign to be checked.
type SafetyArgs struct{}

// Kind names the job.
func (SafetyArgs) Kind() string { return "campaign_safety" }

// SafetyWorker checks every running campaign (CheckSafety), each in its
// own transaction.
type SafetyWorker struct {
	river.WorkerDefaults[SafetyArgs]
	Campaigns *Service
}

// Work runs the checks.
func (w *SafetyWorker) Work(ctx context.Context, _ *river.Job[SafetyArgs]) error {
	ids, err := w.Campaigns.store.RunningCampaignIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		err := w.Campaigns.store.Tx(ctx, func(tx *store.Store) error {
			_, err := w.Campaigns.CheckSafety(ctx, tx, id)
			return err
		})
		if err != nil {
			return fmt.Errorf("campaign: safety of #%d: %w", id, err)
		}
	}
	return nil
}

// AutoPaused lists the campaigns paused because they paused themselves,
// newest first, for the console's banner.
func (s *Service) AutoPaused(ctx context.Context) ([]model.Campaign, error) {
	return s.store.AutoPausedCampaigns(ctx)
}

// ConnectFailed runs CheckSafety for the running campaigns the vehicle is
// in, after a trip to Connect for it ended in an error (repair's
// observer): a wave whose repairs keep failing stops at once rather than
// at the next periodic check.
func (s *Service) ConnectFailed(ctx context.Context, vehicleID int64) error {
	vcs, err := s.store.LiveCampaignsOfVehicle(ctx, vehicleID)
	if err != nil {
		return err
	}
	for _, vc := range vcs {
		if vc.Campaign.State != model.CampaignRunning {
			continue
		}
		err := s.store.Tx(ctx, func(tx *store.Store) error { return s.checkInline(ctx, tx, vc.Campaign.ID) })
		if err != nil {
			return err
		}
	}
	return nil
}
