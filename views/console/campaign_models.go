package console

import "time"

// CampaignRow is one campaign in the list.
type CampaignRow struct {
	Name    string
	URL     string
	Make    string
	Chip    Chip
	Cutover time.Time
	// Progress is one line: owners told and vehicles completed, or the
	// draft's live cohort.
	Progress string
}

// CampaignListView lists campaigns, newest first.
type CampaignListView struct {
	Chrome
	Rows     []CampaignRow
	OlderURL string

	// Migrations are the suspected migrations on the banner.
	Migrations []MigrationAlert
	// AutoPaused are the campaigns that paused themselves, on any page.
	AutoPaused []AutoPauseBanner
}

// CampaignForm is what staff typed into the create form, as typed, so a
// refused form comes back filled in.
type CampaignForm struct {
	Name       string
	Make       string
	Models     string
	YearFrom   string
	YearTo     string
	Countries  string
	VehicleIDs string
	Reason     string
	// Messages is the custom sentence by language tag.
	Messages  map[string]string
	Cutover   string
	Breaks    bool
	Flow      string
	Offsets   string
	FirstWave string
	WaveHold  string
	// IdempotencyKey makes a double-submitted form one campaign.
	IdempotencyKey string
}

// LanguageField is one language's custom sentence field.
type LanguageField struct {
	Tag  string
	Name string
}

// CohortView is a cohort's counts and what they mean for the schedule.
type CohortView struct {
	Vehicles int64
	Owners   int64
	NoOwner  int64
	NoEmail  int64
	ByState  []StateCount
	// Emails is an upper bound of the emails the schedule sends: owners
	// with an address times its notices.
	Emails int64
	// Warnings are what staff should know before launching.
	Warnings []string
	// Snapshot is true once launched: the counts are the snapshot's
	// vehicles by their current states, not a live match.
	Snapshot bool
}

// CampaignFormView is the create form, with its cohort preview once asked.
type CampaignFormView struct {
	Chrome
	Form      CampaignForm
	Errors    FieldErrors
	Reasons   []Option
	Flows     []Option
	Languages []LanguageField
	Preview   *CohortView
	// Action is where the form posts.
	Action string
	// FirstWaveHint and WaveHoldHint explain the wave fields with the
	// configured defaults.
	FirstWaveHint string
	WaveHoldHint  string
}

// KeyValue is one line of a definition list.
type KeyValue struct {
	Key   string
	Value string
}

// Metric is one cumulative count of the funnel.
type Metric struct {
	ID    string
	Label string
	Count int64
}

// MoveLink is an action on the campaign page (to its confirmation).
type MoveLink struct {
	Move  string
	Label string
	URL   string
	Tone  string
}

// CampaignVehicleRow is one vehicle of a launched campaign.
type CampaignVehicleRow struct {
	VIN        string
	SmartcarID string
	Vehicle    string
	Chip       Chip
	OwnerEmail string
	OwnerURL   string
	Step       string
	StepTone   string
	Wave       int
}

// CampaignView is a campaign's page.
type CampaignView struct {
	Chrome
	ID         int64
	Name       string
	Chip       Chip
	Definition []KeyValue
	Messages   []KeyValue
	Cohort     CohortView
	Launched   bool
	// Progress is the one-line summary: "3 of 10 owners notified, next
	// notice in 2 days".
	Progress string
	Funnel   []Metric
	Moves    []MoveLink
	// EmailReady says a test email can be sent.
	EmailReady bool
	NoticesURL string
	TestURL    string
	// The vehicle list.
	Query     string
	Vehicles  []CampaignVehicleRow
	NextURL   string
	FirstURL  string
	SearchURL string
	// AutoPause is set while the campaign is paused because it paused
	// itself.
	AutoPause *AutoPauseBanner
	// FollowUp is for launched campaigns.
	FollowUp *FollowUpView
}

// ConfirmView asks an admin to confirm a launch, pause, resume or cancel.
type ConfirmView struct {
	Chrome
	Name    string
	Heading string
	Explain []string
	Cohort  *CohortView
	Action  string
	Button  string
	Tone    string
	Back    string
	Error   string
}

// NoticeLanguage is one language's text of one notice.
type NoticeLanguage struct {
	Tag  string
	Name string
	Text string
	// TextLang is the language Text is in (English when it falls back).
	TextLang string
	// Note says where the text comes from when it is not this language's
	// own sentence.
	Note string
}

// NoticeStep is one step of the schedule and its text in each language.
type NoticeStep struct {
	Label     string
	Due       time.Time
	Languages []NoticeLanguage
}

// NoticesView previews a campaign's notices.
type NoticesView struct {
	Chrome
	Name        string
	CampaignURL string
	Reason      string
	Steps       []NoticeStep
	EmailReady  bool
	TestURL     string
}
