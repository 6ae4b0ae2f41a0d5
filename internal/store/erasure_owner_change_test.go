package store_test

import (
	"context"
	"slices"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// A car that changed hands has two histories, one per owner. Erasing the
// new owner keeps the previous owner's part of the car's history, and
// erasing the previous owner keeps the new owner's.
func TestErasureTakesOnlyTheErasedOwnersPartOfACarsHistory(t *testing.T) {
	for _, erase := range []string{"new owner", "previous owner"} {
		t.Run(erase, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *database.DB) {
				ctx := context.Background()
				st := store.New(db)
				prev, _ := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: "prev", Email: "prev@example.com"})
				next, _ := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: "next", Email: "next@example.com"})
				v, err := st.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "car-1", OwnerID: &prev.ID, Make: "TESLA", VIN: "5YJ3E1EA7MF000001"})
				if err != nil {
					t.Fatal(err)
				}
				add := func(o model.Owner, kind model.EventKind, detail string) {
					t.Helper()
					if err := st.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: &o.ID, Kind: kind, Source: model.SourceOwner, Detail: detail}); err != nil {
						t.Fatal(err)
					}
				}
				add(prev, model.EventDeclined, `{"reason":"sold"}`)
				if _, err := st.MoveVehicle(ctx, v.ID, &next.ID, "next", st.Now()); err != nil {
					t.Fatal(err)
				}
				add(prev, model.EventOwnerChanged, `{"cause":"connect"}`)
				add(next, model.EventOwnerChanged, `{"cause":"connect"}`)
				add(next, model.EventLinkOpened, `{"source":"email"}`)

				gone, kept := next, prev
				if erase == "previous owner" {
					gone, kept = prev, next
				}
				details := func(o model.Owner) []string {
					t.Helper()
					evs, err := st.EventsByOwner(ctx, o.ID, store.Page{})
					if err != nil {
						t.Fatal(err)
					}
					var out []string
					for _, e := range evs {
						out = append(out, e.Detail)
					}
					return out
				}
				before := details(kept)
				if err := st.EraseOwner(ctx, gone.ID, gone.HostUserID); err != nil {
					t.Fatal(err)
				}
				if after := details(kept); !slices.Equal(before, after) {
					t.Fatalf("erasing the %s changed the other owner's history: %q, was %q", erase, after, before)
				}
				for _, d := range details(gone) {
					if d != "" {
						t.Fatalf("the erased owner's history keeps %q", d)
					}
				}
			})
		})
	}
}
