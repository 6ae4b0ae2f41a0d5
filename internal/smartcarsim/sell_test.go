package smartcarsim

import (
	"errors"
	"testing"
)

// A sold car leaves the seller's account for the buyer's, a new account
// when the buyer has none, and the app's connection to it ends.
func TestSellVehicle(t *testing.T) {
	s := New(Config{})
	seller, err := s.CreateUser(UserSpec{Email: "seller@example.com", Connected: true, Vehicles: []VehicleSpec{{Make: "TESLA"}, {Make: "FORD"}}})
	if err != nil {
		t.Fatal(err)
	}
	tesla := seller.Vehicles[0].ID
	if err := s.SellVehicle(tesla, "Buyer@Example.com"); err != nil {
		t.Fatal(err)
	}
	for _, v := range s.Vehicles() {
		switch v.ID {
		case tesla:
			if v.Email != "buyer@example.com" || v.ConnectionID != "" {
				t.Fatalf("the sold car: %+v, want the buyer's and no connection", v)
			}
		case seller.Vehicles[1].ID:
			if v.Email != "seller@example.com" || v.ConnectionID == "" {
				t.Fatalf("the car not sold: %+v", v)
			}
		}
	}
	if err := s.SellVehicle("nope", "x@example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown car: %v", err)
	}
	if err := s.SellVehicle(tesla, " "); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no buyer: %v", err)
	}
}
