package store_test

import (
	"context"
	"fmt"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/store"
)

func TestConsoleSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		alice, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "demo-alice", Email: "alice@example.com", Name: "Alice"})
		_, _ = s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "demo-alan", Email: "alan@example.com", Name: "Alan"})
		_, _ = s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "Demo-Upper", Email: "upper@example.com"})
		for i := 0; i < 7; i++ {
			in := store.VehicleInput{SmartcarID: fmt.Sprintf("0f3c%04d-aaaa-4bbb-8ccc-000000000000", i), VIN: fmt.Sprintf("5yj3e1ea7mf%06d", i), Make: "TESLA"}
			if i < 3 {
				in.OwnerID = &alice.ID
			}
			if _, err := s.UpsertVehicle(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		_, _ = s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "ffff0000-aaaa-4bbb-8ccc-000000000000", VIN: "WBA00000000000001", Make: "BMW"})

		search := func(q store.SearchQuery) ([]store.SearchHit, bool) {
			t.Helper()
			hits, more, err := s.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return hits, more
		}

		hits, _ := search(store.SearchQuery{Field: store.SearchVIN, Term: "5yj3e1ea7mf000001"})
		if len(hits) != 1 || hits[0].Vehicle.VIN != "5YJ3E1EA7MF000001" || hits[0].Owner == nil || hits[0].Owner.ID != alice.ID {
			t.Fatalf("exact VIN (typed lower-case): %+v", hits)
		}
		if hits, _ := search(store.SearchQuery{Field: store.SearchVIN, Term: "5YJ3E1"}); len(hits) != 0 {
			t.Fatalf("an exact search must not match a prefix: %d", len(hits))
		}

		// A prefix, a page at a time, in VIN order, without repeats.
		var seen []string
		var after *store.SearchCursor
		for page := 0; ; page++ {
			hits, more := search(store.SearchQuery{Field: store.SearchVIN, Term: "5YJ3E1", Prefix: true, Limit: 3, After: after})
			for _, h := range hits {
				seen = append(seen, h.Vehicle.VIN)
			}
			if !more {
				break
			}
			after = &hits[len(hits)-1].Cursor
			if page > 5 {
				t.Fatal("paging does not end")
			}
		}
		if len(seen) != 7 || seen[0] != "5YJ3E1EA7MF000000" || seen[6] != "5YJ3E1EA7MF000006" {
			t.Fatalf("pages: %v", seen)
		}

		hits, _ = search(store.SearchQuery{Field: store.SearchVIN, Term: "5YJ3E1EA7MF00000", Prefix: true})
		unowned := 0
		for _, h := range hits {
			if h.Owner == nil {
				unowned++
			}
		}
		if unowned != 4 {
			t.Fatalf("vehicles without an owner: %d", unowned)
		}

		if hits, _ := search(store.SearchQuery{Field: store.SearchSmartcarID, Term: "0F3C0002", Prefix: true}); len(hits) != 1 {
			t.Fatalf("smartcar id prefix, typed upper-case: %d", len(hits))
		}
		if hits, _ := search(store.SearchQuery{Field: store.SearchEmail, Term: "ALICE@example.com"}); len(hits) != 1 || hits[0].Owner.ID != alice.ID || hits[0].Vehicle != nil {
			t.Fatalf("email exact: %+v", hits)
		}
		if hits, _ := search(store.SearchQuery{Field: store.SearchEmail, Term: "al", Prefix: true}); len(hits) != 2 || hits[0].Owner.Email != "alan@example.com" {
			t.Fatalf("email prefix, in order: %+v", hits)
		}
		// Host ids are the host's, case and all.
		if hits, _ := search(store.SearchQuery{Field: store.SearchHostUserID, Term: "demo-", Prefix: true}); len(hits) != 2 {
			t.Fatalf("host id prefix: %d", len(hits))
		}
		if hits, _ := search(store.SearchQuery{Field: store.SearchHostUserID, Term: "Demo-Upper"}); len(hits) != 1 {
			t.Fatalf("host id exact: %d", len(hits))
		}
		// LIKE wildcards are nothing special: the search is a range.
		if hits, _ := search(store.SearchQuery{Field: store.SearchHostUserID, Term: "demo%", Prefix: true}); len(hits) != 0 {
			t.Fatalf("wildcard matched %d", len(hits))
		}
		if _, _, err := s.Search(ctx, store.SearchQuery{Field: "name", Term: "x"}); err == nil {
			t.Fatal("an unknown field must be refused")
		}
	})
}
