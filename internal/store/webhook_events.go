// Table webhook_events: the inbox of received events, and its log for staff.

package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"reconnect/internal/database"
)

// Inbox sources: where an event came from.
const (
	InboxSmartcar = "smartcar" // a signed Smartcar webhook
	InboxHost     = "host"     // an API error forwarded by the host backend
	InboxHealth   = "health"   // our own health check
)

// Inbox statuses.
const (
	InboxPending   = "pending"
	InboxProcessed = "processed"
	InboxFailed    = "failed" // could not be applied; kept with the error for staff
)

// InboxEvent is one recorded input waiting for, or done with, processing.
type InboxEvent struct {
	ID          int64
	EventID     string
	Source      string
	EventType   string
	VehicleID   string // the Smartcar vehicle id, when the event names one
	Body        []byte
	DeliveredAt *time.Time
	ReceivedAt  time.Time
	ProcessedAt *time.Time
	Status      string
	Error       string
}

// TableName pins the table name.
func (InboxEvent) TableName() string { return "webhook_events" }

// inboxColumns is the insert column list.
const inboxColumns = "event_id, source, event_type, vehicle_id, body, delivered_at, received_at, status"

// RecordInbox inserts events in one transaction and reports, per event, whether
// it was new (false: its event_id was recorded before, or earlier in the same
// batch). It is the hot path of the webhook receiver, so it speaks plain SQL
// in one multi-row statement instead of going through GORM.
func (s *Store) RecordInbox(ctx context.Context, events []InboxEvent) ([]bool, error) {
	fresh, err := s.recordInbox(ctx, events)
	// The insert goes past GORM, so readiness is told how it went here.
	database.NoteWrite(s.db, err, slices.Contains(fresh, true))
	return fresh, err
}

func (s *Store) recordInbox(ctx context.Context, events []InboxEvent) ([]bool, error) {
	fresh := make([]bool, len(events))
	if len(events) == 0 {
		return fresh, nil
	}
	sqldb, err := s.db.DB()
	if err != nil {
		return nil, wrap(err, "record inbox")
	}
	// One row per event_id: a retry racing its first delivery in the same
	// batch is a duplicate, not a conflict.
	first := make(map[string]int, len(events))
	unique := make([]int, 0, len(events))
	for i, e := range events {
		if _, seen := first[e.EventID]; !seen {
			first[e.EventID] = i
			unique = append(unique, i)
		}
	}
	// Rows go in in one global order (by event id), so two instances that
	// got the same events at once (Smartcar retrying while the first attempt
	// is in flight) wait on each other at most once and never deadlock.
	slices.SortFunc(unique, func(a, b int) int { return strings.Compare(events[a].EventID, events[b].EventID) })
	var inserted map[string]bool
	if s.postgres() {
		inserted, err = s.insertInboxPostgres(ctx, sqldb, events, unique)
	} else {
		inserted, err = s.insertInboxSQLite(ctx, sqldb, events, unique)
	}
	if err != nil {
		return nil, err
	}
	for id, i := range first {
		fresh[i] = inserted[id]
	}
	return fresh, nil
}

// inboxTimes gives an event's receipt time (now when unset) and its
// delivery time (nil when unknown), in UTC.
func (s *Store) inboxTimes(e InboxEvent) (received time.Time, delivered *time.Time) {
	received = e.ReceivedAt.UTC()
	if e.ReceivedAt.IsZero() {
		received = s.now()
	}
	if e.DeliveredAt != nil && !e.DeliveredAt.IsZero() {
		t := e.DeliveredAt.UTC()
		delivered = &t
	}
	return received, delivered
}

const inboxConflict = " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"

