// Table audit_log: the append-only, hash-chained record of what staff and
// operators did.

package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"reconnect/internal/model"
)

// AuditEntry is one line of the append-only audit log: who (staff), whose
// account (owner, by id and by pseudonym), what, why, and from where. The
// store only ever inserts these; the database refuses updates, deletes and
// replacements. PrevHash and Hash chain each row to the one before it.
type AuditEntry struct {
	ID         int64
	StaffID    *int64
	StaffEmail string
	OwnerID    *int64
	// OwnerRef is the owner's pseudonym (owners.audit_id), filled in by
	// AppendAudit from OwnerID.
	OwnerRef  string
	Action    model.AuditAction
	Reason    string
	Detail    string
	IP        string `gorm:"column:ip"`
	UserAgent string
	At        time.Time
	PrevHash  string
	Hash      string
}

// TableName pins the table.
func (AuditEntry) TableName() string { return "audit_log" }

// auditChainLock is the PostgreSQL advisory lock that serializes chain
// appends across connections and instances: two appends reading the same
// last hash would fork the chain. SQLite has one connection, so its
// transactions are already one at a time.
const auditChainLock = 0x61756469 // "audi"

// AppendAudit adds one entry at the end of the hash chain, in the caller's
// transaction when there is one (so the action and its trail commit
// together). The owner's pseudonym is read here, so callers need only know
// the owner's id.
func (s *Store) AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	if e.Action == "" {
		return AuditEntry{}, fmt.Errorf("store: append audit: action: %w", ErrInvalid)
	}
	e.ID, e.OwnerRef = 0, ""
	if e.At.IsZero() {
		e.At = s.now()
	}
	// Both databases keep microseconds; the hash must cover what is stored.
	e.At = e.At.UTC().Truncate(time.Microsecond)
	err := s.Tx(ctx, func(tx *Store) error {
		if err := tx.LockAuditChain(ctx); err != nil {
			return err
		}
		if e.OwnerID != nil {
			var ref []string
			if err := tx.q(ctx).Raw("SELECT audit_id FROM owners WHERE id = ?", *e.OwnerID).Scan(&ref).Error; err != nil {
				return wrap(err, "owner pseudonym #%d", *e.OwnerID)
			}
			if len(ref) == 1 {
				e.OwnerRef = ref[0]
			}
		}
		prev, err := tx.auditHead(ctx)
		if err != nil {
			return err
		}
		e.PrevHash = prev
		e.Hash = AuditHash(prev, e)
		return wrap(tx.q(ctx).Create(&e).Error, "append audit %s", e.Action)
	})
	return e, err
}

// LockAuditChain holds the chain for the rest of the transaction, so no
// other transaction appends (or prunes) meanwhile. Taking it twice in one
// transaction is fine: PostgreSQL's advisory locks stack per session.
func (s *Store) LockAuditChain(ctx context.Context) error {
	if !s.postgres() {
		return nil
	}
	return wrap(s.q(ctx).Exec("SELECT pg_advisory_xact_lock(?)", auditChainLock).Error, "lock audit chain")
}

// AuditCut is the id of the oldest row at or after before: the rows below
// it are the oldest run of rows older than before. With no such row it is
// one past the newest row.
func (s *Store) AuditCut(ctx context.Context, before time.Time) (int64, error) {
	var cut []int64
	if err := s.q(ctx).Raw("SELECT COALESCE(MIN(id), 0) FROM audit_log WHERE at >= ?", before).Scan(&cut).Error; err != nil {
		return 0, wrap(err, "audit cut")
	}
	if len(cut) == 1 && cut[0] > 0 {
		return cut[0], nil
	}
	var last []int64
	err := s.q(ctx).Raw("SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log").Scan(&last).Error
	if err != nil || len(last) != 1 {
		return 0, wrap(err, "audit cut")
	}
	return last[0], nil
}

// DeleteAuditBefore removes the rows with id < cut: the one deletion the
// audit log allows, for prune-audit, which records it in the chain. The
// append-only triggers are lifted for this transaction only; on PostgreSQL
// that needs the table's owner, which a restricted app role is not.
func (s *Store) DeleteAuditBefore(ctx context.Context, cut int64) error {
	stmts := []string{
		"DROP TRIGGER audit_log_no_delete",
		"DELETE FROM audit_log WHERE id < ?",
		"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
	}
	if s.postgres() {
		stmts = []string{
			"ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
			"DELETE FROM audit_log WHERE id < ?",
			"ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change",
		}
	}
	return s.Tx(ctx, func(tx *Store) error {
		for _, q := range stmts {
			var args []any
			if q == "DELETE FROM audit_log WHERE id < ?" {
				args = append(args, cut)
			}
			if err := tx.q(ctx).Exec(q, args...).Error; err != nil {
				return wrap(err, "prune audit log")
			}
		}
		return nil
	})
}

// auditHead is the hash the next row chains to: the last row's, or, while
// the last row predates the chain (hash ""), the hash the rows before the
// chain would have had, computed over all of them once.
func (s *Store) auditHead(ctx context.Context) (string, error) {
	var last []AuditEntry
	if err := s.q(ctx).Order("id DESC").Limit(1).Find(&last).Error; err != nil {
		return "", wrap(err, "audit head")
	}
	if len(last) == 0 {
		return "", nil
	}
	if last[0].Hash != "" {
		return last[0].Hash, nil
	}
	head := ""
	err := s.AuditChain(ctx, func(e AuditEntry) error {
		head = AuditHash(head, e)
		return nil
	})
	return head, err
}

