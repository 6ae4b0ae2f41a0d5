// No table: helpers for the queries that scan rows by hand.

package store

import (
	"database/sql"
	"time"
)

type scanner interface{ Scan(dest ...any) error }

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}
