package campaign

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// FunnelFilter narrows a funnel to one wave, model or country.
type FunnelFilter = store.FunnelFilter

// Conversion is the share of vehicles that got from one step of the line
// to the next. Reached counts the vehicles at a step or further along the
// line (every vehicle for not_notified); a vehicle that declined, failed or
// is unreachable left the line and counts at no step of it. Rate is
// To's Reached over From's (0 when From reached none).
type Conversion struct {
	From, To    model.FunnelStep
	FromReached int64
	ToReached   int64
	Rate        float64
}

// StepCounts are a set of vehicles by their one step; they add up to
// Cohort.
type StepCounts struct {
	Cohort      int64
	Steps       map[model.FunnelStep]int64
	Conversions []Conversion
}

func newStepCounts() StepCounts {
	sc := StepCounts{Steps: make(map[model.FunnelStep]int64, len(model.FunnelSteps))}
	for _, st := range model.FunnelSteps {
		sc.Steps[st] = 0
	}
	return sc
}

func (sc *StepCounts) add(st model.FunnelStep, n int64) {
	sc.Cohort += n
	sc.Steps[st] += n
}

// convert fills Conversions from Steps.
func (sc *StepCounts) convert() {
	reached := func(i int) int64 {
		if i == 0 {
			return sc.Cohort
		}
		var n int64
		for _, st := range model.FunnelLine[i:] {
			n += sc.Steps[st]
		}
		return n
	}
	sc.Conversions = sc.Conversions[:0]
	for i := 0; i+1 < len(model.FunnelLine); i++ {
		c := Conversion{From: model.FunnelLine[i], To: model.FunnelLine[i+1], FromReached: reached(i), ToReached: reached(i + 1)}
		c.Rate = ratio(c.ToReached, c.FromReached)
		sc.Conversions = append(sc.Conversions, c)
	}
}

