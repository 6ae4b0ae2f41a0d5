package model

import "slices"

// OEMCase is what an owner in needs_oem_action has to fix at the carmaker
// before Reconnect can help. It picks the words the owner reads and the
// carmaker's page they are sent to, and it is the key of those pages in the
// operator's OEM_LINKS_FILE.
type OEMCase string

// The carmaker-side cases, from Smartcar's CONNECTED_SERVICES_ACCOUNT codes.
const (
	OEMSubscription   OEMCase = "subscription"
	OEMAccountIssue   OEMCase = "account_issue"
	OEMVehicleMissing OEMCase = "vehicle_missing"
	OEMNoVehicles     OEMCase = "no_vehicles"
)

// OEMCases lists every case.
var OEMCases = []OEMCase{OEMSubscription, OEMAccountIssue, OEMVehicleMissing, OEMNoVehicles}

// Valid reports whether c is a known case.
func (c OEMCase) Valid() bool { return slices.Contains(OEMCases, c) }
