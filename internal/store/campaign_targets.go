// Table campaign_targets: a campaign's explicit vehicle list (Smartcar ids or VINs).

package store

import (
	"context"
	"strings"
)

// targetBatch is how many list lines one INSERT carries: well under both
// databases' limits on bound parameters.
const targetBatch = 1000

// ClearCampaignTargets empties the campaign's vehicle list, before an
// upload writes the whole list again (in the same transaction).
func (s *Store) ClearCampaignTargets(ctx context.Context, campaignID int64) error {
	err := s.q(ctx).Exec("DELETE FROM campaign_targets WHERE campaign_id = ?", campaignID).Error
	return wrap(err, "clear list of campaign #%d", campaignID)
}

// AddCampaignTargets appends refs to the campaign's list; a ref already
// there is kept once.
func (s *Store) AddCampaignTargets(ctx context.Context, campaignID int64, refs []string) error {
	for len(refs) > 0 {
		n := min(len(refs), targetBatch)
		var b strings.Builder
		b.WriteString("INSERT INTO campaign_targets (campaign_id, ref) VALUES ")
		args := make([]any, 0, 2*n)
		for i, r := range refs[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?)")
			args = append(args, campaignID, r)
		}
		b.WriteString(" ON CONFLICT DO NOTHING")
		if err := s.q(ctx).Exec(b.String(), args...).Error; err != nil {
			return wrap(err, "add %d lines to the list of campaign #%d", n, campaignID)
		}
		refs = refs[n:]
	}
	return nil
}

// TargetMatch says how a campaign's list matched the vehicles we know.
type TargetMatch struct {
	// Lines is how many distinct refs the list holds; Matched how many of
	// them name a vehicle (by Smartcar id or VIN).
	Lines   int64
	Matched int64
	// Unmatched holds up to the asked-for number of refs that name no vehicle.
	Unmatched []string
}

// MatchCampaignTargets counts the list's refs that name a known vehicle and
// returns the first `limit` that do not, sorted.
func (s *Store) MatchCampaignTargets(ctx context.Context, campaignID int64, limit int) (TargetMatch, error) {
	var m TargetMatch
	const missing = `FROM campaign_targets t WHERE t.campaign_id = ?
		AND NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.smartcar_id = t.ref)
		AND NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.vin = UPPER(t.ref))`
	if err := s.q(ctx).Raw("SELECT COUNT(*) FROM campaign_targets WHERE campaign_id = ?", campaignID).Scan(&m.Lines).Error; err != nil {
		return m, wrap(err, "count list of campaign #%d", campaignID)
	}
	var unmatched int64
	if err := s.q(ctx).Raw("SELECT COUNT(*) "+missing, campaignID).Scan(&unmatched).Error; err != nil {
		return m, wrap(err, "match list of campaign #%d", campaignID)
	}
	m.Matched = m.Lines - unmatched
	m.Unmatched = []string{}
	err := s.q(ctx).Raw("SELECT t.ref "+missing+" ORDER BY t.ref LIMIT ?", campaignID, limit).Scan(&m.Unmatched).Error
	return m, wrap(err, "unmatched lines of campaign #%d", campaignID)
}
