// No table: text helpers for columns.

package store

import (
	"strings"

	"reconnect/internal/textcheck"
)

// Clip keeps free text (error messages, user agents, reasons) within n bytes
// for a text column, cut on a character boundary so the result stays valid
// UTF-8: PostgreSQL refuses anything else, and a refused write of an error
// message would lose the record of the error.
func Clip(s string, n int) string { return textcheck.Clip(s, n) }

// normalizeEmail spells an address the way owners and staff store it and are
// looked up by: trimmed and lower-case.
func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
