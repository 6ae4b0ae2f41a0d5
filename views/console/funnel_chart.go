package console

import (
	"context"
	"math"
	"strconv"
	"strings"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
)

// ChartDay is one UTC day of the funnel chart: the cumulative counts by
// its end. Ahead marks a day after today (only the cut-over's date is
// drawn there, no counts).
type ChartDay struct {
	Day       string // YYYY-MM-DD
	Notified  int64
	Opened    int64
	Completed int64
	Cutover   bool
	Ahead     bool
}

// ChartForecast is the expected completions at the cut-over's day and the
// range one standard deviation gives.
type ChartForecast struct {
	Expected, Low, High int64
}

// ChartInput is what the chart shows: the days from launch to the later
// of today and the cut-over, and the forecast (nil: none drawn).
type ChartInput struct {
	Days     []ChartDay
	Forecast *ChartForecast
}

// ChartLine is one series as an SVG polyline's points ("x,y x,y").
type ChartLine struct {
	Key    string // the funnel step it counts: a style and a label
	Points string
	// EndX, EndY place the series' last point (for its marker).
	EndX, EndY float64
}

// ChartTick is a labelled position on an axis.
type ChartTick struct {
	At    float64
	Label string
}

// Chart is the funnel chart's geometry in SVG user units; the template
// only draws it.
type Chart struct {
	Width, Height            float64
	Left, Right, Top, Bottom float64 // the plot area's edges
	Lines                    []ChartLine
	XTicks, YTicks           []ChartTick
	// CutoverX is the cut-over day's x (HasCutover false: not in range).
	CutoverX   float64
	HasCutover bool
	// The forecast: a line from today's completions to the expected count
	// on the cut-over's day, and the band between Low and High there
	// (HasForecast false: none).
	HasForecast    bool
	ForecastLine   string // polyline points
	ForecastBand   string // polygon points
	ForecastLabelY float64
}

// Chart size and margins (SVG user units; the SVG scales to its box).
const (
	chartWidth, chartHeight         = 720.0, 300.0
	chartLeft, chartRight           = 64.0, 704.0
	chartTop, chartBottom           = 16.0, 256.0
	chartMaxXTicks, chartYTickParts = 8, 4
)

// FunnelChart lays the chart out: x is the day's index from launch, y the
// count from 0 to a round number at least the largest value drawn
// (forecast included). A series is drawn up to today; a single day is a
// point at the left edge.
func FunnelChart(in ChartInput) Chart {
	c := Chart{Width: chartWidth, Height: chartHeight, Left: chartLeft, Right: chartRight, Top: chartTop, Bottom: chartBottom}
	n := len(in.Days)
	if n == 0 {
		c.YTicks = []ChartTick{{At: chartBottom, Label: "0"}}
		return c
	}
	var top int64
	for _, d := range in.Days {
		top = max(top, d.Notified, d.Opened, d.Completed)
	}
	if in.Forecast != nil {
		top = max(top, in.Forecast.High, in.Forecast.Expected)
	}
	ymax := niceCeil(top)
	x := func(i int) float64 {
		if n == 1 {
			return chartLeft
		}
		return round2(chartLeft + float64(i)*(chartRight-chartLeft)/float64(n-1))
	}
	y := func(v int64) float64 { return round2(chartBottom - float64(v)/float64(ymax)*(chartBottom-chartTop)) }

	today := -1 // the last day with counts
	for i, d := range in.Days {
		if !d.Ahead {
			today = i
		}
		if d.Cutover {
			c.CutoverX, c.HasCutover = x(i), true
		}
	}
	if today >= 0 {
		series := []struct {
			key string
			v   func(ChartDay) int64
		}{
			{string(model.StepNotified), func(d ChartDay) int64 { return d.Notified }},
			{string(model.StepOpened), func(d ChartDay) int64 { return d.Opened }},
			{string(model.StepCompleted), func(d ChartDay) int64 { return d.Completed }},
		}
		for _, s := range series {
			pts := make([]string, 0, today+1)
			for i := 0; i <= today; i++ {
				pts = append(pts, point(x(i), y(s.v(in.Days[i]))))
			}
			c.Lines = append(c.Lines, ChartLine{Key: s.key, Points: strings.Join(pts, " "), EndX: x(today), EndY: y(s.v(in.Days[today]))})
		}
	}
	if f := in.Forecast; f != nil && today >= 0 && c.HasCutover && c.CutoverX > x(today) {
		from := point(x(today), y(in.Days[today].Completed))
		c.HasForecast = true
		c.ForecastLine = from + " " + point(c.CutoverX, y(f.Expected))
		c.ForecastBand = from + " " + point(c.CutoverX, y(f.High)) + " " + point(c.CutoverX, y(f.Low))
		c.ForecastLabelY = y(f.Expected)
	}

	for k := 0; k <= chartYTickParts; k++ {
		v := ymax * int64(k) / chartYTickParts
		c.YTicks = append(c.YTicks, ChartTick{At: y(v), Label: strconv.FormatInt(v, 10)})
	}
	step := max(1, (n+chartMaxXTicks-1)/chartMaxXTicks)
	for i := 0; i < n; i += step {
		c.XTicks = append(c.XTicks, ChartTick{At: x(i), Label: shortDay(in.Days[i].Day)})
	}
	if last := n - 1; last%step != 0 {
		c.XTicks = append(c.XTicks, ChartTick{At: x(last), Label: shortDay(in.Days[last].Day)})
	}
	return c
}

// niceCeil is the smallest of 1, 2, 2.5 or 5 times a power of ten that is
// at least v (and at least 4, so the axis has whole ticks).
func niceCeil(v int64) int64 {
	if v <= 4 {
		return 4
	}
	p := int64(math.Pow(10, math.Floor(math.Log10(float64(v)))))
	for _, m := range []int64{10, 20, 25, 50, 100} {
		if c := p * m / 10; c >= v {
			return c
		}
	}
	return p * 10
}

// shortDay writes "2027-03-01" as "03-01".
func shortDay(day string) string {
	if len(day) == 10 {
		return day[5:]
	}
	return day
}

func point(x, y float64) string {
	return strconv.FormatFloat(x, 'f', -1, 64) + "," + strconv.FormatFloat(y, 'f', -1, 64)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// lineColor and lineDash tell the series apart by colour and by dash, so
// the chart reads without colour too.
func lineColor(key string) string {
	switch model.FunnelStep(key) {
	case model.StepNotified:
		return "#5f6368"
	case model.StepOpened:
		return "#b06000"
	}
	return "#0b57d0"
}

func lineDash(key string) string {
	switch model.FunnelStep(key) {
	case model.StepNotified:
		return "8 4"
	case model.StepOpened:
		return "2 3"
	}
	return "none"
}

// chartDesc says in one sentence what the chart shows, for the SVG's desc.
func chartDesc(ctx context.Context, v FunnelView) string {
	if len(v.Days) == 0 {
		return i18n.T(ctx, "console.funnel.chart.empty")
	}
	last := v.Days[0]
	for _, d := range v.Days {
		if !d.Ahead {
			last = d
		}
	}
	return i18n.T(ctx, "console.funnel.chart.desc", map[string]any{"From": v.Days[0].Day, "To": v.Days[len(v.Days)-1].Day,
		"Notified": last.Notified, "Opened": last.Opened, "Completed": last.Completed})
}