// byCount lists m most vehicles first, then by detail.
func byCount(m map[string]int64) []DetailCount {
	out := make([]DetailCount, 0, len(m))
	for d, n := range m {
		out = append(out, DetailCount{Detail: d, Vehicles: n})
	}
	slices.SortFunc(out, func(a, b DetailCount) int {
		if a.Vehicles != b.Vehicles {
			return cmp.Compare(b.Vehicles, a.Vehicles)
		}
		return strings.Compare(a.Detail, b.Detail)
	})
	return out
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Breakdown is the funnel of the vehicles sharing one wave, model or
// country (Key; "" is an unknown country).
type Breakdown struct {
	Key string
	StepCounts
}

// NoticeAttribution is one notice step (or "direct") with the emails sent
// for it and the completions attributed to it: completions in a session
// opened by a link from one of its emails. Rate is Completed over Sent.
type NoticeAttribution struct {
	Notice    string
	Sent      int64
	Completed int64
	Rate      float64
}

// DetailCount is how many vehicles stopped at a step for one reason: the
// owner's reason for declining, or Connect's error for a failure ("" when
// none was given).
type DetailCount struct {
	Detail   string
	Vehicles int64
}

// FunnelDay is one UTC day of the chart: how many vehicles had been
// notified, had opened and had completed by its end.
type FunnelDay struct {
	Day       string // YYYY-MM-DD
	Notified  int64
	Opened    int64
	Completed int64
	// Cutover marks the day of the cut-over.
	Cutover bool
}

// Forecast is where completions will be at the cut-over if the last days'
// trend holds: a least-squares line through the daily completions of up
// to the last ForecastWindow whole UTC days, summed over the days left,
// and the range one standard deviation of the daily count gives over the
// same days. Enough is false before ForecastMinDays whole days of data.
type Forecast struct {
	Enough bool
	// Days is how many whole days the fit used; DaysLeft how many days
	// (today and those until the cut-over's day) it projects.
	Days     int
	DaysLeft int
	// Slope and Intercept are the fitted line (completions a day, by the
	// day's index in the window from 0).
	Slope, Intercept float64
	StdDev           float64
	// Completed is the count now; Expected, Low and High at the cut-over.
	Completed        int64
	Expected         int64
	Low, High        int64
	CutoverHasPassed bool
}

// Forecast window: the fit reads at most ForecastWindow whole days and
// says nothing before ForecastMinDays.
const (
	ForecastWindow  = 7
	ForecastMinDays = 3
)

// Funnel is a campaign's funnel, narrowed by Filter.
type Funnel struct {
	Campaign model.Campaign
	Filter   FunnelFilter
	StepCounts
	ByWave    []Breakdown
	ByModel   []Breakdown
	ByCountry []Breakdown
	ByNotice  []NoticeAttribution
	// DeclinedBy and FailedBy break the declined and failed steps down by
	// reason and by error, most vehicles first.
	DeclinedBy []DetailCount
	FailedBy   []DetailCount
	Days       []FunnelDay
	Forecast   Forecast
	// Facets are the filters' choices, from the whole cohort.
	Facets store.FunnelFacets
}

// Funnel computes campaign id's funnel at the store's now; store.ErrNotFound
// when there is no such campaign. A draft has no cohort yet: all zero.
func (s *Service) Funnel(ctx context.Context, id int64, f FunnelFilter) (Funnel, error) {
	c, err := s.store.CampaignByID(ctx, id)
	if err != nil {
		return Funnel{}, err
	}
	now := s.store.Now()
	out := Funnel{Campaign: c, Filter: f, StepCounts: newStepCounts()}
	if c.LaunchedAt != nil {
		if err := s.store.RefreshCampaignFunnel(ctx, id); err != nil {
			return Funnel{}, err
		}
	}
	groups, err := s.store.CampaignFunnelGroups(ctx, id, f)
	if err != nil {
		return Funnel{}, err
	}
	// The filters' choices come from the whole cohort: the groups read,
	// unless they are narrowed.
	if f == (FunnelFilter{}) {
		out.Facets = store.FacetsOf(groups)
	} else if out.Facets, err = s.store.CampaignFunnelFacets(ctx, id); err != nil {
		return Funnel{}, err
	}
	sent, err := s.store.CampaignNoticeCounts(ctx, id)
	if err != nil {
		return Funnel{}, err
	}
	waves, models, countries := map[string]*Breakdown{}, map[string]*Breakdown{}, map[string]*Breakdown{}
	var waveKeys, modelKeys, countryKeys []string
	into := func(m map[string]*Breakdown, keys *[]string, k string, g store.FunnelGroup) {
		b := m[k]
		if b == nil {
			b = &Breakdown{Key: k, StepCounts: newStepCounts()}
			m[k] = b
			*keys = append(*keys, k)
		}
		b.add(g.Step, g.Vehicles)
	}
	attributed := map[string]int64{} // notice step key ("": direct) → completions
	declined, failed := map[string]int64{}, map[string]int64{}
	for _, g := range groups {
		switch g.Step {
		case model.StepDeclined:
			declined[g.Detail] += g.Vehicles
		case model.StepFailed:
			failed[g.Detail] += g.Vehicles
		}
		out.add(g.Step, g.Vehicles)
		into(waves, &waveKeys, fmt.Sprint(g.Wave), g)
		into(models, &modelKeys, g.Model, g)
		into(countries, &countryKeys, g.Country, g)
		if g.Step == model.StepCompleted {
			attributed[g.Notice] += g.Vehicles
		}
	}
	out.convert()
	collect := func(m map[string]*Breakdown, keys []string) []Breakdown {
		slices.Sort(keys)
		bs := make([]Breakdown, 0, len(keys))
		for _, k := range keys {
			b := m[k]
			b.convert()
			bs = append(bs, *b)
		}
		return bs
	}
	out.ByWave, out.ByModel, out.ByCountry = collect(waves, waveKeys), collect(models, modelKeys), collect(countries, countryKeys)
	for _, st := range noticeSteps(c, sent) {
		a := NoticeAttribution{Notice: noticeLabel(st), Sent: st.Sent, Completed: attributed[st.Key()]}
		a.Rate = ratio(a.Completed, a.Sent)
		out.ByNotice = append(out.ByNotice, a)
	}
	out.ByNotice = append(out.ByNotice, NoticeAttribution{Notice: model.FunnelAttributionDirect, Completed: attributed[""]})
	out.DeclinedBy, out.FailedBy = byCount(declined), byCount(failed)

	days, err := s.store.CampaignFunnelDays(ctx, id, f)
	if err != nil {
		return Funnel{}, err
	}
	if c.LaunchedAt != nil {
		out.Days = cumulativeDays(*c.LaunchedAt, now, c.CutoverAt, days)
		out.Forecast = forecast(*c.LaunchedAt, now, c.CutoverAt, days, out.Steps[model.StepCompleted], out.Cohort)
	}
	return out, nil
}

// noticeSteps lists the campaign's notice steps in due order: every offset
// of its schedule, sent or not, then each "new date" notice that went out,
// with how many of each were sent.
func noticeSteps(c model.Campaign, sent []store.NoticeCount) []store.NoticeCount {
	byKey := map[string]store.NoticeCount{}
	for _, n := range sent {
		byKey[n.Key()] = n
	}
	var out []store.NoticeCount
	for _, d := range c.NoticeOffsets {
		n := store.NoticeCount{Kind: store.NoticeScheduled, OffsetSeconds: int64(d / time.Second)}
		if got, ok := byKey[n.Key()]; ok {
			n = got
		}
		delete(byKey, n.Key())
		out = append(out, n)
	}
	rest := make([]store.NoticeCount, 0, len(byKey))
	for _, n := range byKey {
		rest = append(rest, n)
	}
	slices.SortFunc(rest, func(a, b store.NoticeCount) int {
		if a.Revision != b.Revision {
			return cmp.Compare(a.Revision, b.Revision)
		}
		return cmp.Compare(a.OffsetSeconds, b.OffsetSeconds)
	})
	return append(out, rest...)
}

// noticeLabel names a notice step as the API spells offsets ("-336h",
// "0h", "+72h"), or "new date" with the cut-over's revision.
func noticeLabel(n store.NoticeCount) string {
	if n.Kind == store.NoticeNewDate {
		return fmt.Sprintf("new date (revision %d)", n.Revision)
	}
	d := time.Duration(n.OffsetSeconds) * time.Second
	if d%time.Hour == 0 {
		return fmt.Sprintf("%+dh", int64(d/time.Hour))
	}
	return strings.TrimSuffix(d.String(), "0s")
}

const dayLayout = time.DateOnly

func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// cumulativeDays turns per-day counts into running totals for every UTC
// day from the launch's to today's (and on to the cut-over's day when it
// is still ahead, so the chart shows the date), marking the cut-over's.
func cumulativeDays(launched, now, cutover time.Time, days []store.FunnelDay) []FunnelDay {
	byDay := map[string]store.FunnelDay{}
	for _, d := range days {
		byDay[d.Day] = d
	}
	first, last := utcDay(launched), utcDay(now)
	if cd := utcDay(cutover); cd.After(last) {
		last = cd
	}
	today := utcDay(now)
	var out []FunnelDay
	var n, o, c int64
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		key := d.Format(dayLayout)
		if !d.After(today) {
			x := byDay[key]
			n, o, c = n+x.Notified, o+x.Opened, c+x.Completed
		}
		out = append(out, FunnelDay{Day: key, Notified: n, Opened: o, Completed: c, Cutover: d.Equal(utcDay(cutover))})
	}
	return out
}

