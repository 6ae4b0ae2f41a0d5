package vehicletext

import (
	"net/url"
	"strings"
	"testing"

	"reconnect/internal/model"
)

// Every built-in page is https and names where it was taken from.
func TestBuiltInOEMPages(t *testing.T) {
	for mk, cases := range oemPages {
		if mk != makeKey(mk) {
			t.Errorf("%s is not spelled as Smartcar spells makes", mk)
		}
		for c, p := range cases {
			u, err := url.Parse(p.URL)
			if !c.Valid() || err != nil || u.Scheme != "https" || u.Host == "" || p.Source == "" {
				t.Errorf("%s %s: %+v", mk, c, p)
			}
		}
	}
}

func TestOEMLinks(t *testing.T) {
	over, err := ParseOEMLinks([]byte(`{"Land Rover": {"account_issue": "https://landrover.example/account"}, "tesla": {"subscription": "https://tesla.example/subs"}}`))
	if err != nil {
		t.Fatal(err)
	}
	l := NewOEMLinks(over)
	for _, tc := range []struct {
		make string
		c    model.OEMCase
		want string
	}{
		{"TESLA", model.OEMSubscription, "https://tesla.example/subs"},                  // the operator's entry wins
		{"TESLA", model.OEMNoVehicles, "https://www.tesla.com/support/account-support"}, // the rest stays
		{"Mercedes-Benz", model.OEMAccountIssue, "https://me.secure.mercedes-benz.com"}, // spelled either way
		{"LAND_ROVER", model.OEMAccountIssue, "https://landrover.example/account"},      // a make we did not know
		{"BMW", model.OEMSubscription, ""},                                              // no page: the sentence instead
		{"CHEVROLET", model.OEMAccountIssue, ""},
	} {
		if got := l.URL(tc.make, tc.c); got != tc.want {
			t.Errorf("URL(%s, %s) = %q, want %q", tc.make, tc.c, got, tc.want)
		}
	}
	for _, bad := range []string{`{"BMW": {"subscription": "javascript:alert(1)"}}`, `{"": {"subscription": "https://x.example"}}`, `{"BMW": "https://x.example"}`} {
		if _, err := ParseOEMLinks([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestOEMCaseOf(t *testing.T) {
	for reason, want := range map[string]model.OEMCase{
		"CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION":    model.OEMSubscription,
		"CONNECTED_SERVICES_ACCOUNT:ACCOUNT_ISSUE":   model.OEMAccountIssue,
		"CONNECTED_SERVICES_ACCOUNT:VEHICLE_MISSING": model.OEMVehicleMissing,
		"CONNECTED_SERVICES_ACCOUNT:NO_VEHICLES":     model.OEMNoVehicles,
		"CONNECTED_SERVICES_ACCOUNT:SOMETHING_NEW":   model.OEMAccountIssue,
	} {
		v := model.Vehicle{State: model.StateNeedsOEMAction, Reason: reason}
		if got, ok := OEMCaseOf(v); !ok || got != want {
			t.Errorf("%s: %s", reason, got)
		}
		_, todo := ReasonKeys(v)
		if !FixFirst(todo) || !strings.HasPrefix(todo, "todo.") {
			t.Errorf("%s: next step %s is not done at the carmaker", reason, todo)
		}
	}
	if _, ok := OEMCaseOf(model.Vehicle{State: model.StateNeedsReauth, Reason: "CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION"}); ok {
		t.Error("a car that needs re-authentication is not a carmaker case")
	}
	if FixFirst("todo.reauth") {
		t.Error("re-authentication is done here, not at the carmaker")
	}
}
