//go:build !linux

package e2e

import "os/exec"

// setParentDeathSignal does nothing outside Linux, where a subprocess
// outlives a test binary that dies without running its cleanups.
func setParentDeathSignal(cmd *exec.Cmd) {}
