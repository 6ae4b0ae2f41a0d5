// Table audit_log: the append-only record of what staff did.

package store

import (
	"context"
	"fmt"
	"time"

	"reconnect/internal/model"
)

// AuditEntry is one line of the append-only audit log: who (staff), whose
// account (owner), what, why, and from where. The store only ever inserts
// these; the database refuses updates and deletes.
type AuditEntry struct {
	ID              int64
	StaffID         *int64
	StaffEmail      string
	OwnerID         *int64
	OwnerHostUserID string
	Action          model.AuditAction
	Reason          string
	Detail          string
	IP              string `gorm:"column:ip"`
	UserAgent       string
	At              time.Time
}

// TableName pins the table.
func (AuditEntry) TableName() string { return "audit_log" }

// AppendAudit adds one entry.
func (s *Store) AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	if e.Action == "" {
		return AuditEntry{}, fmt.Errorf("store: append audit: action: %w", ErrInvalid)
	}
	e.ID = 0
	if e.At.IsZero() {
		e.At = s.now()
	}
	return e, wrap(s.q(ctx).Create(&e).Error, "append audit %s", e.Action)
}

// AuditFilter narrows the audit log. Before pages newest-first by id.
type AuditFilter struct {
	StaffID *int64
	OwnerID *int64
	Action  model.AuditAction
	Before  int64
	Limit   int
}

// AuditEntries lists entries newest first.
func (s *Store) AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	q := s.q(ctx)
	if f.StaffID != nil {
		q = q.Where("staff_id = ?", *f.StaffID)
	}
	if f.OwnerID != nil {
		q = q.Where("owner_id = ?", *f.OwnerID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []AuditEntry
	return out, wrap(q.Order("id DESC").Limit(limit).Find(&out).Error, "audit entries")
}
