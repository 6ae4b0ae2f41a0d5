// Table staff: the support team's accounts.

package store

import (
	"context"
	"fmt"
	"time"
)

// Staff roles: agents search, view, impersonate and send links; admins also
// manage staff and read the audit log and the operational dashboards.
const (
	RoleAgent = "agent"
	RoleAdmin = "admin"
)

// ValidRole reports whether r is a staff role.
func ValidRole(r string) bool { return r == RoleAgent || r == RoleAdmin }

// Staff is a member of the support team.
type Staff struct {
	ID                   int64
	Email                string
	Name                 string
	Role                 string
	PasswordHash         string
	FailedAttempts       int
	LockedUntil          *time.Time
	PasswordTokenHash    *string
	PasswordTokenExpires *time.Time
	DisabledAt           *time.Time
	LastLoginAt          *time.Time
	// Locale is the console language the staff member chose ("de"); empty
	// follows their browser.
	Locale    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName pins the table, since GORM would guess "staffs".
func (Staff) TableName() string { return "staff" }

// CreateStaff adds a staff member; ErrConflict when the email is taken.
func (s *Store) CreateStaff(ctx context.Context, st Staff) (Staff, error) {
	st.Email = normalizeEmail(st.Email)
	if st.Email == "" || !ValidRole(st.Role) {
		return Staff{}, fmt.Errorf("store: create staff: %w", ErrInvalid)
	}
	now := s.now()
	st.CreatedAt, st.UpdatedAt = now, now
	return st, wrap(s.q(ctx).Create(&st).Error, "create staff %s", st.Email)
}

// StaffByID finds a staff member by id.
func (s *Store) StaffByID(ctx context.Context, id int64) (Staff, error) {
	var st Staff
	return st, wrap(s.q(ctx).Take(&st, id).Error, "staff #%d", id)
}

// StaffByEmail finds a staff member by email, case-insensitively.
func (s *Store) StaffByEmail(ctx context.Context, email string) (Staff, error) {
	var st Staff
	err := s.q(ctx).Where("email = ?", normalizeEmail(email)).Take(&st).Error
	return st, wrap(err, "staff by email")
}

// StaffByPasswordToken finds the staff member a password link was made for,
// expired or not: the caller decides what an expired link may still do.
func (s *Store) StaffByPasswordToken(ctx context.Context, tokenHash string) (Staff, error) {
	var st Staff
	err := s.q(ctx).Where("password_token_hash = ?", tokenHash).Take(&st).Error
	return st, wrap(err, "staff by password token")
}

// ListStaff lists every staff member, by email.
func (s *Store) ListStaff(ctx context.Context) ([]Staff, error) {
	var out []Staff
	return out, wrap(s.q(ctx).Order("email").Find(&out).Error, "list staff")
}

func (s *Store) updateStaff(ctx context.Context, id int64, what string, cols map[string]any) error {
	cols["updated_at"] = s.now()
	res := s.q(ctx).Model(&Staff{}).Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		return wrap(res.Error, "%s of staff #%d", what, id)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: %s of staff #%d: %w", what, id, ErrNotFound)
	}
	return nil
}

// SetStaffPasswordToken replaces any earlier password link with a new one.
func (s *Store) SetStaffPasswordToken(ctx context.Context, id int64, tokenHash string, expires time.Time) error {
	return s.updateStaff(ctx, id, "password link", map[string]any{"password_token_hash": tokenHash, "password_token_expires": expires})
}

// SetStaffPassword stores a new hash, spends the password link and lifts a
// lockout: whoever holds a valid link is the account's owner.
func (s *Store) SetStaffPassword(ctx context.Context, id int64, hash string) error {
	return s.updateStaff(ctx, id, "password", map[string]any{
		"password_hash": hash, "password_token_hash": nil, "password_token_expires": nil,
		"failed_attempts": 0, "locked_until": nil,
	})
}

// LockStaffByEmail refuses sign-ins to the account with that email until
// `until`. An email nobody has changes nothing, by the same statement, so
// that a refusal costs the same whether or not the account exists.
func (s *Store) LockStaffByEmail(ctx context.Context, email string, until time.Time) error {
	err := s.q(ctx).Model(&Staff{}).Where("email = ?", email).
		Updates(map[string]any{"locked_until": until, "updated_at": s.now()}).Error
	return wrap(err, "lock staff %s", email)
}

// RecordStaffLogin notes a successful sign-in and forgets earlier failures.
func (s *Store) RecordStaffLogin(ctx context.Context, id int64) error {
	return s.updateStaff(ctx, id, "login", map[string]any{"failed_attempts": 0, "locked_until": nil, "last_login_at": s.now()})
}

// SetStaffDisabled disables (or re-enables) an account.
func (s *Store) SetStaffDisabled(ctx context.Context, id int64, disabled bool) error {
	var at any
	if disabled {
		at = s.now()
	}
	return s.updateStaff(ctx, id, "disable", map[string]any{"disabled_at": at})
}

// UnlockStaff lifts a lockout before it runs out.
func (s *Store) UnlockStaff(ctx context.Context, id int64) error {
	return s.updateStaff(ctx, id, "unlock", map[string]any{"failed_attempts": 0, "locked_until": nil})
}

// SetStaffLocale stores the console language a staff member chose ("" to
// follow the browser); ErrNotFound for an unknown id.
func (s *Store) SetStaffLocale(ctx context.Context, id int64, locale string) error {
	return s.updateStaff(ctx, id, "locale", map[string]any{"locale": locale})
}