// forecast fits the daily completions of the last whole days (see
// Forecast). The days projected are today and every day before the
// cut-over's: today's count is still growing, so it is projected, not read.
func forecast(launched, now, cutover time.Time, days []store.FunnelDay, completed, cohort int64) Forecast {
	fc := Forecast{Completed: completed, Expected: completed, Low: completed, High: completed}
	if !now.Before(cutover) {
		fc.CutoverHasPassed = true
		return fc
	}
	byDay := map[string]int64{}
	for _, d := range days {
		byDay[d.Day] = d.Completed
	}
	today := utcDay(now)
	whole := int(today.Sub(utcDay(launched)) / (24 * time.Hour))
	if whole < ForecastMinDays {
		fc.Days = whole
		return fc
	}
	fc.Enough = true
	fc.Days = min(whole, ForecastWindow)
	ys := make([]float64, fc.Days)
	for i := range ys {
		ys[i] = float64(byDay[today.AddDate(0, 0, i-fc.Days).Format(dayLayout)])
	}
	fc.Slope, fc.Intercept, fc.StdDev = fitLine(ys)
	fc.DaysLeft = int(utcDay(cutover).Sub(today) / (24 * time.Hour))
	var expected float64
	for k := range fc.DaysLeft {
		expected += math.Max(0, fc.Intercept+fc.Slope*float64(fc.Days+k))
	}
	spread := fc.StdDev * float64(fc.DaysLeft)
	clamp := func(v float64) int64 {
		n := int64(math.Round(v))
		return max(completed, min(n, cohort))
	}
	fc.Expected = clamp(float64(completed) + expected)
	fc.Low = clamp(float64(completed) + expected - spread)
	fc.High = clamp(float64(completed) + expected + spread)
	return fc
}

// fitLine is the least-squares line y = intercept + slope·x through
// (i, ys[i]), and the standard deviation of ys (population: the days are
// all there is).
func fitLine(ys []float64) (slope, intercept, sd float64) {
	n := float64(len(ys))
	var sx, sy, sxx, sxy float64
	for i, y := range ys {
		x := float64(i)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	if d := n*sxx - sx*sx; d != 0 {
		slope = (n*sxy - sx*sy) / d
	}
	intercept = (sy - slope*sx) / n
	mean := sy / n
	var ss float64
	for _, y := range ys {
		ss += (y - mean) * (y - mean)
	}
	return slope, intercept, math.Sqrt(ss / n)
}
