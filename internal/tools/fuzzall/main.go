// Command fuzzall runs every fuzz target of the module for a short time, one
// after the other, because `go test -fuzz` accepts only one target at a time.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
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
			cmd := exec.Command("go", "test", "-run", "^$", "-fuzz", "^"+name+"$", "-fuzztime", *fuzztime, pkg)
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				failed = true
				fmt.Fprintf(os.Stderr, "fuzzall: %s %s failed\n", pkg, name)
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}
