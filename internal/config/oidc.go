package config

import (
	"net/url"
	"slices"
	"strings"

	"reconnect/web/paths"
)

// StaffOIDC lets support staff sign in through the company's OpenID Connect
// provider (Okta, Google Workspace, Microsoft Entra ID, Keycloak…) instead
// of with one more password. Off while STAFF_OIDC_ISSUER is empty.
type StaffOIDC struct {
	// Issuer is the provider's issuer URL, exactly as its discovery
	// document states it (https://login.example.com/realms/staff).
	Issuer       string `env:"STAFF_OIDC_ISSUER"`
	ClientID     string `env:"STAFF_OIDC_CLIENT_ID"`
	ClientSecret string `env:"STAFF_OIDC_CLIENT_SECRET"`
	// ProviderName is what the button says: "Sign in with <name>".
	ProviderName string `env:"STAFF_OIDC_PROVIDER_NAME" envDefault:"your company account"`
	// Scopes asked for; some providers send the groups claim only when a
	// scope asks for it (Okta's and Keycloak's "groups").
	Scopes []string `env:"STAFF_OIDC_SCOPES" envSeparator:" " envDefault:"openid email profile"`
	// GroupsClaim names the ID token claim that lists the user's groups.
	GroupsClaim string `env:"STAFF_OIDC_GROUPS_CLAIM" envDefault:"groups"`
	// AdminGroups and AgentGroups map the provider's groups to console
	// roles; a member of both is an admin, a member of neither is refused.
	AdminGroups []string `env:"STAFF_OIDC_ADMIN_GROUPS" envSeparator:","`
	AgentGroups []string `env:"STAFF_OIDC_AGENT_GROUPS" envSeparator:","`
	// PasswordLogin keeps the console's own passwords; false leaves the
	// provider as the only way in.
	PasswordLogin bool `env:"STAFF_PASSWORD_LOGIN" envDefault:"true"`
}

// Enabled reports whether staff may sign in through the provider.
func (o StaffOIDC) Enabled() bool { return o.Issuer != "" }

// StaffOIDCRedirectURL is the callback to register with the provider.
func (c Config) StaffOIDCRedirectURL() string {
	return c.PublicBaseURL + paths.ConsoleOIDCCallback()
}

func (o *StaffOIDC) validate(env string) error {
	o.AdminGroups, o.AgentGroups = cleanList(o.AdminGroups), cleanList(o.AgentGroups)
	o.ProviderName = strings.TrimSpace(o.ProviderName)
	if !o.Enabled() {
		switch {
		case o.ClientID != "" || o.ClientSecret != "":
			return &Error{"STAFF_OIDC_ISSUER", "the provider's issuer URL, required with STAFF_OIDC_CLIENT_ID and STAFF_OIDC_CLIENT_SECRET"}
		case !o.PasswordLogin:
			return &Error{"STAFF_PASSWORD_LOGIN", "true unless STAFF_OIDC_ISSUER is set: otherwise nobody could sign in to the console"}
		}
		return nil
	}
	u, err := url.Parse(o.Issuer)
	switch {
	case err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return &Error{"STAFF_OIDC_ISSUER", "an absolute https URL such as https://login.example.com, without query or fragment"}
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()) && env != EnvProduction:
		// A provider on this machine, for development and tests.
	default:
		return &Error{"STAFF_OIDC_ISSUER", "an https URL (http only for a loopback provider outside production)"}
	}
	switch {
	case strings.TrimSpace(o.ClientID) == "":
		return &Error{"STAFF_OIDC_CLIENT_ID", "the client id registered with the provider, required with STAFF_OIDC_ISSUER"}
	case o.ClientSecret == "":
		return &Error{"STAFF_OIDC_CLIENT_SECRET", "the client secret registered with the provider, required with STAFF_OIDC_ISSUER"}
	case o.ProviderName == "":
		return &Error{"STAFF_OIDC_PROVIDER_NAME", "the name on the sign-in button, such as Okta"}
	case !slices.Contains(o.Scopes, "openid"):
		return &Error{"STAFF_OIDC_SCOPES", `space-separated scopes that include "openid"`}
	case strings.TrimSpace(o.GroupsClaim) == "" || strings.ContainsAny(o.GroupsClaim, " ,"):
		return &Error{"STAFF_OIDC_GROUPS_CLAIM", "the name of the ID token claim that lists groups, such as groups"}
	case len(o.AdminGroups)+len(o.AgentGroups) == 0:
		return &Error{"STAFF_OIDC_ADMIN_GROUPS / STAFF_OIDC_AGENT_GROUPS", "at least one group, comma-separated, whose members may use the console"}
	}
	return nil
}

// cleanList trims each entry and drops empty ones.
func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
