package notify

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"reconnect/internal/store"
)

// rateWindow is the window EMAIL_RATE and CAMPAIGN_RATE count in.
const rateWindow = time.Minute

// Rate buckets in rate_limits: every email, one campaign's emails, and the
// senders that found a bucket full in the current window (their place in
// the queue).
const (
	emailRateBucket    = "email_rate"
	campaignRateBucket = "campaign_rate:"
	rateQueueSuffix    = ":queue"
)

// takeSendSlots takes, inside the transaction that claims the email, one
// slot of each campaign's rate and one of the overall rate. ok is false
// when one was full; next is then when the email should try again.
//
// The rates hold across every instance sharing the database because the
// count lives there: a fixed one-minute window per bucket in rate_limits,
// taken with one conditional upsert (store.Take), the same table the
// sign-in limits use. A token row refilled by a clock would need a
// read-modify-write under a lock per send; a counter per window needs one
// statement, and the window's boundary allows at most two windows' worth
// in any sixty seconds, which is what "per minute" means to a mail server.
// The slot commits with the claim, so an email whose transaction rolls
// back gives it back. The campaign slots are taken first: when the overall
// rate is full they are lost for this minute, which only slows that
// campaign a little, never lets more through.
//
// A sender that finds a bucket full counts itself in the bucket's queue
// for this window and waits as many windows as there are senders ahead of
// it divided by the rate, at a random moment in that window; so a backlog
// of thousands is spread over the minutes it needs instead of all of it
// trying again every minute.
func (s *Service) takeSendSlots(ctx context.Context, tx *store.Store, campaigns []int64, now time.Time) (next time.Time, ok bool, err error) {
	type bucket struct {
		name string
		max  int
	}
	var buckets []bucket
	if s.cfg.CampaignRate > 0 {
		for _, id := range campaigns {
			buckets = append(buckets, bucket{campaignRateBucket + strconv.FormatInt(id, 10), s.cfg.CampaignRate})
		}
	}
	if s.cfg.EmailRate > 0 {
		buckets = append(buckets, bucket{emailRateBucket, s.cfg.EmailRate})
	}
	for _, b := range buckets {
		took, err := tx.Take(ctx, b.name, rateWindow, b.max)
		if err != nil {
			return time.Time{}, false, err
		}
		if took {
			continue
		}
		ahead, err := tx.Enqueue(ctx, b.name+rateQueueSuffix, rateWindow)
		if err != nil {
			return time.Time{}, false, err
		}
		windows := 1 + (ahead-1)/b.max
		start := now.Truncate(rateWindow).Add(time.Duration(windows) * rateWindow)
		return start.Add(rand.N(rateWindow)), false, nil
	}
	return time.Time{}, true, nil
}
