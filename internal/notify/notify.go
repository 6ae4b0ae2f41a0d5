// Package notify decides when an owner is emailed about cars that need them,
// and sends those emails.
//
// Each owner has one schedule row (owner_notifications). A lifecycle hook
// writes it in the transaction that breaks or fixes a car: a break opens an
// "episode" and sets due_at one debounce later; a fix, resolve or decline
// that leaves nothing for the owner to do closes it at once. A periodic
// sweep turns due rows into one queue job per owner (unique by owner), and
// the job re-reads everything at send time — unsubscribed, fixed, snoozed,
// quiet hours, frequency cap — so a job that has gone stale sends nothing.
//
// Each email is a row in email_messages, keyed by (owner, episode, step),
// written before the SMTP attempt and marked sent in the transaction that
// moves the schedule on. See Deliver for the exact delivery guarantee.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"time"
	_ "time/tzdata" // owners' time zones resolve even without a system zoneinfo

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"reconnect/internal/config"
	"reconnect/internal/i18n"
	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/mail"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
)

// Config says when to email and how hard to try.
type Config struct {
	AppName string
	// BaseURL is PUBLIC_BASE_URL: unsubscribe links and Message-IDs use it.
	BaseURL     string
	Debounce    time.Duration
	Reminders   []time.Duration
	Max         int
	MinInterval time.Duration
	Quiet       config.QuietHours
	// TimeZone is used for owners whose own is unknown.
	TimeZone *time.Location
	// LinkTTL is how long the links in an email work (the email says so).
	LinkTTL time.Duration
	// SweepEvery is how often due schedules are turned into jobs (by
	// default a quarter of the debounce, from 1s to 30s).
	SweepEvery time.Duration
	// RetryBase and RetryMax shape the backoff after a failed attempt;
	// MaxAttempts bounds the retries (about two days with the defaults).
	RetryBase   time.Duration
	RetryMax    time.Duration
	MaxAttempts int
	// SendTimeout bounds one SMTP attempt.
	SendTimeout time.Duration
	// UnknownRetryAfter holds back another attempt at an email whose last
	// attempt has an unknown outcome (EMAIL_UNKNOWN_RETRY_AFTER).
	UnknownRetryAfter time.Duration
	// Benefits is APP_BENEFIT by language ("charging updates"): what owners
	// keep receiving when they reconnect. Without one the sentence is left out.
	Benefits map[string]string
	// OEMLinks are the carmakers' pages for what only the carmaker can fix.
	OEMLinks *vehicletext.OEMLinks
	// LogoURL (https, or empty for none) and BrandColor dress the emails in
	// the host's brand.
	LogoURL    string
	BrandColor string
	// SupportURL and SupportEmail are where owners get help (SUPPORT_URL,
	// SUPPORT_EMAIL); every email names them when set.
	SupportURL   string
	SupportEmail string
	// ReplyTo says MAIL_REPLY_TO is set, so a reply reaches a person:
	// campaign emails say so.
	ReplyTo bool
	// EmailRate caps the emails of every kind handed to SMTP per minute,
	// by all instances together (EMAIL_RATE); CampaignRate caps those
	// carrying one campaign's notices (CAMPAIGN_RATE). 0: no cap.
	EmailRate    int
	CampaignRate int
}

func (c Config) withDefaults() Config {
	if c.Max <= 0 {
		c.Max = 3
	}
	if c.TimeZone == nil {
		c.TimeZone = time.UTC
	}
	if c.LinkTTL <= 0 {
		c.LinkTTL = 7 * 24 * time.Hour
	}
	if c.SweepEvery <= 0 {
		// A sweep adds up to its interval to the debounce; keep that small
		// next to a short debounce (the demo's), and cheap next to a long one.
		c.SweepEvery = min(max(c.Debounce/4, time.Second), 30*time.Second)
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 30 * time.Second
	}
	if c.RetryMax <= 0 {
		c.RetryMax = time.Hour
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 50
	}
	if c.UnknownRetryAfter <= 0 {
		c.UnknownRetryAfter = 30 * time.Minute
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 45 * time.Second
	}
	return c
}

// maxWait bounds the sliding debounce: cars of one owner that break one
// after another (an OEM migration) share one email, but a stream of breaks
// cannot hold it back for ever.
func (c Config) maxWait() time.Duration { return 4 * c.Debounce }

// reconnectGrace: a car the owner is reconnecting right now is left out of
// an email until they have had this long to finish.
const reconnectGrace = time.Hour

// Queue enqueues jobs inside the caller's transaction (jobs.Queue).
type Queue interface {
	InsertTx(ctx context.Context, tx *gorm.DB, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx *gorm.DB, params []river.InsertManyParams) error
}

// Service schedules and sends owner emails.
type Service struct {
	cfg    Config
	store  *store.Store
	links  *links.Service
	sender mail.Sender
	i18n   *i18n.Catalog
	log    *slog.Logger
	queue  Queue
	// campaigns, when set, has the owner's email carry due campaign
	// notices (SendCampaigns).
	campaigns Campaigns
}

// New returns the service. sender is nil when email is off: then nothing is
// scheduled, but unsubscribe links from earlier emails keep working.
func New(cfg Config, s *store.Store, l *links.Service, sender mail.Sender, q Queue, cat *i18n.Catalog, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	if cat == nil {
		cat = i18n.MustNew()
	}
	return &Service{cfg: cfg.withDefaults(), store: s, links: l, sender: sender, queue: q, i18n: cat, log: log}
}

// errNoQueue means the service was built without a queue.
var errNoQueue = errors.New("notify: no job queue")

