package smartcarsim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// SellVehicle hands a car to another person, as a sale does: it leaves the
// seller's carmaker account for the buyer's (the account with that email,
// created empty if there is none), and the app's connection to it ends, so
// only the buyer's own Connect links it again.
func (s *Sim) SellVehicle(vehicleID, buyerEmail string) error {
	email := strings.ToLower(strings.TrimSpace(buyerEmail))
	if email == "" {
		return fmt.Errorf("%w: email is required", ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vehicles[vehicleID]
	if v == nil {
		return fmt.Errorf("%w: vehicle %s", ErrNotFound, vehicleID)
	}
	buyer := s.usersByEmail[email]
	if buyer == nil {
		buyer = s.newUserLocked(email, false)
	}
	if v.owner == buyer {
		return nil
	}
	if seller := v.owner; seller != nil {
		seller.vehicles = slices.DeleteFunc(seller.vehicles, func(x *vehicle) bool { return x == v })
	}
	buyer.vehicles = append(buyer.vehicles, v)
	v.owner = buyer
	if c := s.connByVehicle[vehicleID]; c != nil {
		delete(s.conns, c.id)
		delete(s.connByVehicle, vehicleID)
	}
	return nil
}

// controlSellVehicle is POST /_control/vehicles/{id}/sell {"email": buyer}.
func (s *Sim) controlSellVehicle(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email string `json:"email"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if err := s.SellVehicle(r.PathValue("id"), body.Email); err != nil {
		writeControlError(w, err)
		return
	}
	s.controlVehicle(w, r.PathValue("id"))
}
