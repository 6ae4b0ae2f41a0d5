package links_test

import (
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// A declined car is not connected: its link must not say "already reconnected".
func TestResolveLinkForDeclinedCarIsNotAlreadyFixed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		if _, _, _, err := w.store.SetState(w.ctx, w.car.ID, store.StateChange{To: model.StateDeclined, Reason: "declined:sold", Source: model.SourceOwner}); err != nil {
			t.Fatal(err)
		}
		m := w.mint(links.Mint{VehicleID: &w.car.ID, Purpose: model.PurposeEmail})
		r, err := w.links.Resolve(w.ctx, m.Token)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != links.Valid {
			t.Fatalf("link for a declined car resolves as %v, want Valid (%v); AlreadyFixed is %v", r.Status, links.Valid, links.AlreadyFixed)
		}
	})
}
