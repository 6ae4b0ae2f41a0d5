// Tables owner_link_codes, owner_links, connect_states, rate_limits, webhook_events,
// host_webhook_deliveries, staff_sessions, impersonations: pruning old rows;
// and the retention of the timeline and of email contents.

package store

import (
	"context"
	"time"
)

// prunable is the one list of tables Prune deletes old rows from, each with
// the column that dates a row. Only operational tables belong here; the
// timeline (vehicle_events) and email contents follow their own retention
// (PruneHistory), the audit log only prune-audit, and no table not listed
// is pruned.
var prunable = []struct{ table, column string }{
	{"owner_link_codes", "expires_at"},
	{"owner_links", "expires_at"},
	{"connect_states", "expires_at"},
	{"rate_limits", "window_start"},
	{"webhook_events", "received_at"},
	{"host_webhook_deliveries", "created_at"},
	{"staff_sessions", "expires_at"},
	{"impersonations", "expires_at"},
}

// Prune deletes operational rows older than before.
func (s *Store) Prune(ctx context.Context, before time.Time) error {
	for _, p := range prunable {
		if err := s.q(ctx).Exec("DELETE FROM "+p.table+" WHERE "+p.column+" < ?", before).Error; err != nil {
			return wrap(err, "prune %s", p.table)
		}
	}
	return nil
}

// RetentionBatch is how many rows one retention statement touches at most.
const RetentionBatch = 1000

// HistoryPruned says what PruneHistory did: rows removed or cleared, and in
// how many statements (each its own short transaction).
type HistoryPruned struct {
	Events, Emails             int64
	EventBatches, EmailBatches int
}

// PruneHistory applies the retention: timeline events older than
// timelineBefore go, and emails older than emailsBefore lose their personal
// text, batch rows per statement until none is left.
func (s *Store) PruneHistory(ctx context.Context, timelineBefore, emailsBefore time.Time, batch int) (HistoryPruned, error) {
	var r HistoryPruned
	for {
		n, err := s.PruneEventsBatch(ctx, timelineBefore, batch)
		if err != nil {
			return r, err
		}
		r.Events += n
		r.EventBatches++
		if n < int64(batch) {
			break
		}
	}
	for {
		n, err := s.ClearEmailContentBatch(ctx, emailsBefore, batch)
		if err != nil {
			return r, err
		}
		r.Emails += n
		r.EmailBatches++
		if n < int64(batch) {
			break
		}
	}
	return r, nil
}
