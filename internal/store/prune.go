// Tables owner_links, connect_states, rate_limits, webhook_events,
// host_webhook_deliveries, staff_sessions, impersonations: pruning old rows.

package store

import (
	"context"
	"time"
)

// prunable is the one list of tables Prune deletes old rows from, each with
// the column that dates a row. Only operational tables belong here; the
// timeline (vehicle_events) and the audit log are never pruned, and neither is
// any table not listed.
var prunable = []struct{ table, column string }{
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
