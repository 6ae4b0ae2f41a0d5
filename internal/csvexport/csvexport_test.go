package csvexport_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"reconnect/internal/csvexport"
)

func TestEveryDangerousFirstCharacterIsDefused(t *testing.T) {
	for _, in := range []string{"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"} {
		if got := csvexport.Cell(in); got != "'"+in {
			t.Errorf("Cell(%q) = %q, want a leading quote", in, got)
		}
	}
}

func TestHarmlessCellsAreUnchanged(t *testing.T) {
	for _, in := range []string{"", "ann@example.com", "1-2", " =1", "'quoted", "Überweg", "x=1"} {
		if got := csvexport.Cell(in); got != in {
			t.Errorf("Cell(%q) = %q, want it unchanged", in, got)
		}
	}
}

func TestTheWriterDefusesEveryCellAndStaysValidCSV(t *testing.T) {
	var buf bytes.Buffer
	w := csvexport.NewWriter(&buf)
	rows := [][]string{{"id", "detail"}, {"1", "=cmd|' /C calc'!A0"}, {"2", "-2, \"quoted\"\nnext line"}}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"id", "detail"}, {"1", "'=cmd|' /C calc'!A0"}, {"2", "'-2, \"quoted\"\nnext line"}}
	if len(got) != len(want) {
		t.Fatalf("rows %q", got)
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d cell %d = %q, want %q", i, j, got[i][j], want[i][j])
			}
		}
	}
}
