package campaign_test

import (
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// A car in a running campaign that changes hands takes its place with it:
// the previous owner's pending notices end (they have no other car there),
// the car's place is the new owner's, and a suspicion alone (declined as
// sold) moves nothing but the decline itself.
func TestAChangeOfHandsEndsThePreviousOwnersNotices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.lc.AddOwnerHook(w.svc)
		alice := w.owner("alice", "alice@example.com")
		carol := w.owner("carol", "carol@example.com")
		car := w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		c := w.launch(w.create(tesla(start.Add(20 * 24 * time.Hour))).ID)
		pending := func(o model.Owner) int {
			t.Helper()
			n := 0
			for _, x := range w.notices(c, o) {
				if x.Status == store.NoticePending {
					n++
				}
			}
			return n
		}
		if pending(alice) == 0 {
			t.Fatal("Alice has no notices to end")
		}
		if _, _, err := w.lc.ChangeOwner(w.ctx, nil, car.ID, lifecycle.OwnerMove{To: &carol.ID, ExternalID: "carol", Cause: model.OwnerChangeConnect, Source: model.SourceCallback}); err != nil {
			t.Fatal(err)
		}
		if n := pending(alice); n != 0 {
			t.Fatalf("Alice keeps %d pending notices for a car that is not hers", n)
		}
		if cv := w.member(c, car); cv.OwnerID == nil || *cv.OwnerID != carol.ID || !cv.Open() {
			t.Fatalf("the car's place in the campaign: %+v, want Carol's and open", cv)
		}
		// A second, identical move changes nothing more.
		if _, changed, err := w.lc.ChangeOwner(w.ctx, nil, car.ID, lifecycle.OwnerMove{To: &carol.ID, ExternalID: "carol", Cause: model.OwnerChangeConnect, Source: model.SourceCallback}); err != nil || changed {
			t.Fatalf("moving the car to its owner again: changed %v, %v", changed, err)
		}
	})
}
