package console

// FunnelStepRow is one step of the funnel: its vehicles and their share of
// the cohort.
type FunnelStepRow struct {
	Step     string // the model's step word; the template names it
	Vehicles int64
	Share    string // "12.5%"
}

// FunnelConversionRow is the conversion from one step of the line to the
// next.
type FunnelConversionRow struct {
	From, To             string
	FromReached, Reached int64
	Rate                 string
}

// FunnelDetailRow is a reason for declining or an error of Connect, with
// how many vehicles stopped at it.
type FunnelDetailRow struct {
	Detail   string // "" when none was given
	Vehicles int64
}

// FunnelBreakdownRow is the funnel of one wave, model or country: its
// cohort, its vehicles at each step (in FunnelView.Steps' order) and the
// share completed.
type FunnelBreakdownRow struct {
	Key       string
	Cohort    int64
	Steps     []int64
	Completed string
}

// FunnelBreakdown is one table of breakdowns (per wave, model or
// country).
type FunnelBreakdown struct {
	ID      string // wave, model, country: ids and the heading's key
	Rows    []FunnelBreakdownRow
	Unknown string // how an empty key reads ("unknown")
}

// FunnelNoticeRow is one notice step (or direct) with the completions
// attributed to it.
type FunnelNoticeRow struct {
	Notice    string
	Direct    bool
	Sent      int64
	Completed int64
	Rate      string
}

// FunnelFilterOption is one choice of a filter.
type FunnelFilterOption struct {
	Value    string
	Label    string
	Selected bool
}

// FunnelForecastView says where completions will be at the cut-over.
type FunnelForecastView struct {
	// Enough is false before three whole days of data; Passed once the
	// cut-over is behind.
	Enough, Passed      bool
	Days                int
	Completed           int64
	Expected, Low, High int64
	Cohort              int64
	CutoverDay          string
}

// FunnelView is a campaign's funnel page.
type FunnelView struct {
	Chrome
	Name        string
	CampaignURL string
	CSVURL      string
	Launched    bool
	// The filters (a GET form), and whether one is applied.
	Action    string
	Waves     []FunnelFilterOption
	Models    []FunnelFilterOption
	Countries []FunnelFilterOption
	Filtered  bool
	ClearURL  string
	// AsOf is when the numbers were read, in UTC.
	AsOf        string
	Cohort      int64
	Steps       []FunnelStepRow
	Conversions []FunnelConversionRow
	DeclinedBy  []FunnelDetailRow
	FailedBy    []FunnelDetailRow
	Breakdowns  []FunnelBreakdown
	Notices     []FunnelNoticeRow
	// The chart and the same numbers as a table.
	Chart    Chart
	Days     []ChartDay
	Forecast FunnelForecastView
}
