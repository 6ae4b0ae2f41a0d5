package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, env, &out, &errb)
	return code, out.String(), errb.String()
}

func TestBadConfigurationExitsWithTheVariableName(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nonsense database", map[string]string{"DATABASE_URL": "nonsense"}, "DATABASE_URL"},
		{"production without keys", map[string]string{"RECONNECT_ENV": "production", "PUBLIC_BASE_URL": "https://r.example"}, "SESSION_KEYS"},
		{"production over http", map[string]string{"RECONNECT_ENV": "production"}, "PUBLIC_BASE_URL"},
		{"bad duration", map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, "SHUTDOWN_TIMEOUT"},
		{"bad key", map[string]string{"SESSION_KEYS": "c2hvcnQ="}, "SESSION_KEYS"},
		{"open redirect allow-list", map[string]string{"RETURN_URL_ALLOWLIST": "javascript:alert(1)"}, "RETURN_URL_ALLOWLIST"},
		{"too few connections", map[string]string{"DATABASE_MAX_CONNS": "3"}, "DATABASE_MAX_CONNS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, tc.env, "serve")
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %s", code, stderr, tc.want)
			}
		})
	}
}

func TestConfigRedactsSecrets(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL":              "postgres://app:hunter2@db.example:5432/reconnect",
		"SMARTCAR_CLIENT_SECRET":    "very-secret-value",
		"SMARTCAR_MANAGEMENT_TOKEN": "amt-secret-value",
		"SESSION_KEYS":              strings.Repeat("A", 86) + "==",
	}
	code, out, stderr := runCmd(t, env, "config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, secret := range []string{"hunter2", "very-secret-value", "amt-secret-value", strings.Repeat("A", 86)} {
		if strings.Contains(out, secret) {
			t.Errorf("config printed a secret %q", secret)
		}
	}
	if !strings.Contains(out, "db.example") || !strings.Contains(out, "SMARTCAR_CLIENT_SECRET") {
		t.Errorf("config output lacks expected lines:\n%s", out)
	}
}

func TestHelpAndUnknownCommand(t *testing.T) {
	code, out, _ := runCmd(t, nil, "help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "migrate") {
		t.Fatalf("help: %d %q", code, out)
	}
	if code, _, _ := runCmd(t, nil, "frobnicate"); code != 2 {
		t.Fatalf("unknown command exit %d, want 2", code)
	}
	if code, _, _ := runCmd(t, nil, "migrate", "sideways"); code != 2 {
		t.Fatalf("bad migrate argument exit %d, want 2", code)
	}
}

func TestMigrateUpAndStatus(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "m.db")}
	if code, _, stderr := runCmd(t, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: %s", stderr)
	}
	code, out, _ := runCmd(t, env, "migrate", "status")
	if code != 0 || !strings.Contains(out, "00001_core.sql") || strings.Contains(out, "pending") {
		t.Fatalf("status after up: %q", out)
	}
}
