package config_test

import (
	"errors"
	"strings"
	"testing"

	"reconnect/internal/config"
)

func oidcEnv(over map[string]string) map[string]string {
	env := map[string]string{
		"STAFF_OIDC_ISSUER": "https://login.example.com/realms/staff", "STAFF_OIDC_CLIENT_ID": "reconnect",
		"STAFF_OIDC_CLIENT_SECRET": "a secret nobody prints", "STAFF_OIDC_ADMIN_GROUPS": "console-admins",
		"STAFF_OIDC_AGENT_GROUPS": " support , ,console-agents",
	}
	for k, v := range over {
		env[k] = v
	}
	return env
}

func TestStaffOIDCConfiguration(t *testing.T) {
	c, err := config.Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Console.OIDC; o.Enabled() || !o.PasswordLogin || o.GroupsClaim != "groups" {
		t.Fatalf("defaults: %+v", o)
	}

	c, err = config.Load(oidcEnv(map[string]string{"PUBLIC_BASE_URL": "https://reconnect.example"}))
	if err != nil {
		t.Fatal(err)
	}
	o := c.Console.OIDC
	if !o.Enabled() || strings.Join(o.AgentGroups, "|") != "support|console-agents" || strings.Join(o.Scopes, " ") != "openid email profile" {
		t.Fatalf("parsed: %+v", o)
	}
	if got := c.StaffOIDCRedirectURL(); got != "https://reconnect.example/console/oidc/callback" {
		t.Fatalf("redirect URL %s", got)
	}
	for _, kv := range c.Redacted() {
		if strings.Contains(kv[1], "a secret nobody prints") {
			t.Fatalf("%s shows the client secret", kv[0])
		}
	}
	// A provider on this machine may speak plain http, outside production.
	if _, err := config.Load(oidcEnv(map[string]string{"STAFF_OIDC_ISSUER": "http://127.0.0.1:9000"})); err != nil {
		t.Fatal(err)
	}

	for want, env := range map[string]map[string]string{
		"STAFF_OIDC_ISSUER":                                 {"STAFF_OIDC_ISSUER": "", "STAFF_OIDC_CLIENT_ID": "reconnect"},
		"STAFF_PASSWORD_LOGIN":                              {"STAFF_OIDC_ISSUER": "", "STAFF_OIDC_CLIENT_ID": "", "STAFF_OIDC_CLIENT_SECRET": "", "STAFF_PASSWORD_LOGIN": "false"},
		"STAFF_OIDC_CLIENT_ID":                              {"STAFF_OIDC_CLIENT_ID": ""},
		"STAFF_OIDC_CLIENT_SECRET":                          {"STAFF_OIDC_CLIENT_SECRET": ""},
		"STAFF_OIDC_SCOPES":                                 {"STAFF_OIDC_SCOPES": "email profile"},
		"STAFF_OIDC_GROUPS_CLAIM":                           {"STAFF_OIDC_GROUPS_CLAIM": "my groups"},
		"STAFF_OIDC_ADMIN_GROUPS / STAFF_OIDC_AGENT_GROUPS": {"STAFF_OIDC_ADMIN_GROUPS": " ", "STAFF_OIDC_AGENT_GROUPS": ""},
	} {
		_, err := config.Load(oidcEnv(env))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != want {
			t.Errorf("%v: got %v, want an error naming %s", env, err, want)
		}
	}
	for _, issuer := range []string{"login.example.com", "http://login.example.com", "https://login.example.com?tenant=1", "ftp://login.example.com"} {
		_, err := config.Load(oidcEnv(map[string]string{"STAFF_OIDC_ISSUER": issuer}))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != "STAFF_OIDC_ISSUER" {
			t.Errorf("issuer %q: got %v", issuer, err)
		}
	}
}
