package e2e

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes Linux kill the subprocess when the test binary
// dies without running its cleanups, for example on a test timeout.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