// StateChanged is the lifecycle hook: it runs in the transaction of every
// state change.
func (s *Service) StateChanged(ctx context.Context, tx *store.Store, ch lifecycle.Change) error {
	v := ch.Vehicle
	if s.sender == nil || v.OwnerID == nil {
		return nil
	}
	switch v.State {
	case model.StateNeedsReauth, model.StateNeedsOEMAction, model.StateNeedsVirtualKey:
		return s.schedule(ctx, tx, *v.OwnerID)
	case model.StateConnected, model.StateDeclined:
		return s.stopIfNothingLeft(ctx, tx, *v.OwnerID, string(v.State))
	}
	// reconnecting: the owner is on it, and the schedule stands in case
	// they do not finish.
	return nil
}

// OwnerChanged is the lifecycle's owner hook: the previous owner is no
// longer emailed about a car that is not theirs (their episode ends when no
// other car needs them), and a broken car's new owner is.
func (s *Service) OwnerChanged(ctx context.Context, tx *store.Store, ch lifecycle.OwnerChange) error {
	if s.sender == nil {
		return nil
	}
	if ch.From != nil {
		if err := s.stopIfNothingLeft(ctx, tx, *ch.From, string(model.EventOwnerChanged)); err != nil {
			return err
		}
	}
	if ch.To != nil && !ch.Suspected && ch.Vehicle.State.NeedsOwner() && ch.Vehicle.State != model.StateReconnecting {
		return s.schedule(ctx, tx, *ch.To)
	}
	return nil
}

// schedule opens an episode (first email one debounce from now) or, while
// the first email has not gone out, slides it so that cars breaking one
// after another share it. Once an episode's first email is out, a car that
// breaks later is in the next reminder.
func (s *Service) schedule(ctx context.Context, tx *store.Store, ownerID int64) error {
	n, err := tx.NotificationForUpdate(ctx, ownerID, true)
	if err != nil {
		return err
	}
	now := tx.Now()
	due := now.Add(s.cfg.Debounce)
	switch {
	case !n.Active:
		n.Episode++
		n.Active, n.StartedAt, n.SentCount, n.FirstSentAt = true, &now, 0, nil
		n.DueAt = &due
	case n.SentCount == 0 && n.DueAt != nil:
		if n.StartedAt != nil {
			if limit := n.StartedAt.Add(s.cfg.maxWait()); due.After(limit) {
				due = limit
			}
		}
		if !due.After(*n.DueAt) {
			return nil
		}
		n.DueAt = &due
	default:
		return nil
	}
	return tx.SaveNotification(ctx, n)
}

// stopIfNothingLeft ends the owner's episode when no car needs them any
// more, which also stops every reminder already planned.
func (s *Service) stopIfNothingLeft(ctx context.Context, tx *store.Store, ownerID int64, why string) error {
	left, err := tx.CountNeedingOwner(ctx, ownerID)
	if err != nil || left > 0 {
		return err
	}
	n, err := tx.NotificationForUpdate(ctx, ownerID, false)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || !n.Active {
		return err
	}
	planned := n.DueAt != nil
	endEpisode(&n)
	if err := tx.SaveNotification(ctx, n); err != nil {
		return err
	}
	if !planned {
		return nil
	}
	return tx.AddEvent(ctx, model.Event{OwnerID: &ownerID, Kind: model.EventRemindersStopped, Source: model.SourceSystem,
		Detail: jsonDetail(map[string]any{"reason": why, "episode": n.Episode})})
}

func endEpisode(n *store.OwnerNotification) {
	n.Active, n.DueAt, n.StartedAt, n.SentCount, n.FirstSentAt = false, nil, nil, 0, nil
}

// Unsubscribed ends the owner's episode at once; call it in the
// transaction that records the unsubscribe.
func (s *Service) Unsubscribed(ctx context.Context, tx *store.Store, ownerID int64) error {
	n, err := tx.NotificationForUpdate(ctx, ownerID, false)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || !n.Active {
		return err
	}
	endEpisode(&n)
	return tx.SaveNotification(ctx, n)
}

// nextDue is when the reminder after the latest email is due, or nil when
// the cadence or the cap says there is none.
func (s *Service) nextDue(n store.OwnerNotification) *time.Time {
	i := n.SentCount - 1
	if n.SentCount >= s.cfg.Max || i < 0 || i >= len(s.cfg.Reminders) || n.FirstSentAt == nil {
		return nil
	}
	due := n.FirstSentAt.Add(s.cfg.Reminders[i])
	if n.LastSentAt != nil {
		if capAt := n.LastSentAt.Add(s.cfg.MinInterval); capAt.After(due) {
			due = capAt
		}
	}
	return &due
}

// location is the owner's time zone, or the configured default.
func (s *Service) location(o model.Owner) *time.Location {
	if o.TimeZone != "" {
		if loc, err := time.LoadLocation(o.TimeZone); err == nil {
			return loc
		}
	}
	return s.cfg.TimeZone
}

// QuietUntil reports whether t falls in the quiet hours of loc and, if so,
// when they end: the first minute after t whose wall-clock time in loc is
// outside the window. It walks the clock forward a minute at a time rather
// than building the end from a date, because on a daylight-saving day the
// end's wall time may not exist (02:30 on the night clocks jump from 02:00
// to 03:00: the window then ends at 03:00) or may exist twice (01:30 on the
// night clocks fall back: the window ends at the 01:30 that comes next).
// A day has at most 1,440 minutes to walk; an owner's send asks once.
func QuietUntil(q config.QuietHours, t time.Time, loc *time.Location) (time.Time, bool) {
	if q.Off || !q.Holds(t.In(loc)) {
		return t, false
	}
	end := t.Truncate(time.Minute)
	for range 25 * 60 {
		end = end.Add(time.Minute)
		if !q.Holds(end.In(loc)) {
			return end.UTC(), true
		}
	}
	return end.UTC(), true // a window that never ends; ParseQuietHours refuses one
}
