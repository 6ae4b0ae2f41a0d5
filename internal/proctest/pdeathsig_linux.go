package proctest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the child when the test process
// ends, however it ends (a timeout, a panic, a kill): a server left
// running would hold its port and database connections on a shared
// machine.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
