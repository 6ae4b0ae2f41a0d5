// Table campaign_notice_counts: how many notices of each step of a
// campaign's schedule were sent, counted as each is sent.

package store

import (
	"context"
	"strconv"
)

// NoticeCount is how many of a campaign's notices of one step were sent.
type NoticeCount struct {
	Kind          NoticeKind
	OffsetSeconds int64
	Revision      int
	Sent          int64
}

// Key names the step as the funnel's attribution does
// ("scheduled:-1209600:0").
func (n NoticeCount) Key() string {
	return string(n.Kind) + ":" + strconv.FormatInt(n.OffsetSeconds, 10) + ":" + strconv.Itoa(n.Revision)
}

// countNoticeSent adds the notice (just marked sent) to its step's count.
func (s *Store) countNoticeSent(ctx context.Context, noticeID int64) error {
	err := s.q(ctx).Exec(`INSERT INTO campaign_notice_counts (campaign_id, kind, offset_seconds, revision, sent)
		SELECT campaign_id, kind, offset_seconds, revision, 1 FROM campaign_notices WHERE id = ?
		ON CONFLICT (campaign_id, kind, offset_seconds, revision) DO UPDATE SET sent = campaign_notice_counts.sent + 1`, noticeID).Error
	return wrap(err, "count notice #%d", noticeID)
}

// CampaignNoticeCounts lists the steps of the campaign of which at least
// one notice was sent, with how many.
func (s *Store) CampaignNoticeCounts(ctx context.Context, campaignID int64) ([]NoticeCount, error) {
	var out []NoticeCount
	err := s.q(ctx).Raw(`SELECT kind, offset_seconds, revision, sent FROM campaign_notice_counts WHERE campaign_id = ?
		ORDER BY revision, offset_seconds`, campaignID).Scan(&out).Error
	return out, wrap(err, "notice counts of campaign #%d", campaignID)
}
