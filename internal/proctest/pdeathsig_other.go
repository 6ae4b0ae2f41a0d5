//go:build !linux

package proctest

import "os/exec"

// dieWithParent does nothing where the kernel offers no parent-death
// signal; the tests' own cleanup stops the children.
func dieWithParent(*exec.Cmd) {}
