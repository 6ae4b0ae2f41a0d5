package campaign

import (
	"testing"
	"time"
)

func TestPlanNoticesFoldsPassedStepsIntoOne(t *testing.T) {
	cut := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
	offsets := []time.Duration{-336 * time.Hour, -168 * time.Hour, -48 * time.Hour, 0, 72 * time.Hour}
	h := int64(3600)
	cases := []struct {
		name    string
		release time.Time
		offsets []int64
		first   time.Time // due time of the first notice
	}{
		{"well ahead: every step at its time", cut.Add(-400 * time.Hour), []int64{-336 * h, -168 * h, -48 * h, 0, 72 * h}, cut.Add(-336 * time.Hour)},
		{"between steps: passed ones fold into one now", cut.Add(-100 * time.Hour), []int64{-168 * h, -48 * h, 0, 72 * h}, cut.Add(-100 * time.Hour)},
		{"exactly at a step: that step is now", cut.Add(-48 * time.Hour), []int64{-48 * h, 0, 72 * h}, cut.Add(-48 * time.Hour)},
		{"after the cut-over", cut.Add(time.Hour), []int64{0, 72 * h}, cut.Add(time.Hour)},
		{"after every step: one notice now", cut.Add(100 * time.Hour), []int64{72 * h}, cut.Add(100 * time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := planNotices(cut, offsets, tc.release)
			if len(ps) != len(tc.offsets) || !ps[0].DueAt.Equal(tc.first) {
				t.Fatalf("%+v", ps)
			}
			for i, p := range ps {
				if p.OffsetSeconds != tc.offsets[i] || p.DueAt.Before(tc.release) {
					t.Fatalf("notice %d: %+v", i, p)
				}
			}
		})
	}
	if got := firstWaveOwners(3, 10); got != 1 {
		t.Fatalf("10%% of 3 owners rounds up to 1, got %d", got)
	}
	if got := firstWaveOwners(200, 25); got != 50 {
		t.Fatalf("25%% of 200 is 50, got %d", got)
	}
}
