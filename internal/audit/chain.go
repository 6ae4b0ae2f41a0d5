package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// Break is the first row at which the chain does not hold.
type Break struct {
	ID     int64
	Reason string
}

// Verification is what walking the chain found.
type Verification struct {
	Rows   int
	Legacy int    // rows from before the chain, covered by the first chained row
	Head   string // the hash the next row will chain to; keep a copy elsewhere to detect a cut tail
	// Anchor is the prune anchor the remaining chain starts at, if it was
	// pruned.
	Anchor *Anchor
	Break  *Break
}

// OK reports whether every row verified.
func (v Verification) OK() bool { return v.Break == nil }

// Anchor is the detail of an audit.pruned row: what prune-audit removed and
// the hash of the last row removed, which the first remaining row chains to.
type Anchor struct {
	Before   time.Time `json:"before"`
	Rows     int64     `json:"rows"`
	FirstID  int64     `json:"first_id"`
	LastID   int64     `json:"last_id"`
	LastHash string    `json:"last_hash"`
}

// Verify walks the whole chain, oldest row first, and reports the first
// row that does not match: a changed row fails its own hash, and an
// inserted or removed row breaks the link of the row after it.
func (l *Log) Verify(ctx context.Context) (Verification, error) {
	return verify(ctx, l.store, 0, nil)
}

// verify walks the rows (those with id < stopAt only, when stopAt > 0),
// calling each with the row and its link hash.
func verify(ctx context.Context, st *store.Store, stopAt int64, each func(store.AuditEntry, string)) (Verification, error) {
	anchors, err := anchorsOf(ctx, st)
	if err != nil {
		return Verification{}, err
	}
	var v Verification
	prev, chained, first := "", false, true
	errStop := fmt.Errorf("stop")
	err = st.AuditChain(ctx, func(e store.AuditEntry) error {
		if stopAt > 0 && e.ID >= stopAt {
			return errStop
		}
		if first {
			// A pruned chain starts where its newest anchor says it does.
			first = false
			for i := range anchors {
				if a := anchors[i]; a.LastID < e.ID && (v.Anchor == nil || a.LastID > v.Anchor.LastID) {
					v.Anchor = &a
				}
			}
			if v.Anchor != nil {
				prev = v.Anchor.LastHash
			}
		}
		v.Rows++
		switch {
		case e.Hash == "" && chained:
			v.Break = &Break{e.ID, "a row without a hash inside the chain (inserted)"}
		case e.Hash == "":
			v.Legacy++
			prev = store.AuditHash(prev, e)
		case e.PrevHash != prev:
			v.Break = &Break{e.ID, "does not follow the row before it (a row before it was changed, inserted or removed)"}
		case store.AuditHash(prev, e) != e.Hash:
			v.Break = &Break{e.ID, "its content does not match its hash (changed)"}
		default:
			chained, prev = true, e.Hash
		}
		if v.Break != nil {
			return errStop
		}
		if each != nil {
			each(e, prev)
		}
		return nil
	})
	if err != nil && err != errStop {
		return v, err
	}
	v.Head = prev
	return v, nil
}

func anchorsOf(ctx context.Context, st *store.Store) ([]Anchor, error) {
	var out []Anchor
	f := store.AuditFilter{Action: model.AuditPruned, Limit: 1000}
	for {
		rows, err := st.AuditEntries(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			var a Anchor
			if json.Unmarshal([]byte(r.Detail), &a) == nil && a.LastHash != "" {
				out = append(out, a)
			}
		}
		if len(rows) < f.Limit {
			return out, nil
		}
		f.Before = rows[len(rows)-1].ID
	}
}

// PruneResult says what Prune removed.
type PruneResult struct {
	Rows   int64
	Anchor store.AuditEntry
}

// Prune removes the rows older than before (the oldest run of rows, so the
// chain stays one piece) and appends an anchor row that names them and the
// hash of the last one, in one transaction. It refuses when the rows to be
// removed do not verify: pruning must not erase the evidence of tampering.
// On PostgreSQL it needs the audit table's owner (see secure-audit).
func (l *Log) Prune(ctx context.Context, before time.Time, by Actor) (PruneResult, error) {
	var res PruneResult
	err := l.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.LockAuditChain(ctx); err != nil {
			return err
		}
		cut, err := tx.AuditCut(ctx, before)
		if err != nil {
			return err
		}
		var a Anchor
		v, err := verify(ctx, tx, cut, func(e store.AuditEntry, link string) {
			if a.FirstID == 0 {
				a.FirstID = e.ID
			}
			a.Rows++
			a.LastID, a.LastHash = e.ID, link
		})
		if err != nil {
			return err
		}
		if v.Break != nil {
			return fmt.Errorf("audit: row %d %s; not pruning", v.Break.ID, v.Break.Reason)
		}
		if a.Rows == 0 {
			return nil
		}
		// The anchor first, chained to the current head, then the deletion:
		// its id is above the cut, so it stays.
		a.Before = before.UTC()
		detail, _ := json.Marshal(a)
		res.Rows = a.Rows
		res.Anchor, err = tx.AppendAudit(ctx, store.AuditEntry{
			Action: model.AuditPruned, Detail: string(detail),
			StaffEmail: by.StaffEmail, IP: by.IP, UserAgent: by.UserAgent,
		})
		if err != nil {
			return err
		}
		return tx.DeleteAuditBefore(ctx, cut)
	})
	return res, err
}
