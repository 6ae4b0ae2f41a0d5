package store_test

import (
	"context"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/store"
)

// The dashboard's list of views in force names each staff member and
// owner from one query, and leaves out views that ended or ran out.
func TestActiveImpersonationsCarryTheirNames(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		sam, err := st.CreateStaff(ctx, store.Staff{Email: "sam@support.example", Role: store.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		now := st.Now()
		var ids []int64
		for i, in := range []store.OwnerInput{
			{HostUserID: "u-1", Email: "alice@example.com", Name: "Alice"},
			{HostUserID: "u-2", Email: "bob@example.com"},
			{HostUserID: "u-3"},
		} {
			o, err := st.UpsertOwner(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			expires := now.Add(time.Hour)
			if i == 2 {
				expires = now.Add(-time.Minute) // ran out
			}
			im, err := st.CreateImpersonation(ctx, store.Impersonation{StaffID: sam.ID, OwnerID: o.ID, Reason: "ticket", ExpiresAt: expires})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, im.ID)
		}
		got, err := st.ActiveImpersonations(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != ids[1] || got[1].ID != ids[0] {
			t.Fatalf("active: %+v", got)
		}
		if got[1].StaffEmail != "sam@support.example" || got[1].Owner.Name != "Alice" || got[1].Owner.HostUserID != "u-1" ||
			got[0].Owner.Email != "bob@example.com" || got[1].Reason != "ticket" || got[1].ExpiresAt.IsZero() {
			t.Fatalf("names: %+v", got)
		}
	})
}
