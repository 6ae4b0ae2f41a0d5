// Command fuzzall runs every fuzz target of the module for a short time, one
// after the other, because `go test -fuzz` accepts only one target at a time.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

func main() {
	fuzztime := flag.String("fuzztime", "10s", "how long to fuzz each target")
	flag.Parse()
	list, err := exec.Command("go", "list", "./...").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fuzzall: go list:", err)
		os.Exit(1)
	}
	failed := false
	for _, pkg := range strings.Fields(string(list)) {
		out, err := exec.Command("go", "test", "-list", "^Fuzz", pkg).Output()
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			name := sc.Text()
			if !strings.HasPrefix(name, "Fuzz") {
				continue
			}
			fmt.Printf("fuzzing %s %s for %s\n", pkg, name, *fuzztime)
			ok := fuzz(pkg, name, *fuzztime)
			if !ok {
				failed = true
				fmt.Fprintf(os.Stderr, "fuzzall: %s %s failed\n", pkg, name)
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}

// fuzz runs one target. The fuzzing engine sometimes ends a run that found
// nothing with "context deadline exceeded" when -fuzztime elapses while a
// worker is busy: no input fails, and it writes no crasher. Such a run is
// tried once more; a failure with an input, or a second deadline, fails.
func fuzz(pkg, name, fuzztime string) bool {
	for attempt := 1; ; attempt++ {
		var out bytes.Buffer
		cmd := exec.Command("go", "test", "-run", "^$", "-fuzz", "^"+name+"$", "-fuzztime", fuzztime, pkg)
		cmd.Stdout = io.MultiWriter(os.Stdout, &out)
		cmd.Stderr = io.MultiWriter(os.Stderr, &out)
		err := cmd.Run()
		if err == nil {
			return true
		}
		engineDeadline := strings.Contains(out.String(), "context deadline exceeded") &&
			!strings.Contains(out.String(), "Failing input written to")
		if !engineDeadline || attempt == 2 {
			return false
		}
		fmt.Printf("fuzzall: %s %s: the engine stopped at its deadline without a failing input; once more\n", pkg, name)
	}
}
