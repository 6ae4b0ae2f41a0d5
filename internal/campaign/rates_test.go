package campaign

import (
	"testing"
	"time"
)

func TestShortfallsNameTheNoticesTheRateCannotKeep(t *testing.T) {
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	cutover := now.Add(30 * 24 * time.Hour)
	// 10,000 owners at 2 a minute: a step takes 5,000 minutes (83h20m),
	// more than the 48h from -48h to the cut-over and the 72h after it.
	got := Shortfalls(10000, cutover, DefaultNoticeOffsets, now, 100, 0, 2)
	if len(got) != 2 || got[0].Label != "-2d" || got[1].Label != "0" || got[0].Needs != 5000*time.Minute || got[0].Gap != 48*time.Hour || got[0].Owners != 10000 {
		t.Fatalf("shortfalls: %+v", got)
	}
	if got := Shortfalls(10000, cutover, DefaultNoticeOffsets, now, 100, 0, 100); len(got) != 0 {
		t.Fatalf("100 a minute sends a step in 100 minutes: %+v", got)
	}
	if got := Shortfalls(10000, cutover, DefaultNoticeOffsets, now, 100, 0, 0); got != nil {
		t.Fatalf("without a rate nothing can be short: %+v", got)
	}
	// A cut-over two hours ahead: every step but +72h has passed, so the
	// launch sends one notice to the first wave (500 owners of 10,000) and
	// the later wave gets one when its hold ends. At 3 a minute the first
	// wave takes 167 minutes, longer than the hour until the later wave is
	// due; the later wave's 9,500 take 53 hours, and the cut-over is an
	// hour after their release.
	soon := now.Add(2 * time.Hour)
	got = Shortfalls(10000, soon, DefaultNoticeOffsets, now, 5, time.Hour, 3)
	if len(got) != 2 || got[0].Label != "launch" || got[0].Owners != 500 || got[0].Gap != time.Hour ||
		got[1].Label != "later wave" || got[1].Owners != 9500 || got[1].Gap != time.Hour {
		t.Fatalf("waves: %+v", got)
	}
	if got := Effective(0, 0); got != 0 {
		t.Fatal(got)
	}
	if Effective(120, 600) != 120 || Effective(0, 600) != 600 || Effective(120, 0) != 120 || Effective(900, 600) != 600 {
		t.Fatal("the effective rate is the lower one that is set")
	}
}
