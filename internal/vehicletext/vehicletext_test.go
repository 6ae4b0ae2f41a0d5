package vehicletext

import (
	"testing"

	"reconnect/internal/model"
)

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"TESLA": "Tesla", "BMW": "BMW", "KIA": "Kia", "MERCEDES_BENZ": "Mercedes-Benz", "ROLLS-ROYCE": "Rolls-Royce",
		"LAND_ROVER": "Land-Rover", "MINI": "MINI", "": "",
	} {
		if got := MakeName(in); got != want {
			t.Errorf("MakeName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Title(model.Vehicle{Year: 2021, Make: "TESLA", Model: "Model 3"}); got != "2021 Tesla Model 3" {
		t.Errorf("Title = %q", got)
	}
	for _, c := range []struct {
		v            model.Vehicle
		reason, todo string
	}{
		{model.Vehicle{State: model.StateNeedsReauth, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED"}, "reason.auth_failed", "todo.reauth"},
		{model.Vehicle{State: model.StateNeedsOEMAction, Reason: "CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION"}, "reason.subscription", "todo.subscription"},
		{model.Vehicle{State: model.StateNeedsVirtualKey, Reason: "CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED"}, "reason.virtual_key", "todo.virtual_key"},
		{model.Vehicle{State: model.StateConnected}, "", ""},
	} {
		if r, td := ReasonKeys(c.v); r != c.reason || td != c.todo {
			t.Errorf("%s %s: %s %s", c.v.State, c.v.Reason, r, td)
		}
	}
}
