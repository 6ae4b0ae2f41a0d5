// Table campaign_funnel_days: how many of a campaign's vehicles were first
// notified, opened and completed on each UTC day, kept up to date with
// campaign_funnel_counts.

package store

import "context"

// FunnelDay is how many of a campaign's vehicles reached the steps of the
// chart on one UTC day ("2027-03-01").
type FunnelDay struct {
	Day       string
	Notified  int64
	Opened    int64
	Completed int64
}

// utcDay is the UTC calendar day of a timestamp column as YYYY-MM-DD.
// SQLite keeps the store's UTC times as text that starts with the date.
func (s *Store) utcDay(col string) string {
	if s.postgres() {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "substr(" + col + ", 1, 10)"
}

// CampaignFunnelDays counts, per UTC day, the campaign's vehicles (narrowed
// by f) first notified, opened and completed that day, in day order, as of
// the last refresh (RefreshCampaignFunnel); days on which nothing happened
// are left out.
func (s *Store) CampaignFunnelDays(ctx context.Context, campaignID int64, f FunnelFilter) ([]FunnelDay, error) {
	where, args := f.where()
	var out []FunnelDay
	err := s.q(ctx).Raw(`SELECT day, SUM(notified) AS notified, SUM(opened) AS opened, SUM(completed) AS completed
		FROM campaign_funnel_days WHERE campaign_id = ?`+where+` GROUP BY day ORDER BY day`, append([]any{campaignID}, args...)...).
		Scan(&out).Error
	return out, wrap(err, "funnel days of campaign #%d", campaignID)
}
