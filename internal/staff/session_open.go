package staff

import (
	"context"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// openSession starts a console session for a staff member who has proved
// who they are (a password, or the identity provider), inside tx: the
// sign-in is recorded, the session row made and the sign-in audited
// together. detail says how they signed in, empty for a password.
func (s *Service) openSession(ctx context.Context, tx *store.Store, st store.Staff, from audit.Actor, detail string) (Session, string, error) {
	token := store.NewSecret("")
	if err := tx.RecordStaffLogin(ctx, st.ID); err != nil {
		return Session{}, "", err
	}
	ss, err := tx.CreateStaffSession(ctx, store.StaffSession{
		TokenHash: store.HashSecret(token), StaffID: st.ID, IP: from.IP, UserAgent: store.Clip(from.UserAgent, 512),
		ExpiresAt: tx.Now().Add(s.cfg.SessionMaxAge),
	})
	if err != nil {
		return Session{}, "", err
	}
	from.StaffID, from.StaffEmail = st.ID, st.Email
	if err := s.audit.Record(ctx, tx, audit.Entry{Actor: from, Action: model.AuditStaffLogin, Detail: detail}); err != nil {
		return Session{}, "", err
	}
	return Session{Staff: st, Session: ss}, token, nil
}
