package campaign

import (
	"context"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// Progress is how far a launched campaign has come, for the console's
// campaign page: owners told of all owners, when the next notice is due,
// and the cumulative funnel. A draft's is all zero.
type Progress struct {
	// Owners is how many owners the snapshot holds; OwnersNotified how
	// many of them were sent a notice.
	Owners         int64
	OwnersNotified int64
	// NextNoticeAt is when the earliest pending notice is due; nil when
	// none is pending (a draft, or every notice sent or withdrawn).
	NextNoticeAt *time.Time
	Counts       Counts
}

// Progress reads a campaign's progress; store.ErrNotFound when there is
// no such campaign.
func (s *Service) Progress(ctx context.Context, id int64) (Progress, error) {
	var p Progress
	if _, err := s.store.CampaignByID(ctx, id); err != nil {
		return p, err
	}
	owners, err := s.store.CampaignOwners(ctx, id)
	if err != nil {
		return p, err
	}
	p.Owners, p.OwnersNotified = owners.Owners, owners.Notified
	if n, ok, err := s.store.NextPendingNotice(ctx, id); err != nil {
		return p, err
	} else if ok {
		p.NextNoticeAt = &n.DueAt
	}
	p.Counts, err = s.store.CampaignFunnel(ctx, id)
	return p, err
}

// Recorded runs one of the service's changes (a Create, a Launch, a Pause…)
// together with rec, which writes the trail of who asked for it (the
// console's audit entry), in one transaction: the change and its record
// commit together or not at all. The change's own transaction becomes a
// savepoint inside this one. rec sees the campaign as the change left it.
func (s *Service) Recorded(ctx context.Context, change func(*Service) (model.Campaign, error), rec func(tx *store.Store, c model.Campaign) error) (model.Campaign, error) {
	var out model.Campaign
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		in := *s
		in.store = tx
		c, err := change(&in)
		if err != nil {
			return err
		}
		out = c
		return rec(tx, c)
	})
	return out, err
}
