// Package audit is the append-only trail of what support staff did and whose
// account they looked into: written in the same transaction as the action it
// records, listed in the console, exported as CSV.
package audit

import (
	"context"
	"io"
	"strconv"
	"time"

	"reconnect/internal/csvexport"
	"reconnect/internal/model"
	"reconnect/internal/probe"
	"reconnect/internal/store"
)

// Actor is the staff member acting, and from where.
type Actor struct {
	StaffID    int64
	StaffEmail string
	IP         string
	UserAgent  string
}

// Entry is one thing to record. Owner is the account it concerns, if any.
type Entry struct {
	Actor  Actor
	Owner  *model.Owner
	Action model.AuditAction
	Reason string
	Detail string
}

// Log writes and reads the audit log.
type Log struct {
	store *store.Store
}

// New returns the audit log over a store.
func New(st *store.Store) *Log { return &Log{store: st} }

// RecordLook appends e for a page that staff looked at (an owner, a
// search, a page viewed as the owner, an export). A probe (HEAD) runs the
// page without anybody seeing it, so it is not a look and leaves no entry.
// Actions use Record: whatever they change is recorded, probe or not.
func (l *Log) RecordLook(ctx context.Context, e Entry) error {
	if probe.Is(ctx) {
		return nil
	}
	return l.Record(ctx, nil, e)
}

// Record appends e, inside tx when given so that the action and its trail
// commit together (or not at all).
func (l *Log) Record(ctx context.Context, tx *store.Store, e Entry) error {
	if tx == nil {
		tx = l.store
	}
	row := store.AuditEntry{
		StaffEmail: store.Clip(e.Actor.StaffEmail, 320), Action: e.Action,
		Reason: store.Clip(e.Reason, 1000), Detail: store.Clip(e.Detail, 2000),
		IP: store.Clip(e.Actor.IP, 64), UserAgent: store.Clip(e.Actor.UserAgent, 512),
	}
	if e.Actor.StaffID != 0 {
		id := e.Actor.StaffID
		row.StaffID = &id
	}
	if e.Owner != nil {
		// Only the id: the store names the owner by their pseudonym.
		id := e.Owner.ID
		row.OwnerID = &id
	}
	_, err := tx.AppendAudit(ctx, row)
	return err
}

// List returns a page of entries, newest first.
func (l *Log) List(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	return l.store.AuditEntries(ctx, f)
}

// CSVHeader is the first line of an export.
var CSVHeader = []string{"id", "at", "staff_id", "staff_email", "owner_id", "owner_ref", "action", "reason", "detail", "ip", "user_agent", "prev_hash", "hash"}

// WriteCSV streams every entry matching f (newest first) as CSV, a batch at
// a time, so an export of any size needs constant memory.
func (l *Log) WriteCSV(ctx context.Context, w io.Writer, f store.AuditFilter) error {
	cw := csvexport.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	f.Limit = 1000
	for {
		rows, err := l.store.AuditEntries(ctx, f)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := cw.Write(csvRow(r)); err != nil {
				return err
			}
		}
		if err := cw.Flush(); err != nil {
			return err
		}
		if len(rows) < f.Limit {
			return nil
		}
		f.Before = rows[len(rows)-1].ID
	}
}

func csvRow(r store.AuditEntry) []string {
	id := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	return []string{
		strconv.FormatInt(r.ID, 10), r.At.UTC().Format(time.RFC3339), id(r.StaffID), r.StaffEmail,
		id(r.OwnerID), r.OwnerRef, string(r.Action), r.Reason, r.Detail,
		r.IP, r.UserAgent, r.PrevHash, r.Hash,
	}
}
