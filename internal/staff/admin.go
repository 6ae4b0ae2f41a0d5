package staff

import (
	"context"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// SetDisabled disables an account, which ends its sessions at their next
// request, or enables it again.
func (s *Service) SetDisabled(ctx context.Context, by audit.Actor, staffID int64, disabled bool) error {
	return s.store.Tx(ctx, func(tx *store.Store) error {
		st, err := tx.StaffByID(ctx, staffID)
		if err != nil {
			return err
		}
		if err := tx.SetStaffDisabled(ctx, staffID, disabled); err != nil {
			return err
		}
		action := model.AuditStaffEnabled
		if disabled {
			action = model.AuditStaffDisabled
		}
		return s.audit.Record(ctx, tx, audit.Entry{Actor: by, Action: action, Detail: st.Email})
	})
}

// Unlock lifts a lockout.
func (s *Service) Unlock(ctx context.Context, by audit.Actor, staffID int64) error {
	return s.store.Tx(ctx, func(tx *store.Store) error {
		st, err := tx.StaffByID(ctx, staffID)
		if err != nil {
			return err
		}
		if err := tx.UnlockStaff(ctx, staffID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Actor: by, Action: model.AuditStaffUnlocked, Detail: st.Email})
	})
}

// List lists every staff member.
func (s *Service) List(ctx context.Context) ([]store.Staff, error) { return s.store.ListStaff(ctx) }
