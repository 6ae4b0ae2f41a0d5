package console

import "time"

// MigrationAlert is one suspected migration in the console's banner.
type MigrationAlert struct {
	Make       string
	Vehicles   int64
	FirstError string
	FirstBreak time.Time
	// CampaignURL opens the create form prefilled from the alert; empty
	// for agents, who cannot create campaigns.
	CampaignURL string
}

// NeedsPersonView is the "Needs a person" queue.
type NeedsPersonView struct {
	Chrome
	Rows []NeedsPersonRow
	// Campaigns filter the queue; Campaign is the chosen one's id ("" for all).
	Campaigns []Option
	Campaign  string
	Action    string
	OlderURL  string
}

// NeedsPersonRow is one owner who needs a person.
type NeedsPersonRow struct {
	Reason   string
	Owner    string
	OwnerURL string
	Vehicle  string
	Campaign string
	Since    time.Time
}
