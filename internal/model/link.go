package model

// LinkPurpose says how an owner link is delivered, which decides how long it
// lives and whether it can be used again.
type LinkPurpose string

// The link purposes.
const (
	// PurposeEmail links live for days and can be used again until they
	// expire or every vehicle in them is fixed: owners reopen emails.
	PurposeEmail LinkPurpose = "email"
	// PurposeInApp links live for minutes and open one session only.
	PurposeInApp LinkPurpose = "in_app"
)

// Valid reports whether p is a known purpose.
func (p LinkPurpose) Valid() bool { return p == PurposeEmail || p == PurposeInApp }
