package config

import "time"

// Console sets the support console's security policies.
type Console struct {
	// IdleTimeout signs staff out after this long without a request.
	IdleTimeout time.Duration `env:"STAFF_SESSION_IDLE_TIMEOUT" envDefault:"30m"`
	// SessionMaxAge signs staff out however busy they are.
	SessionMaxAge time.Duration `env:"STAFF_SESSION_MAX_AGE" envDefault:"12h"`
	// MaxFailures wrong passwords in a row lock an account for LockFor.
	MaxFailures int           `env:"STAFF_LOGIN_MAX_FAILURES" envDefault:"5"`
	LockFor     time.Duration `env:"STAFF_LOCKOUT_DURATION" envDefault:"15m"`
	// PasswordLinkTTL is how long a set-password link works.
	PasswordLinkTTL time.Duration `env:"STAFF_PASSWORD_LINK_TTL" envDefault:"72h"`
	// ImpersonationTTL is how long "view as owner" lasts before it ends by itself.
	ImpersonationTTL time.Duration `env:"IMPERSONATION_TTL" envDefault:"30m"`
	// OIDC is sign-in through the company's identity provider.
	OIDC StaffOIDC
}

// MaxImpersonationTTL is the longest "view as owner" the product allows.
const MaxImpersonationTTL = 30 * time.Minute

func (c *Console) validate(env string) error {
	if err := c.OIDC.validate(env); err != nil {
		return err
	}
	switch {
	case c.ImpersonationTTL < time.Second || c.ImpersonationTTL > MaxImpersonationTTL:
		return &Error{"IMPERSONATION_TTL", "a duration between 1s and 30m"}
	case c.SessionMaxAge < time.Hour || c.SessionMaxAge > 7*24*time.Hour:
		return &Error{"STAFF_SESSION_MAX_AGE", "a duration between 1h and 168h"}
	case c.IdleTimeout < time.Minute || c.IdleTimeout > c.SessionMaxAge:
		return &Error{"STAFF_SESSION_IDLE_TIMEOUT", "a duration of at least 1m and at most STAFF_SESSION_MAX_AGE"}
	case c.MaxFailures < 1 || c.MaxFailures > 100:
		return &Error{"STAFF_LOGIN_MAX_FAILURES", "a whole number between 1 and 100"}
	case c.LockFor < time.Minute || c.LockFor > 24*time.Hour:
		return &Error{"STAFF_LOCKOUT_DURATION", "a duration between 1m and 24h"}
	case c.PasswordLinkTTL < 10*time.Minute || c.PasswordLinkTTL > 30*24*time.Hour:
		return &Error{"STAFF_PASSWORD_LINK_TTL", "a duration between 10m and 720h"}
	}
	return nil
}
