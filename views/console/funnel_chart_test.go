package console

import (
	"strings"
	"testing"

	"reconnect/internal/model"
)

// Five days from launch, two of them still ahead with the cut-over on the
// last: the series stop at today, the axis tops at a round number above
// the forecast's high, and the forecast runs from today's completions to
// the cut-over's day with its range there.
func TestFunnelChartPlacesTheDaysTheCutoverAndTheForecast(t *testing.T) {
	c := FunnelChart(ChartInput{
		Days: []ChartDay{
			{Day: "2027-03-01", Notified: 10, Opened: 4, Completed: 0},
			{Day: "2027-03-02", Notified: 12, Opened: 6, Completed: 2},
			{Day: "2027-03-03", Notified: 12, Opened: 7, Completed: 5},
			{Day: "2027-03-04", Ahead: true},
			{Day: "2027-03-05", Ahead: true, Cutover: true},
		},
		Forecast: &ChartForecast{Expected: 9, Low: 7, High: 11},
	})
	// x: 64 + i·160 (640 wide over four gaps); y: 256 − v·240/20 (the top
	// is 20, the first round number ≥ 12 and the forecast's 11).
	if len(c.Lines) != 3 {
		t.Fatalf("lines %+v", c.Lines)
	}
	want := map[string]string{
		string(model.StepNotified):  "64,136 224,112 384,112",
		string(model.StepOpened):    "64,208 224,184 384,172",
		string(model.StepCompleted): "64,256 224,232 384,196",
	}
	for _, l := range c.Lines {
		if l.Points != want[l.Key] {
			t.Errorf("%s: %q, want %q", l.Key, l.Points, want[l.Key])
		}
	}
	if last := c.Lines[2]; last.EndX != 384 || last.EndY != 196 {
		t.Errorf("completed ends at %v,%v", last.EndX, last.EndY)
	}
	if !c.HasCutover || c.CutoverX != 704 {
		t.Errorf("cut-over at %v (%v), want 704", c.CutoverX, c.HasCutover)
	}
	if !c.HasForecast || c.ForecastLine != "384,196 704,148" || c.ForecastBand != "384,196 704,124 704,172" {
		t.Errorf("forecast %q band %q", c.ForecastLine, c.ForecastBand)
	}
	var ys []string
	for _, tk := range c.YTicks {
		ys = append(ys, tk.Label)
	}
	if got := strings.Join(ys, " "); got != "0 5 10 15 20" || c.YTicks[4].At != 16 {
		t.Errorf("y ticks %q (top at %v)", got, c.YTicks[4].At)
	}
	if len(c.XTicks) != 5 || c.XTicks[0].Label != "03-01" || c.XTicks[4].At != 704 {
		t.Errorf("x ticks %+v", c.XTicks)
	}
}

// Without a forecast (not enough data) nothing is drawn for it; a single
// day is a point at the left edge; no day at all is an empty chart.
func TestFunnelChartWithoutForecastOrDays(t *testing.T) {
	c := FunnelChart(ChartInput{Days: []ChartDay{{Day: "2027-03-01", Notified: 3, Cutover: true}}})
	if c.HasForecast || len(c.Lines) != 3 || c.Lines[0].Points != "64,76" || !c.HasCutover || c.CutoverX != 64 {
		t.Errorf("one day: %+v", c)
	}
	if e := FunnelChart(ChartInput{}); len(e.Lines) != 0 || e.HasCutover || len(e.YTicks) != 1 {
		t.Errorf("no day: %+v", e)
	}
	// A forecast whose cut-over is today is not drawn: there is no span.
	c = FunnelChart(ChartInput{Days: []ChartDay{{Day: "2027-03-01"}, {Day: "2027-03-02", Cutover: true}}, Forecast: &ChartForecast{Expected: 1}})
	if c.HasForecast {
		t.Errorf("forecast drawn on the cut-over's own day: %+v", c)
	}
}

func TestNiceCeilRoundsUpToAReadableTop(t *testing.T) {
	for in, want := range map[int64]int64{0: 4, 3: 4, 5: 5, 12: 20, 20: 20, 21: 25, 26: 50, 99: 100, 101: 200, 48000: 50000, 200000: 200000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", in, got, want)
		}
	}
}
