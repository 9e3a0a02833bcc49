package browsertest

import (
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// recordingTB replaces a test so that the skip-or-fail rule can be
// observed. Skipf and Fatalf stop the goroutine, as the real ones do.
type recordingTB struct {
	testing.TB
	skipped string
	failed  string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runRecorded calls check with a recordingTB in its own goroutine.
func runRecorded(check func(testing.TB)) *recordingTB {
	tb := &recordingTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(tb)
	}()
	<-done
	return tb
}

func TestRequireNodeModulesMissing(t *testing.T) {
	tests := []struct {
		name          string
		givenRequire  string
		expectSkipped bool
		expectFailed  bool
	}{
		{"skips by default", "", true, false},
		{"fails when end-to-end tests are required", "1", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(RequireE2EEnv, tt.givenRequire)
			dir := t.TempDir()

			tb := runRecorded(func(tb testing.TB) { RequireNodeModules(tb, dir, "appwrite") })

			if got := tb.skipped != ""; got != tt.expectSkipped {
				t.Errorf("skipped = %v (%q), want %v", got, tb.skipped, tt.expectSkipped)
			}
			if got := tb.failed != ""; got != tt.expectFailed {
				t.Errorf("failed = %v (%q), want %v", got, tb.failed, tt.expectFailed)
			}
			message := tb.skipped + tb.failed
			if !strings.Contains(message, "npm ci --prefix "+dir) {
				t.Errorf("message %q does not say how to install the packages", message)
			}
		})
	}
}

func TestRequireNodeModulesPresent(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	t.Setenv(RequireE2EEnv, "1")
	tb := runRecorded(func(tb testing.TB) { RequireNodeModules(tb, "../../testdata/npm") })
	if tb.skipped != "" || tb.failed != "" {
		t.Errorf("with no packages named, only node is required: skipped %q, failed %q", tb.skipped, tb.failed)
	}
}
