package staff

import (
	"context"
	"fmt"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// SetLanguage stores the console language cur chose: a supported tag such
// as "de", or "" to follow the browser's Accept-Language. The caller checks
// the tag against the catalogue; the change is audited like every other
// change to an account, in the same transaction.
func (s *Service) SetLanguage(ctx context.Context, cur Session, by audit.Actor, tag string) error {
	return s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SetStaffLocale(ctx, cur.Staff.ID, tag); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Actor: by, Action: model.AuditStaffLanguageSet,
			Detail: fmt.Sprintf("%s: %s → %s", cur.Staff.Email, orBrowser(cur.Staff.Locale), orBrowser(tag))})
	})
}

func orBrowser(tag string) string {
	if tag == "" {
		return "browser"
	}
	return tag
}
