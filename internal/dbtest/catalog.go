package dbtest

import (
	"testing"

	"reconnect/internal/database"
)

// Column is one column as the database's catalog describes it.
type Column struct {
	Table, Name, Type string
}

// Catalog lists every column of every table of the test database (on
// PostgreSQL, of its schema), read from the catalog, so a test sees what
// the migrations made rather than what the code expects.
func Catalog(t testing.TB, db *database.DB) []Column {
	t.Helper()
	var out []Column
	if db.IsPostgres() {
		err := db.Gorm.Raw(`SELECT table_name AS "table", column_name AS name, data_type AS type
			FROM information_schema.columns WHERE table_schema = current_schema()
			ORDER BY table_name, ordinal_position`).Scan(&out).Error
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	var tables []string
	if err := db.Gorm.Raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		var cols []struct {
			Name string
			Type string
		}
		if err := db.Gorm.Raw("SELECT name, type FROM pragma_table_info(?)", tb).Scan(&cols).Error; err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			out = append(out, Column{Table: tb, Name: c.Name, Type: c.Type})
		}
	}
	return out
}

// TextOf is a SELECT expression for the column's value as text, bytes
// included, for scanning every value in the database.
func TextOf(db *database.DB, c Column) string {
	if db.IsPostgres() && c.Type == "bytea" {
		return "encode(" + c.Name + ", 'escape')"
	}
	return "CAST(" + c.Name + " AS TEXT)"
}
