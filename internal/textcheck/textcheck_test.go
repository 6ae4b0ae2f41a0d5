package textcheck

import (
	"errors"
	"strings"
	"testing"
)

func TestTextIsRefusedForControlCharactersBadUTF8AndLength(t *testing.T) {
	for _, tc := range []struct {
		name, in  string
		multiline bool
		max       int
		want      string // "" for accepted, else a part of the message
	}{
		{"plain", "Model 3", false, 100, ""},
		{"accents and emoji", "Zoë’s e-Golf 🚗", false, 100, ""},
		{"NUL", "Model\x003", false, 100, "control"},
		{"DEL", "Model\x7f3", false, 100, "control"},
		{"C1 (NEL)", "Model\u00853", false, 100, "control"},
		{"C1 (CSI)", "Model\u009b3", false, 100, "control"},
		{"invalid UTF-8", "Model\xff3", false, 100, "UTF-8"},
		{"truncated UTF-8", "Zo\xc3", false, 100, "UTF-8"},
		{"TAB in a line", "a\tb", false, 100, "control"},
		{"LF in a line", "a\nb", false, 100, "control"},
		{"TAB, LF, CR in text", "a\tb\r\nc", true, 100, ""},
		{"NUL in text", "a\x00b", true, 100, "control"},
		{"ESC in text", "a\x1bb", true, 100, "control"},
		{"at the limit", strings.Repeat("é", 10), false, 10, ""},
		{"over the limit", strings.Repeat("é", 11), false, 10, "at most 10"},
	} {
		check := Line
		if tc.multiline {
			check = Text
		}
		err := check("model", tc.in, tc.max)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", tc.name, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Field != "model" || !strings.Contains(e.Message, tc.want) {
			t.Errorf("%s: got %v, want a refusal of model saying %q", tc.name, err, tc.want)
		}
	}
}
