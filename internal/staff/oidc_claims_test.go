package staff

import (
	"slices"
	"testing"

	"reconnect/internal/store"
)

func TestOIDCRoleFromGroups(t *testing.T) {
	o := NewOIDC(nil, OIDCConfig{AdminGroups: []string{"console-admins"}, AgentGroups: []string{"support", "console-admins-readonly"}})
	for _, tc := range []struct {
		groups []string
		want   string
	}{
		{[]string{"support", "console-admins"}, store.RoleAdmin},
		{[]string{"support"}, store.RoleAgent},
		{[]string{"console-admins-readonly"}, store.RoleAgent},
		{[]string{"Console-Admins", "sales"}, ""},
		{nil, ""},
	} {
		if got := o.role(tc.groups); got != tc.want {
			t.Errorf("role(%v) = %q, want %q", tc.groups, got, tc.want)
		}
	}
}

func TestOIDCClaimShapes(t *testing.T) {
	if got := stringList([]any{"a", 3, "b"}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("a list: %v", got)
	}
	if got := stringList("only-one"); !slices.Equal(got, []string{"only-one"}) {
		t.Errorf("a single group as a string: %v", got)
	}
	if stringList(nil) != nil || stringList(map[string]any{}) != nil {
		t.Error("no groups expected from nothing")
	}
	for v, want := range map[any]bool{true: true, false: false, "true": true, "TRUE": true, "false": false, "yes": false} {
		if truthy(v) != want {
			t.Errorf("email_verified %#v read as %v", v, !want)
		}
	}
	if truthy(nil) {
		t.Error("a missing email_verified reads as verified")
	}
	if got := clipWord("access_denied<script>"); got != "access_deniedscript" {
		t.Errorf("clipWord = %q", got)
	}
}
