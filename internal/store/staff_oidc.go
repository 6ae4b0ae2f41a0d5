// Table staff: the identity at the company's OpenID Connect provider that an
// account signs in with (columns oidc_issuer, oidc_subject).

package store

import (
	"context"
	"database/sql"
	"fmt"
)

// StaffByOIDC finds the staff member an identity at a provider belongs to.
func (s *Store) StaffByOIDC(ctx context.Context, issuer, subject string) (Staff, error) {
	var st Staff
	err := s.q(ctx).Where("oidc_issuer = ? AND oidc_subject = ?", issuer, subject).Take(&st).Error
	return st, wrap(err, "staff by identity")
}

// StaffOIDC is the identity an account is linked to; both empty when it has
// none.
func (s *Store) StaffOIDC(ctx context.Context, id int64) (issuer, subject string, err error) {
	var row struct{ OIDCIssuer, OIDCSubject sql.NullString }
	err = s.q(ctx).Model(&Staff{}).Select("oidc_issuer AS oidc_issuer, oidc_subject AS oidc_subject").
		Where("id = ?", id).Take(&row).Error
	if err != nil {
		return "", "", wrap(err, "identity of staff #%d", id)
	}
	return row.OIDCIssuer.String, row.OIDCSubject.String, nil
}

// LinkStaffOIDC records the identity an account signs in with;
// ErrConflict when another account has it.
func (s *Store) LinkStaffOIDC(ctx context.Context, id int64, issuer, subject string) error {
	if issuer == "" || subject == "" {
		return fmt.Errorf("store: link staff #%d: %w", id, ErrInvalid)
	}
	return s.updateStaff(ctx, id, "identity", map[string]any{"oidc_issuer": issuer, "oidc_subject": subject})
}

// SetStaffRole changes an account's role.
func (s *Store) SetStaffRole(ctx context.Context, id int64, role string) error {
	if !ValidRole(role) {
		return fmt.Errorf("store: role of staff #%d: %w", id, ErrInvalid)
	}
	return s.updateStaff(ctx, id, "role", map[string]any{"role": role})
}
