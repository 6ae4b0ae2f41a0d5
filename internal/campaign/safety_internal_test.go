package campaign

import (
	"testing"
	"time"
)

// A fast check runs every time, and so does a slow one of a small wave
// (the server is busy, not the wave big); a slow check of a big wave is
// not repeated inline until twenty times its duration has passed.
func TestSlowSafetyChecksAreSpacedOut(t *testing.T) {
	var r safetyRuns
	t0 := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	if !r.due(1, t0) {
		t.Fatal("a campaign never checked is not due")
	}
	r.done(1, t0, t0.Add(10*time.Millisecond), 100000)
	if !r.due(1, t0.Add(11*time.Millisecond)) {
		t.Fatal("a fast check was spaced out")
	}
	r.done(3, t0, t0.Add(time.Second), 60)
	if !r.due(3, t0.Add(time.Second+time.Millisecond)) {
		t.Fatal("a slow check of 60 emails was spaced out")
	}
	r.done(2, t0, t0.Add(time.Second), 100000)
	if r.due(2, t0.Add(15*time.Second)) {
		t.Fatal("a 1 s check ran again 14 s later")
	}
	if !r.due(2, t0.Add(21*time.Second)) {
		t.Fatal("a 1 s check was still held back 20 s later")
	}
}