// AuditHash is a row's link in the chain: SHA-256 over a fixed version tag,
// the previous row's hash and every field but the id (the id comes from the
// database after the hash is computed; the chain itself fixes the order).
// Each field is length-prefixed, so no two different rows encode alike.
func AuditHash(prev string, e AuditEntry) string {
	id := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	h := sha256.New()
	for _, f := range []string{
		"reconnect-audit-v1", prev, id(e.StaffID), e.StaffEmail, id(e.OwnerID), e.OwnerRef,
		string(e.Action), e.Reason, e.Detail, e.IP, e.UserAgent,
		e.At.UTC().Format("2006-01-02T15:04:05.000000Z"),
	} {
		fmt.Fprintf(h, "%d:%s,", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditChain calls fn with every row, oldest first, a batch at a time.
func (s *Store) AuditChain(ctx context.Context, fn func(AuditEntry) error) error {
	var after int64
	for {
		var rows []AuditEntry
		if err := s.q(ctx).Where("id > ?", after).Order("id").Limit(1000).Find(&rows).Error; err != nil {
			return wrap(err, "audit chain")
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(rows) < 1000 {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// newAuditID is a fresh owner pseudonym: 128 random bits, so it says nothing
// about the owner and cannot be guessed from anything they are.
func newAuditID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AuditFilter narrows the audit log. Before pages newest-first by id.
type AuditFilter struct {
	StaffID *int64
	OwnerID *int64
	// OwnerRefs keeps the rows about any of these owners, by the pseudonym
	// the rows carry (owners.audit_id); a non-nil empty list keeps none.
	OwnerRefs []string
	// StaffEmail keeps one staff member's rows, by the address they had
	// (case-insensitive).
	StaffEmail string
	Action     model.AuditAction
	// From and To bound the time, From included and To not; zero is open.
	From, To time.Time
	Before   int64
	Limit    int
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
	if f.OwnerRefs != nil {
		if len(f.OwnerRefs) == 0 {
			q = q.Where("1 = 0")
		} else {
			q = q.Where("owner_ref IN ?", f.OwnerRefs)
		}
	}
	if f.StaffEmail != "" {
		q = q.Where("LOWER(staff_email) = ?", strings.ToLower(f.StaffEmail))
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
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

// SecureAuditTable hands the audit table (its identity sequence follows it)
// and its trigger function to ownerRole and leaves appRole only INSERT and
// SELECT on it: then the app's own credentials cannot update, delete,
// truncate, alter the table or drop its triggers. PostgreSQL only; run by a
// DBA (a superuser, or a member of both roles), once; running it again
// changes nothing. It returns warnings about what would still let appRole
// undo it.
func (s *Store) SecureAuditTable(ctx context.Context, ownerRole, appRole string) ([]string, error) {
	if !s.postgres() {
		return nil, fmt.Errorf("store: secure audit table: PostgreSQL only: %w", ErrInvalid)
	}
	if ownerRole == "" || appRole == "" || ownerRole == appRole {
		return nil, fmt.Errorf("store: secure audit table: two different roles: %w", ErrInvalid)
	}
	var seq []string
	if err := s.q(ctx).Raw("SELECT pg_get_serial_sequence('audit_log', 'id')").Scan(&seq).Error; err != nil || len(seq) != 1 {
		return nil, wrap(err, "audit sequence")
	}
	owner, app := quoteIdent(ownerRole), quoteIdent(appRole)
	err := s.Tx(ctx, func(tx *Store) error {
		for _, q := range []string{
			"ALTER TABLE audit_log OWNER TO " + owner,
			"ALTER FUNCTION audit_log_append_only() OWNER TO " + owner,
			"REVOKE ALL ON audit_log FROM PUBLIC",
			"REVOKE ALL ON audit_log FROM " + app,
			"GRANT INSERT, SELECT ON audit_log TO " + app,
			"REVOKE ALL ON SEQUENCE " + seq[0] + " FROM " + app,
			"GRANT USAGE ON SEQUENCE " + seq[0] + " TO " + app,
		} {
			if err := tx.q(ctx).Exec(q).Error; err != nil {
				return wrap(err, "secure audit table: %s", q)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Owning the schema (or the database, through pg_database_owner) lets a
	// role drop any table in it, ours included; membership in the owner
	// role gives everything back.
	var warn []struct {
		SchemaOwner bool
		Member      bool
		Super       bool
	}
	err = s.q(ctx).Raw(`SELECT pg_has_role(?, n.nspowner, 'USAGE') AS schema_owner,
		pg_has_role(?, ?, 'USAGE') AS member,
		(SELECT rolsuper FROM pg_roles WHERE rolname = ?) AS super
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = 'audit_log'::regclass`, appRole, appRole, ownerRole, appRole).Scan(&warn).Error
	if err != nil || len(warn) != 1 {
		return nil, wrap(err, "check roles")
	}
	var out []string
	if warn[0].SchemaOwner {
		out = append(out, fmt.Sprintf("%s owns the schema of audit_log (or the database), so it can still drop the table: give the schema to another role", appRole))
	}
	if warn[0].Member {
		out = append(out, fmt.Sprintf("%s is a member of %s and so has its rights: revoke the membership", appRole, ownerRole))
	}
	if warn[0].Super {
		out = append(out, fmt.Sprintf("%s is a superuser: nothing restricts it", appRole))
	}
	return out, nil
}

// quoteIdent quotes a PostgreSQL identifier (a role name from the command
// line), doubling any quote inside it.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
