package model

// PauseReason says why a running campaign paused itself: what went wrong
// with the last wave it sent. Stored with the campaign, shown to staff and
// sent to the host in campaign.paused; a Prometheus label too.
type PauseReason string

// The auto-pause reasons.
const (
	// PauseBounces: too many of the wave's emails failed for good or
	// bounced (the address does not exist, the provider refuses us).
	PauseBounces PauseReason = "bounces"
	// PauseComplaints: too many owners marked the wave's email as spam.
	PauseComplaints PauseReason = "complaints"
	// PauseConnectErrors: too many trips to Smartcar Connect ended in an
	// error other than the owner saying no (access_denied).
	PauseConnectErrors PauseReason = "connect_errors"
)

// PauseReasons lists every reason.
var PauseReasons = []PauseReason{PauseBounces, PauseComplaints, PauseConnectErrors}

// MailReport is what a mail provider reports about an email after it left
// us (POST /api/v1/email-events).
type MailReport string

// The mail reports.
const (
	// MailBounce: the receiving side gave the email back (permanent: the
	// address or the domain does not take mail).
	MailBounce MailReport = "bounce"
	// MailComplaint: the owner marked the email as spam.
	MailComplaint MailReport = "complaint"
)

// MailReports lists every report.
var MailReports = []MailReport{MailBounce, MailComplaint}
