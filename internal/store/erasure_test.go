package store_test

import (
	"strings"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/store"
)

// Every column the migrations make is classified as personal or not in
// store.Columns, with a reason for each personal one; a new column nobody
// classified fails here, on both databases.
func TestEveryColumnOfEveryTableIsClassifiedAsPersonalOrNot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		known := map[[2]string]store.Column{}
		for _, c := range store.Columns {
			if _, dup := known[[2]string{c.Table, c.Name}]; dup {
				t.Errorf("%s.%s is classified twice", c.Table, c.Name)
			}
			known[[2]string{c.Table, c.Name}] = c
		}
		seen := map[[2]string]bool{}
		for _, c := range dbtest.Catalog(t, db) {
			if _, foreign := store.ForeignTables[c.Table]; foreign {
				continue
			}
			if strings.HasPrefix(c.Table, "river_") {
				t.Errorf("River table %s is not in store.ForeignTables", c.Table)
				continue
			}
			k := [2]string{c.Table, c.Name}
			seen[k] = true
			if _, ok := known[k]; !ok {
				t.Errorf("column %s.%s is not classified: add it to store.Columns, personal (with why, and how erasure clears it) or not", c.Table, c.Name)
			}
		}
		for k := range known {
			if !seen[k] {
				t.Errorf("store.Columns classifies %s.%s, which the database does not have", k[0], k[1])
			}
		}
	})
}

// A personal column of an owner is cleared by the erasure, or its rows are
// deleted; only staff's personal data (not an owner's) is left alone.
func TestEveryPersonalColumnOfAnOwnerIsErased(t *testing.T) {
	deleted := map[string]bool{}
	for _, tb := range store.ErasedTables() {
		deleted[tb] = true
	}
	cleared := map[string]bool{}
	for _, tb := range store.ClearedTables() {
		cleared[tb] = true
	}
	for _, c := range store.Columns {
		if c.Personal == "" && c.Erase != "" {
			t.Errorf("%s.%s is erased but not said to be personal", c.Table, c.Name)
		}
		if c.Personal == "" || strings.Contains(c.Personal, "(staff, not owners)") || c.Table == "audit_log" {
			continue
		}
		switch {
		case deleted[c.Table]:
		case c.Erase == "":
			t.Errorf("%s.%s is personal but the erasure neither clears it nor deletes its rows", c.Table, c.Name)
		case !cleared[c.Table]:
			t.Errorf("%s.%s has an Erase but its table's rows are not selected in ownerRows", c.Table, c.Name)
		}
	}
}
