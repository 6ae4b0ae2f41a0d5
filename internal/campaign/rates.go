package campaign

import (
	"sort"
	"strconv"
	"time"
)

// Shortfall is a moment of the schedule whose emails the sending rate
// cannot hand to the mail server before the next moment comes (or, for
// notices before it, before the cut-over): owners would hear late.
type Shortfall struct {
	// At is when the burst is due; Label says which: "launch", "later
	// wave" or a notice's offset.
	At    time.Time
	Label string
	// Owners are told at once; Needs is how long the rate takes for them;
	// Gap is the time until the next moment.
	Owners int64
	Needs  time.Duration
	Gap    time.Duration
}

// Effective is the rate that holds for a campaign's emails: the lower of
// CAMPAIGN_RATE and EMAIL_RATE where set (emails per minute); 0 when
// neither is.
func Effective(campaignRate, emailRate int) int {
	switch {
	case campaignRate > 0 && emailRate > 0:
		return min(campaignRate, emailRate)
	case campaignRate > 0:
		return campaignRate
	}
	return emailRate
}

// Shortfalls lists the moments of a campaign's schedule the rate cannot
// keep, were it launched at `now`: owners with an address is how many get
// each notice, split into the first wave (firstWave percent, rounded up)
// and the later one hold after the launch. Notices already due at a
// release are one email then, as the launch plans them. Nothing when
// perMinute is 0 (no rate is set). The estimate is at best: quiet hours
// and other email share the rate too.
func Shortfalls(owners int64, cutover time.Time, offsets []time.Duration, now time.Time, firstWave int, hold time.Duration, perMinute int) []Shortfall {
	if perMinute <= 0 || owners <= 0 {
		return nil
	}
	first := owners
	if firstWave > 0 && firstWave < 100 && hold > 0 {
		first = firstWaveOwners(owners, firstWave)
	}
	type burst struct {
		at     time.Time
		label  string
		owners int64
	}
	byTime := map[time.Time]*burst{}
	add := func(at time.Time, label string, n int64) {
		if b, ok := byTime[at]; ok {
			b.owners += n
			return
		}
		byTime[at] = &burst{at: at, label: label, owners: n}
	}
	waves := []struct {
		release time.Time
		label   string
		owners  int64
	}{{now, "launch", first}}
	if first < owners {
		waves = append(waves, struct {
			release time.Time
			label   string
			owners  int64
		}{now.Add(hold), "later wave", owners - first})
	}
	for _, w := range waves {
		for _, p := range planNotices(cutover, offsets, w.release) {
			label := FormatOffset(time.Duration(p.OffsetSeconds) * time.Second)
			if p.DueAt.Equal(w.release) {
				label = w.label
			}
			add(p.DueAt, label, w.owners)
		}
	}
	bursts := make([]*burst, 0, len(byTime))
	for _, b := range byTime {
		bursts = append(bursts, b)
	}
	sort.Slice(bursts, func(i, j int) bool { return bursts[i].at.Before(bursts[j].at) })
	var out []Shortfall
	for i, b := range bursts {
		needs := time.Duration((b.owners+int64(perMinute)-1)/int64(perMinute)) * time.Minute
		var next time.Time
		if i+1 < len(bursts) {
			next = bursts[i+1].at
		}
		if b.at.Before(cutover) && (next.IsZero() || cutover.Before(next)) {
			next = cutover
		}
		if next.IsZero() {
			continue
		}
		if gap := next.Sub(b.at); needs > gap {
			out = append(out, Shortfall{At: b.at, Label: b.label, Owners: b.owners, Needs: needs, Gap: gap})
		}
	}
	return out
}

// FormatOffset writes an offset from the cut-over as staff type it in the
// console's form: "-14d", "-48h", "0", "+90m".
func FormatOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	switch {
	case d == 0:
		return "0"
	case d%(24*time.Hour) == 0:
		return sign + strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return sign + strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return sign + strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return sign + d.String()
}
