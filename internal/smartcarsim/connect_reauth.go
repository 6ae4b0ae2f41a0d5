package smartcarsim

import (
	"fmt"
	"net/http"
)

func (s *Sim) reauthStart(w http.ResponseWriter, r *http.Request) {
	f, perr := s.parseReauth(r.URL.Query())
	if perr != nil {
		s.showParamError(w, f, perr)
		return
	}
	s.mu.Lock()
	f.make = s.vehicles[f.vehicleID].make
	s.saveFlowLocked(f)
	s.mu.Unlock()
	s.renderLogin(w, http.StatusOK, f, "")
}

// missingVehicleError is what re-authentication answers when the car left
// the owner's account. Smartcar does not say which error that is, so it is a
// switch.
func (s *Sim) missingVehicleErrorLocked(v *vehicle) *connectError {
	if s.switches.ReauthMissingVehicleError == "vehicle_incompatible" {
		return newConnectError("vehicle_incompatible", [2]string{"vin", v.vin}, [2]string{"make", v.make},
			[2]string{"model", v.model}, [2]string{"year", fmt.Sprint(v.year)})
	}
	return newConnectError("no_vehicles")
}

func vehicleGone(v *vehicle) bool {
	return v.failure != nil && v.failure.typ == csa &&
		(v.failure.code == "VEHICLE_MISSING" || v.failure.code == "NO_VEHICLES")
}

func (s *Sim) reauthLogin(w http.ResponseWriter, r *http.Request, f *flow, email string) {
	s.mu.Lock()
	v := s.vehicles[f.vehicleID]
	var cerr *connectError
	switch {
	case v.owner.email != email:
		// Logging in with another account cannot repair this car's link.
		cerr = newConnectError("access_denied")
	case vehicleGone(v) || s.connByVehicle[v.id] == nil:
		cerr = s.missingVehicleErrorLocked(v)
	}
	f.userID = v.owner.id
	label := v.label()
	s.mu.Unlock()
	if cerr != nil {
		s.redirectError(w, r, f, cerr)
		return
	}
	s.render(w, http.StatusOK, "confirm", pageData{Title: "Reconnect your " + label,
		Session: f.id, VehicleLabel: label})
}

func (s *Sim) confirmSubmit(w http.ResponseWriter, r *http.Request) {
	f := s.flowFromForm(w, r, stepConfirm)
	if f == nil {
		return
	}
	if r.PostFormValue("action") == "deny" {
		s.redirectError(w, r, f, newConnectError("access_denied"))
		return
	}
	s.mu.Lock()
	v := s.vehicles[f.vehicleID]
	c := s.connByVehicle[f.vehicleID]
	if c == nil {
		cerr := s.missingVehicleErrorLocked(v)
		s.mu.Unlock()
		s.redirectError(w, r, f, cerr)
		return
	}
	externalID, echo := s.applyExternalIDLocked(v.owner, f)
	c.updatedAt = s.clock.Now()
	c.authenticatedAt = c.updatedAt
	// Tokens are left alone: the app keeps its v2 pair (or its app token
	// plus sc-user-id), which is why the callback carries no code.
	if e := s.repairLocked(v); e != nil {
		s.emitLocked([]*event{e})
	}
	delete(s.flows, f.id)
	label := v.label()
	s.mu.Unlock()

	if f.responseType == "none" {
		s.render(w, http.StatusOK, "done", pageData{Title: "Your car is reconnected",
			Message: "Your " + label + " is connected to " + s.cfg.AppName + " again. You can close this window."})
		return
	}
	params := [][2]string{{"vehicle_id", v.id}}
	if echo {
		params = append(params, [2]string{"external_id", externalID})
	}
	http.Redirect(w, r, callbackURL(f.redirectURI, f.withState(params)), http.StatusFound)
}
