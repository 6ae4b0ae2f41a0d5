package smartcarsim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

func (s *Sim) authorizeStart(w http.ResponseWriter, r *http.Request) {
	f, perr := s.parseAuthorize(r.URL.Query())
	if perr != nil {
		s.showParamError(w, f, perr)
		return
	}
	if f.singleVIN != "" && f.mode == "live" && strings.HasPrefix(f.singleVIN, "0SC") {
		// Smartcar's test VINs start with 0SC; Connect refuses them in live
		// mode with a configuration_error straight to the callback.
		s.redirectError(w, r, f, configurationError("You have entered a test mode VIN. Please use the VIN of a real vehicle or use test mode."))
		return
	}
	s.mu.Lock()
	if v, ok := s.vehiclesByVIN[f.singleVIN]; ok {
		// single_select_vin wins over make: the brand is the VIN's.
		f.make = v.make
	}
	s.saveFlowLocked(f)
	s.mu.Unlock()
	if f.make == "" {
		s.render(w, http.StatusOK, "brand", pageData{Title: "Choose your car's brand", Session: f.id, Brands: brands})
		return
	}
	s.renderLogin(w, http.StatusOK, f, "")
}

func (s *Sim) showParamError(w http.ResponseWriter, f *flow, perr *paramError) {
	f.exitMessage = strings.TrimPrefix(perr.message, "400: ")
	f.exitOnly = true
	s.mu.Lock()
	s.saveFlowLocked(f)
	s.mu.Unlock()
	s.render(w, http.StatusBadRequest, "error", pageData{Title: "Something went wrong", Message: perr.message, Session: f.id})
}

func (s *Sim) exitSubmit(w http.ResponseWriter, r *http.Request) {
	f := s.flowFromForm(w, r, stepExit)
	if f == nil {
		return
	}
	s.dropFlow(f.id)
	if f.exitTarget == "" {
		s.render(w, http.StatusOK, "done", pageData{Title: "You can close this window",
			Message: "The application that sent you here is not set up correctly."})
		return
	}
	e := configurationError(f.exitMessage)
	params := [][2]string{{"error", e.code}, {"error_description", e.description}}
	params = append(params, e.extra...)
	http.Redirect(w, r, callbackURL(f.exitTarget, f.withState(params)), http.StatusFound)
}

func (s *Sim) brandSubmit(w http.ResponseWriter, r *http.Request) {
	f := s.flowFromForm(w, r, stepBrand)
	if f == nil {
		return
	}
	brand := strings.ToUpper(strings.TrimSpace(r.PostFormValue("make")))
	if brand == "" {
		s.render(w, http.StatusUnprocessableEntity, "brand", pageData{Title: "Choose your car's brand",
			Session: f.id, Brands: brands, Error: "Choose a brand."})
		return
	}
	s.mu.Lock()
	f.make = brand
	s.mu.Unlock()
	s.renderLogin(w, http.StatusOK, f, "")
}

func (s *Sim) renderLogin(w http.ResponseWriter, status int, f *flow, problem string) {
	title := "Log in to your " + brandName(f.make) + " account"
	s.render(w, status, "login", pageData{Title: title, Session: f.id, Make: f.make, Error: problem, Reauth: f.reauth})
}