// postgresInboxInsert inserts a batch given as arrays, in event id order.
// Its WHERE skips events already recorded before the unique index is asked:
// ON CONFLICT alone waits for any transaction that holds the existing row,
// and the processor holds it, updated, for its whole batch. A duplicate
// (Smartcar retrying while another instance already recorded the event) then
// waited for the batch and could miss the commit limit (503). Rows in flight
// in another writer's uncommitted batch are invisible here and still meet ON
// CONFLICT, a wait of one short commit.
//
// The check is a scalar subquery, one index lookup per event, rather than
// NOT EXISTS: the planner turns NOT EXISTS into a hash anti join that reads
// the whole inbox when the table looks small, and pgx's prepared statement
// kept that plan as the inbox grew (twice the database's CPU per event after
// 60,000 events, and more the longer it ran).
const postgresInboxInsert = "INSERT INTO webhook_events (" + inboxColumns + ") SELECT e, s, t, v, b, d, r, '" + InboxPending + "'" +
	" FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::timestamptz[], $7::timestamptz[]) AS u(e, s, t, v, b, d, r)" +
	" WHERE (SELECT w.id FROM webhook_events w WHERE w.event_id = u.e) IS NULL ORDER BY e" + inboxConflict

// insertInboxPostgres inserts events[unique] in one statement for any batch
// size (columns as arrays, unnest), which pgx prepares once per connection,
// and returns the event ids that went in. The statement commits by itself:
// one statement is all or nothing, and without BEGIN and COMMIT a batch is
// one round trip instead of three.
func (s *Store) insertInboxPostgres(ctx context.Context, db *sql.DB, events []InboxEvent, unique []int) (map[string]bool, error) {
	n := len(unique)
	ids, sources, types, vehicles := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	bodies, deliv, recv := make([][]byte, n), make([]*time.Time, n), make([]time.Time, n)
	for k, i := range unique {
		e := events[i]
		ids[k], sources[k], types[k], vehicles[k], bodies[k] = e.EventID, e.Source, e.EventType, e.VehicleID, e.Body
		recv[k], deliv[k] = s.inboxTimes(e)
	}
	rows, err := db.QueryContext(ctx, postgresInboxInsert, ids, sources, types, vehicles, bodies, deliv, recv)
	if err != nil {
		return nil, wrap(err, "record inbox: insert %d", n)
	}
	defer rows.Close()
	inserted := make(map[string]bool, n)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(err, "record inbox: scan")
		}
		inserted[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "record inbox: rows")
	}
	// Close reads on to the end of the statement, its commit included.
	if err := rows.Close(); err != nil {
		return nil, wrap(err, "record inbox: commit")
	}
	return inserted, nil
}

const sqliteInboxInsert = "INSERT INTO webhook_events (" + inboxColumns + ") VALUES (?,?,?,?,?,?,?,'" + InboxPending + "')" + inboxConflict

// insertInboxSQLite inserts events[unique] in one transaction, one row at a
// time through the one-row insert prepared for the life of the store: SQLite
// runs in-process, so there are no round trips to save, and a multi-row
// statement would be parsed afresh for every batch (its text changes with the
// batch's size) where the one-row statement is parsed once and only bound and
// stepped.
func (s *Store) insertInboxSQLite(ctx context.Context, db *sql.DB, events []InboxEvent, unique []int) (map[string]bool, error) {
	insert, err := s.inboxInsert.prepare(ctx, db)
	if err != nil {
		return nil, wrap(err, "record inbox: prepare")
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrap(err, "record inbox: begin")
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	stmt := tx.StmtContext(ctx, insert)
	inserted := make(map[string]bool, len(unique))
	for _, i := range unique {
		e := events[i]
		received, delivered := s.inboxTimes(e)
		var d any
		if delivered != nil {
			d = *delivered
		}
		var id string
		err := stmt.QueryRowContext(ctx, e.EventID, e.Source, e.EventType, e.VehicleID, e.Body, d, received).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows): // recorded before
		case err != nil:
			return nil, wrap(err, "record inbox: insert %s", e.EventID)
		default:
			inserted[id] = true
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, wrap(err, "record inbox: commit")
	}
	return inserted, nil
}

