// Package csvexport writes CSV that is safe to open in a spreadsheet. Every
// export of the product (the audit log today; timelines and campaigns as they
// are added) goes through Writer, so no export can forget to defuse a cell.
package csvexport

import (
	"encoding/csv"
	"io"
	"strings"
)

// dangerous are the first characters that make a spreadsheet read a cell as
// a formula (or, for TAB and CR, that some spreadsheets strip before doing
// so). The values we export come from outside: reasons typed by staff, user
// agents, names and subjects from the host app.
const dangerous = "=+-@\t\r"

// Cell defuses one value: one that starts with a dangerous character gets a
// leading single quote, which spreadsheets show as text and never run.
func Cell(s string) string {
	if s != "" && strings.ContainsRune(dangerous, rune(s[0])) {
		return "'" + s
	}
	return s
}

// Writer streams rows as CSV, defusing every cell.
type Writer struct {
	w *csv.Writer
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one row, each cell defused. Rows are buffered; call Flush
// after each batch so a long export streams.
func (w *Writer) Write(row []string) error {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = Cell(c)
	}
	return w.w.Write(out)
}

// Flush writes buffered rows out and reports any error so far.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}
