package console

import "testing"

func TestTheHighlightCoversWhatTheQueryMatched(t *testing.T) {
	for _, c := range []struct {
		value, q string
		prefix   bool
		want     int
	}{
		{"alice@example.com", "ALICE@", true, 6},
		{"5YJ3E1EA7MF000001", "5yj3", true, 4},
		{"jürgen@example.com", "jür", true, 4},
		{"alice@example.com", "Alice@Example.com", false, 17},
		{"alice@example.com", "alice", false, 0},
		{"al", "alice", true, 0},
		{"bob@example.com", "alice", true, 0},
	} {
		if got := matchLen(c.value, c.q, c.prefix); got != c.want {
			t.Errorf("matchLen(%q, %q, %v) = %d, want %d", c.value, c.q, c.prefix, got, c.want)
		}
	}
}
