package model

import (
	"slices"
	"time"
)

// CampaignState is where a migration campaign is in its life. Stored, and
// returned by the API, so the values never change.
type CampaignState string

// The campaign states.
const (
	// CampaignDraft: being defined; its cohort is a live preview.
	CampaignDraft CampaignState = "draft"
	// CampaignRunning: launched; its cohort is a snapshot and notices go out.
	CampaignRunning CampaignState = "running"
	// CampaignPaused: launched, but no notice goes out until it resumes.
	CampaignPaused CampaignState = "paused"
	// CampaignFinished: over as planned; pending notices were withdrawn.
	CampaignFinished CampaignState = "finished"
	// CampaignCancelled: called off; pending notices were withdrawn.
	CampaignCancelled CampaignState = "cancelled"
)

// CampaignStates lists every state in the order the console shows them.
var CampaignStates = []CampaignState{CampaignDraft, CampaignRunning, CampaignPaused, CampaignFinished, CampaignCancelled}

// campaignMoves is every allowed transition, from → to.
var campaignMoves = map[CampaignState][]CampaignState{
	CampaignDraft:   {CampaignRunning, CampaignCancelled},
	CampaignRunning: {CampaignPaused, CampaignFinished, CampaignCancelled},
	CampaignPaused:  {CampaignRunning, CampaignFinished, CampaignCancelled},
}

// Valid reports whether s is a known state.
func (s CampaignState) Valid() bool { return slices.Contains(CampaignStates, s) }

// CanMoveTo reports whether a campaign in state s may move to state to:
// draft→running|cancelled, running↔paused, running|paused→finished|cancelled.
// Finished and cancelled are final.
func (s CampaignState) CanMoveTo(to CampaignState) bool {
	return slices.Contains(campaignMoves[s], to)
}

// Live reports whether the campaign is launched and not over (running or
// paused): its cohort is a snapshot that late matches join, and its notices
// are pending.
func (s CampaignState) Live() bool { return s == CampaignRunning || s == CampaignPaused }

// CampaignReason says why the carmaker's owners must sign in again; it picks
// the wording of the notices and the owner's card.
type CampaignReason string

// The campaign reasons.
const (
	ReasonNewPlatform  CampaignReason = "new_platform"  // the carmaker moves to a new connected-car platform
	ReasonNewSignIn    CampaignReason = "new_sign_in"   // the carmaker changes how owners sign in
	ReasonRegionChange CampaignReason = "region_change" // the carmaker moves accounts to another region's service
	ReasonOther        CampaignReason = "other"         // staff's own words, in the campaign's custom message
)

// CampaignReasons lists every reason.
var CampaignReasons = []CampaignReason{ReasonNewPlatform, ReasonNewSignIn, ReasonRegionChange, ReasonOther}

// Valid reports whether r is a known reason.
func (r CampaignReason) Valid() bool { return slices.Contains(CampaignReasons, r) }

// RepairFlow is the trip through Smartcar Connect a campaign sends owners on.
type RepairFlow string

// The repair flows.
const (
	// FlowReauthenticate: Connect's re-authentication, vehicle already chosen.
	FlowReauthenticate RepairFlow = "reauthenticate"
	// FlowConnect: a full Connect, for migrations after which
	// re-authentication cannot work (new accounts, new vehicle ids).
	FlowConnect RepairFlow = "connect"
)

// RepairFlows lists every flow.
var RepairFlows = []RepairFlow{FlowReauthenticate, FlowConnect}

// Valid reports whether f is a known flow.
func (f RepairFlow) Valid() bool { return slices.Contains(RepairFlows, f) }

// Campaign is a planned carmaker migration and the owners Reconnect tells
// about it. The cohort is every vehicle matching all the rules that are set
// (make always; models, years, countries and an explicit vehicle list when
// given); it is a live query while the campaign is a draft and a snapshot
// (campaign_vehicles) once it is launched, which vehicles that match later
// still join.
type Campaign struct {
	ID    int64
	Name  string
	State CampaignState
	// Make is Smartcar's upper-case make, e.g. TESLA.
	Make string
	// Models narrows the cohort to these model names, exactly as stored;
	// empty means every model.
	Models []string
	// YearFrom and YearTo bound the model year, inclusive; 0 leaves that end open.
	YearFrom int
	YearTo   int
	// Countries narrows the cohort to vehicles registered in these ISO
	// 3166-1 alpha-2 countries; empty means any, including unknown.
	Countries []string
	// HasVehicleList says the cohort is narrowed to an explicit list of
	// Smartcar vehicle ids or VINs (kept in campaign_targets).
	HasVehicleList bool
	Reason         CampaignReason
	// CustomMessage is staff's own words by language tag ("en", "de", …);
	// "en" is required when Reason is ReasonOther.
	CustomMessage map[string]string
	// CutoverAt is when the carmaker switches over.
	CutoverAt time.Time
	// CutoverRevision counts changes of CutoverAt after the launch.
	CutoverRevision int
	// BreaksConnections says existing connections stop working at the
	// cut-over (so proof of a repair after it counts as completion).
	BreaksConnections bool
	RepairFlow        RepairFlow
	// NoticeOffsets are when owners are told, relative to CutoverAt
	// (negative: before), strictly ascending.
	NoticeOffsets []time.Duration
	// FirstWave is the percentage (1–100) of owners released at launch;
	// the rest are released WaveHold later.
	FirstWave int
	WaveHold  time.Duration
	// IdempotencyKey is the API client's key for the create request, if any.
	IdempotencyKey string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LaunchedAt     *time.Time
	PausedAt       *time.Time
	FinishedAt     *time.Time
	CancelledAt    *time.Time
	// PauseReason says why a paused campaign paused itself; empty when
	// staff paused it (or it is not paused). PauseDetail holds the numbers
	// that tripped it, as JSON (see campaign.WaveHealth).
	PauseReason PauseReason
	PauseDetail string
	// ResumedAt is when the campaign last resumed: its safety checks count
	// from then on.
	ResumedAt *time.Time
}

// AutoPaused reports whether the campaign is paused because it paused
// itself.
func (c Campaign) AutoPaused() bool { return c.State == CampaignPaused && c.PauseReason != "" }
