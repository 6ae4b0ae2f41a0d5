package console

import "testing"

func TestConsoleNextStaysInTheConsole(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "/console",
		"/console":               "/console",
		"/console/search?q=5YJ3": "/console/search?q=5YJ3",
		"/console?x=1":           "/console?x=1",
		"/consoleevil":           "/console",
		"/me":                    "/console",
		"//evil.example/console": "/console",
		"https://evil.example/":  "/console",
		"/\\evil.example":        "/console",
		"/console/\r\nX: y":      "/console",
	} {
		if got := consoleNext(in); got != want {
			t.Errorf("consoleNext(%q) = %q, want %q", in, got, want)
		}
	}
}
