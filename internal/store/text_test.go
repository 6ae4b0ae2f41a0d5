package store

import (
	"testing"
	"unicode/utf8"
)

func TestClipKeepsValidUTF8(t *testing.T) {
	s := "abcé€"
	for n := 0; n <= len(s)+1; n++ {
		got := Clip(s, n)
		if !utf8.ValidString(got) || len(got) > n && n < len(s) {
			t.Fatalf("Clip(%q, %d) = %q", s, n, got)
		}
	}
	if Clip("short", 10) != "short" {
		t.Fatal("short text changed")
	}
}
