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
	// PurposeStaffShown links are shown to a support staff member to read
	// out or paste to the owner: they live for 15 minutes and open one
	// session only, so a copy left with staff is soon worthless.
	PurposeStaffShown LinkPurpose = "staff_shown"
)

// Valid reports whether p is a known purpose.
func (p LinkPurpose) Valid() bool {
	return p == PurposeEmail || p == PurposeInApp || p == PurposeStaffShown
}

// SingleUse reports whether a link of purpose p opens one session only.
func (p LinkPurpose) SingleUse() bool { return p == PurposeInApp || p == PurposeStaffShown }