// ClaimInbox returns up to limit pending events, oldest first, for processing
// inside the transaction s belongs to. On PostgreSQL the rows stay locked until
// that transaction ends and other instances skip them, so each event is
// processed by one instance at a time; SQLite has a single writer anyway.
func (s *Store) ClaimInbox(ctx context.Context, limit int) ([]InboxEvent, error) {
	q := s.claimRows(s.q(ctx).Where("processed_at IS NULL").Order("id").Limit(limit))
	var es []InboxEvent
	err := q.Find(&es).Error
	return es, wrap(err, "claim inbox")
}

// ClaimInboxByID claims one pending event, like ClaimInbox.
func (s *Store) ClaimInboxByID(ctx context.Context, id int64) ([]InboxEvent, error) {
	q := s.claimRows(s.q(ctx).Where("id = ? AND processed_at IS NULL", id))
	var es []InboxEvent
	err := q.Find(&es).Error
	return es, wrap(err, "claim inbox event #%d", id)
}

// FinishInbox marks events processed (or failed, with the reason) in the
// caller's transaction, the same one that applied their effects.
func (s *Store) FinishInbox(ctx context.Context, ids []int64, status, reason string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.q(ctx).Model(&InboxEvent{}).Where("id IN ?", ids).
		Updates(map[string]any{"processed_at": s.now(), "status": status, "error": reason}).Error
	return wrap(err, "finish inbox (%d)", len(ids))
}

// InboxByEventID finds a recorded event by its event id.
func (s *Store) InboxByEventID(ctx context.Context, eventID string) (InboxEvent, error) {
	var e InboxEvent
	err := s.q(ctx).Where("event_id = ?", eventID).Take(&e).Error
	return e, wrap(err, "inbox event %s", eventID)
}

// InboxPendingCount counts events not yet processed.
func (s *Store) InboxPendingCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&InboxEvent{}).Where("processed_at IS NULL").Count(&n).Error
	return n, wrap(err, "count pending inbox")
}

// InboxCount counts events with one status.
func (s *Store) InboxCount(ctx context.Context, status string) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&InboxEvent{}).Where("status = ?", status).Count(&n).Error
	return n, wrap(err, "count %s inbox", status)
}

// RetryFailedInbox puts a failed event back in line for the processor, in
// the caller's transaction, and returns it as it was (with its error). It
// is ErrNotFound unless the event exists and failed: a processed event is
// never applied twice.
func (s *Store) RetryFailedInbox(ctx context.Context, id int64) (InboxEvent, error) {
	var e InboxEvent
	if err := s.q(ctx).Where("id = ? AND status = ?", id, InboxFailed).Take(&e).Error; err != nil {
		return e, wrap(err, "failed inbox event #%d", id)
	}
	res := s.q(ctx).Model(&InboxEvent{}).Where("id = ? AND status = ?", id, InboxFailed).
		Updates(map[string]any{"processed_at": nil, "status": InboxPending, "error": ""})
	if res.Error != nil {
		return e, wrap(res.Error, "retry inbox event #%d", id)
	}
	if res.RowsAffected != 1 {
		return e, wrap(ErrNotFound, "failed inbox event #%d", id)
	}
	return e, nil
}

// InboundWebhookRow is a line of the inbound webhook log (the inbox, without
// the body).
type InboundWebhookRow struct {
	ID          int64
	EventID     string
	Source      string
	EventType   string
	VehicleID   string
	ReceivedAt  time.Time
	ProcessedAt *time.Time
	Status      string
	Error       string
}

// InboundWebhooks lists recorded webhooks and reported errors, newest first;
// status narrows to one inbox status.
func (s *Store) InboundWebhooks(ctx context.Context, status string, p Page) ([]InboundWebhookRow, error) {
	q := s.q(ctx).Table("webhook_events").
		Select("id, event_id, source, event_type, vehicle_id, received_at, processed_at, status, error")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var out []InboundWebhookRow
	return out, wrap(p.scope(q).Scan(&out).Error, "inbound webhooks")
}
