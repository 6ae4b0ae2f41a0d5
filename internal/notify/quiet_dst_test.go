package notify_test

import (
	"archive/zip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reconnect/internal/config"
	"reconnect/internal/notify"
)

// The daylight-saving nights that broke quiet hours: an end that does not
// exist (clocks jump past it) or exists twice (clocks fall back over it).
func TestQuietHoursAcrossDaylightSavingChanges(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	est := time.FixedZone("EST", -5*3600)
	cases := []struct {
		name   string
		window string
		at     time.Time
		wait   time.Duration
	}{
		// 8 March 2026: 02:00 EST becomes 03:00 EDT; 02:30 never happens,
		// so the window ends at 03:00 EDT, 15 minutes after 01:45 EST.
		{"end skipped by the spring jump", "22:00-02:30", time.Date(2026, 3, 8, 1, 45, 0, 0, est), 15 * time.Minute},
		// 1 November 2026: 02:00 EDT becomes 01:00 EST; at the second 01:10
		// the window ends at the second 01:30, 20 minutes later.
		{"end repeated by the autumn fall-back", "21:00-01:30", time.Date(2026, 11, 1, 1, 10, 0, 0, est), 20 * time.Minute},
		// At the first 01:10 (EDT) the first 01:30 ends it.
		{"first pass through the repeated hour", "21:00-01:30", time.Date(2026, 11, 1, 5, 10, 0, 0, time.UTC), 20 * time.Minute},
		{"an ordinary night", "21:00-08:00", time.Date(2026, 7, 1, 23, 0, 0, 0, ny), 9 * time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := config.ParseQuietHours(c.window)
			if err != nil {
				t.Fatal(err)
			}
			until, quiet := notify.QuietUntil(q, c.at, ny)
			if !quiet || until.Sub(c.at) != c.wait {
				t.Fatalf("at %s: quiet=%v until %s (wait %s), want a wait of %s", c.at.In(ny), quiet, until.In(ny), until.Sub(c.at), c.wait)
			}
		})
	}
}

// Every zone of the time-zone database, on each day its offset changed in
// 2026, for windows ending before, inside and after the change: the end is
// never in the past, every minute until it is quiet, and the end itself is
// not (so it is never a day late either).
func TestQuietHoursEndOnEveryZonesChangeDays(t *testing.T) {
	windows := []string{"22:00-02:30", "21:00-01:30", "01:00-03:00", "02:00-02:30", "23:30-00:30", "00:00-01:00", "21:00-08:00"}
	var qs []config.QuietHours
	for _, w := range windows {
		q, err := config.ParseQuietHours(w)
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, q)
	}
	zones := zoneNames(t)
	changes := 0
	for _, name := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			continue // a link the platform lacks
		}
		for _, change := range offsetChanges(loc, 2026) {
			changes++
			for _, q := range qs {
				// Every 7 minutes from 6 h before to 6 h after the change.
				for at := change.Add(-6 * time.Hour); at.Before(change.Add(6 * time.Hour)); at = at.Add(7 * time.Minute) {
					until, quiet := notify.QuietUntil(q, at, loc)
					if quiet != q.Holds(at.In(loc)) {
						t.Fatalf("%s %v at %s: quiet=%v", name, q, at.In(loc), quiet)
					}
					if !quiet {
						continue
					}
					if !until.After(at) || until.Sub(at) > 24*time.Hour {
						t.Fatalf("%s %v at %s: ends %s", name, q, at.In(loc), until.In(loc))
					}
					for m := at.Truncate(time.Minute).Add(time.Minute); m.Before(until); m = m.Add(time.Minute) {
						if !q.Holds(m.In(loc)) {
							t.Fatalf("%s %v at %s: ends %s, but %s is already outside the window", name, q, at.In(loc), until.In(loc), m.In(loc))
						}
					}
					if q.Holds(until.In(loc)) {
						t.Fatalf("%s %v at %s: ends %s, which is still inside the window", name, q, at.In(loc), until.In(loc))
					}
				}
			}
		}
	}
	if changes < 100 {
		t.Fatalf("found only %d offset changes in %d zones; the zone list looks wrong", changes, len(zones))
	}
}

// zoneNames lists the zones in the Go toolchain's own copy of the database.
func zoneNames(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	r, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(out)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var names []string
	for _, f := range r.File {
		if !strings.HasSuffix(f.Name, "/") && strings.Contains(f.Name, "/") {
			names = append(names, f.Name)
		}
	}
	return names
}

// offsetChanges finds the instants in year at which loc's offset changes.
func offsetChanges(loc *time.Location, year int) []time.Time {
	var out []time.Time
	t := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	_, prev := t.In(loc).Zone()
	for end := t.AddDate(1, 0, 0); t.Before(end); t = t.Add(time.Hour) {
		if _, off := t.In(loc).Zone(); off != prev {
			// Find the minute within the hour.
			c := t.Add(-time.Hour)
			for _, o := c.In(loc).Zone(); o == prev; _, o = c.In(loc).Zone() {
				c = c.Add(time.Minute)
			}
			out = append(out, c)
			prev = off
		}
	}
	return out
}