func (s *Sim) loginSubmit(w http.ResponseWriter, r *http.Request) {
	f := s.flowFromForm(w, r, stepLogin)
	if f == nil {
		return
	}
	if r.PostFormValue("action") == "deny" {
		s.redirectError(w, r, f, newConnectError("access_denied"))
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	if email == "" || r.PostFormValue("password") == "" {
		s.renderLogin(w, http.StatusUnprocessableEntity, f, "Enter an email address and a password.")
		return
	}
	if e := personaError(email); e != nil {
		s.redirectError(w, r, f, e)
		return
	}
	if f.reauth {
		s.reauthLogin(w, r, f, email)
		return
	}
	s.mu.Lock()
	u := s.usersByEmail[email]
	if u == nil {
		u = s.newUserLocked(email, true)
	}
	eligible, cerr := s.eligibleLocked(f, u)
	f.userID = u.id
	f.eligible = nil
	var choices []vehicleChoice
	for _, v := range eligible {
		f.eligible = append(f.eligible, v.id)
		choices = append(choices, vehicleChoice{ID: v.id, Label: v.label(), Checked: !f.singleSelect})
	}
	s.mu.Unlock()
	if cerr != nil {
		s.redirectError(w, r, f, cerr)
		return
	}
	if f.singleVIN != "" {
		s.afterVehicles(w, r, f, f.eligible)
		return
	}
	if f.singleSelect && len(choices) > 0 {
		choices[0].Checked = true
	}
	s.render(w, http.StatusOK, "vehicles", pageData{Title: "Choose vehicles", Session: f.id,
		Vehicles: choices, Single: f.singleSelect})
}

// eligibleLocked lists the owner's vehicles this session may grant. A
// generated account grows cars of a brand it has none of; a seeded account
// owns exactly what it was given.
func (s *Sim) eligibleLocked(f *flow, u *user) ([]*vehicle, *connectError) {
	if f.singleVIN != "" {
		for _, v := range u.vehicles {
			if v.vin == f.singleVIN {
				return []*vehicle{v}, nil
			}
		}
		if v, ok := s.vehiclesByVIN[f.singleVIN]; ok {
			return nil, newConnectError("vehicle_incompatible", [2]string{"vin", v.vin},
				[2]string{"make", v.make}, [2]string{"model", v.model}, [2]string{"year", fmt.Sprint(v.year)})
		}
		if !u.generated {
			return nil, newConnectError("vehicle_incompatible", [2]string{"vin", f.singleVIN})
		}
		brand := f.make
		if brand == "" {
			brand = brands[0]
		}
		return []*vehicle{s.addVehicleLocked(u, VehicleSpec{Make: brand, VIN: f.singleVIN})}, nil
	}
	var out []*vehicle
	for _, v := range u.vehicles {
		if f.make == "" || v.make == f.make {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		if !u.generated {
			return nil, newConnectError("no_vehicles")
		}
		n := 1 + stableNumber(u.email+f.make, 2)
		for i := range n {
			out = append(out, s.addVehicleLocked(u, generatedSpec(f.make, u.email, i)))
		}
	}
	return out, nil
}

func (s *Sim) vehiclesSubmit(w http.ResponseWriter, r *http.Request) {
	f := s.flowFromForm(w, r, stepVehicles)
	if f == nil {
		return
	}
	if r.PostFormValue("action") == "deny" {
		s.redirectError(w, r, f, newConnectError("access_denied"))
		return
	}
	var chosen []string
	for _, id := range r.PostForm["vehicle"] {
		if slices.Contains(f.eligible, id) && !slices.Contains(chosen, id) {
			chosen = append(chosen, id)
		}
	}
	problem := ""
	switch {
	case len(chosen) == 0:
		problem = "Choose at least one vehicle."
	case f.singleSelect && len(chosen) > 1:
		problem = "Choose one vehicle."
	}
	if problem != "" {
		s.mu.Lock()
		var choices []vehicleChoice
		for _, id := range f.eligible {
			choices = append(choices, vehicleChoice{ID: id, Label: s.vehicles[id].label()})
		}
		s.mu.Unlock()
		s.render(w, http.StatusUnprocessableEntity, "vehicles", pageData{Title: "Choose vehicles",
			Session: f.id, Vehicles: choices, Single: f.singleSelect, Error: problem})
		return
	}
	s.afterVehicles(w, r, f, chosen)
}

// afterVehicles shows the grant screen unless the owner already approved
// every requested scope and the app did not ask for approval_prompt=force.
func (s *Sim) afterVehicles(w http.ResponseWriter, r *http.Request, f *flow, chosen []string) {
	s.mu.Lock()
	f.chosen = chosen
	u := s.users[f.userID]
	skip := f.approvalPrompt == "auto"
	for _, sc := range f.scopes {
		if !u.approved[sc.name] {
			skip = false
		}
	}
	s.mu.Unlock()
	if skip {
		var granted []string
		for _, sc := range f.scopes {
			granted = append(granted, sc.name)
		}
		s.completeAuthorize(w, r, f, granted)
		return
	}
	s.renderGrant(w, http.StatusOK, f, nil, "")
}

func (s *Sim) renderGrant(w http.ResponseWriter, status int, f *flow, checked map[string]bool, problem string) {
	var scopes []scopeChoice
	for _, sc := range f.scopes {
		scopes = append(scopes, scopeChoice{Name: sc.name, Label: permissionLabel(sc.name),
			Required: sc.required, Checked: sc.required || checked == nil || checked[sc.name]})
	}
	s.render(w, status, "grant", pageData{Title: s.cfg.AppName + " wants access to your car",
		Session: f.id, Scopes: scopes, Error: problem})
}

func (s *Sim) grantSubmit(w http.ResponseWriter, r *http.Request) {
	f := s.flowFromForm(w, r, stepGrant)
	if f == nil {
		return
	}
	if r.PostFormValue("action") == "deny" {
		s.redirectError(w, r, f, newConnectError("access_denied"))
		return
	}
	checked := map[string]bool{}
	for _, name := range r.PostForm["scope"] {
		checked[name] = true
	}
	var granted []string
	for _, sc := range f.scopes {
		// Required scopes are granted whatever the form says: the box is
		// locked on the page, and a crafted post cannot unlock it.
		if sc.required || checked[sc.name] {
			granted = append(granted, sc.name)
		}
	}
	if len(granted) == 0 {
		s.renderGrant(w, http.StatusUnprocessableEntity, f, checked, "Keep at least one permission.")
		return
	}
	s.completeAuthorize(w, r, f, granted)
}

// completeAuthorize records the grant and sends the owner back with a code.
func (s *Sim) completeAuthorize(w http.ResponseWriter, r *http.Request, f *flow, granted []string) {
	s.mu.Lock()
	now := s.clock.Now()
	u := s.users[f.userID]
	for _, p := range granted {
		u.approved[p] = true
	}
	externalID, echo := s.applyExternalIDLocked(u, f)
	var events []*event
	for _, id := range f.chosen {
		v := s.vehicles[id]
		c := s.connByVehicle[id]
		if c == nil {
			c = &connection{id: newID(), user: u, vehicle: v, createdAt: now}
			s.conns[c.id] = c
			s.connByVehicle[id] = c
			if s.switches.AutoSubscribe {
				events = append(events, s.stateEventLocked(v, triggerFirstDelivery))
			}
		}
		c.permissions = slices.Clone(granted)
		c.mode = f.mode
		c.updatedAt, c.authenticatedAt = now, now
		if e := s.repairLocked(v); e != nil {
			events = append(events, e)
		}
	}
	code := &authCode{code: newID(), userID: u.id, vehicleIDs: slices.Clone(f.chosen),
		redirectURI: f.redirectGiven, expiresAt: now.Add(codeLifetime)}
	s.codes[code.code] = code
	delete(s.flows, f.id)
	s.emitLocked(events)
	s.mu.Unlock()

	params := [][2]string{{"code", code.code}, {"user_id", u.id}}
	if echo {
		params = append(params, [2]string{"external_id", externalID})
	}
	http.Redirect(w, r, callbackURL(f.redirectURI, f.withState(params)), http.StatusFound)
}

// applyExternalIDLocked stores the session's external_id on the owner: a new
// value replaces the old, "null" clears it, an invalid one is ignored. It
// reports whether the value goes back on the callback.
func (s *Sim) applyExternalIDLocked(u *user, f *flow) (string, bool) {
	switch {
	case !f.hasExternalID:
		return "", false
	case f.externalID == "null":
		u.externalID = ""
		return "", false
	case validExternalID(f.externalID):
		u.externalID = f.externalID
		return f.externalID, true
	}
	return "", false
}

// repairLocked clears a failure that reconnecting fixes and returns the
// RESOLVED event for it, if the webhook shows that failure at all.
func (s *Sim) repairLocked(v *vehicle) *event {
	if v.failure == nil {
		return nil
	}
	d := failureDefFor(*v.failure)
	if !d.reauthFixes {
		return nil
	}
	v.failure = nil
	if !d.webhook {
		return nil
	}
	return s.errorEventLocked(v, d, "RESOLVED")
}

func (s *Sim) saveFlowLocked(f *flow) {
	now := s.clock.Now()
	for id, old := range s.flows {
		if now.After(old.expiresAt) {
			delete(s.flows, id)
		}
	}
	f.id = newSecret()
	f.expiresAt = now.Add(flowLifetime)
	s.flows[f.id] = f
}

func (s *Sim) dropFlow(id string) {
	s.mu.Lock()
	delete(s.flows, id)
	s.mu.Unlock()
}

// Steps a form post can be; each is valid only at some point of a flow.
type step int

const (
	stepExit step = iota
	stepBrand
	stepLogin
	stepVehicles
	stepGrant
	stepConfirm
)

// allows tells whether a post for st fits where the flow is, so that a
// replayed or hand-made post cannot skip the login or reach a flow that
// only exists to power an error page's Exit button.
func (f *flow) allows(st step) bool {
	if f.exitOnly {
		return st == stepExit
	}
	switch st {
	case stepExit:
		return false
	case stepBrand:
		return !f.reauth
	case stepVehicles:
		return !f.reauth && f.userID != ""
	case stepGrant:
		return !f.reauth && len(f.chosen) > 0
	case stepConfirm:
		return f.reauth && f.userID != ""
	}
	return true
}

// flowFromForm finds the session a page was posted from; when it is gone,
// or the post does not fit its progress, it answers with an error page and
// returns nil.
func (s *Sim) flowFromForm(w http.ResponseWriter, r *http.Request, st step) *flow {
	id := r.PostFormValue("session")
	s.mu.Lock()
	f, ok := s.flows[id]
	if ok && s.clock.Now().After(f.expiresAt) {
		delete(s.flows, id)
		ok = false
	}
	fits := ok && f.allows(st)
	s.mu.Unlock()
	if !ok {
		s.render(w, http.StatusBadRequest, "error", pageData{Title: "Session expired",
			Message: "400: This Connect session has expired or was already completed. Please start again from the application."})
		return nil
	}
	if !fits {
		s.render(w, http.StatusBadRequest, "error", pageData{Title: "Something went wrong",
			Message: "400: This page was submitted out of order. Please start again from the application."})
		return nil
	}
	return f
}
