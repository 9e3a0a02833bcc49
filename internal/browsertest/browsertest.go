// Package browsertest starts headless Chromium for end-to-end tests and
// decides, in one place, whether a test whose tools are missing is skipped
// or failed.
//
// A test that needs Chromium or the Node packages under testdata/npm skips
// with install instructions when they are absent. When the environment
// variable TOKENBRIDGE_REQUIRE_E2E is "1", as the CI script sets it, the test
// fails instead, so a broken install step cannot hide behind green skips.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is the Debian chromium binary the tests launch.
const ChromiumPath = "/usr/bin/chromium"

// RequireE2EEnv is the environment variable that turns missing end-to-end
// tools from a skip into a failure when set to "1".
const RequireE2EEnv = "TOKENBRIDGE_REQUIRE_E2E"

// ArtifactsEnv names a folder for screenshots. When it is empty,
// screenshots go to the test's temporary folder.
const ArtifactsEnv = "TOKENBRIDGE_TEST_ARTIFACTS"

// browserTimeout bounds one test's use of the browser.
const browserTimeout = 2 * time.Minute

// missing skips t, or fails it when RequireE2EEnv is "1".
func missing(t testing.TB, tool, install string) {
	t.Helper()
	if os.Getenv(RequireE2EEnv) == "1" {
		t.Fatalf("%s is missing and %s=1 requires it: %s", tool, RequireE2EEnv, install)
	}
	t.Skipf("%s is missing, so this end-to-end test is skipped: %s", tool, install)
}

// RequireChromium skips or fails t (see the package comment) unless
// ChromiumPath exists.
func RequireChromium(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		missing(t, ChromiumPath, "install it with `apt-get update && apt-get install -y --no-install-recommends chromium`")
	}
}

// RequireNodeModules skips or fails t (see the package comment) unless the
// node binary is on PATH and every named package is installed under
// dir/node_modules. dir is the folder holding package.json.
func RequireNodeModules(t testing.TB, dir string, packages ...string) {
	t.Helper()
	install := "install them with `npm ci --prefix " + dir + "` (Node.js 20 or later)"
	if _, err := exec.LookPath("node"); err != nil {
		missing(t, "the node binary", install)
	}
	for _, pkg := range packages {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			missing(t, "npm package "+pkg+" under "+dir, install)
		}
	}
}

// NewContext launches a headless Chromium with a fresh profile and returns
// a chromedp context for one tab. It calls RequireChromium first. The
// browser is closed when the test ends, and every action on the context
// fails after browserTimeout.
func NewContext(t testing.TB) context.Context {
	t.Helper()
	RequireChromium(t)

	allocatorCtx, cancelAllocator := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocatorCtx)
	ctx, cancelTimeout := context.WithTimeout(browserCtx, browserTimeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelBrowser()
		cancelAllocator()
	})

	// Start the browser now, so a launch failure names its cause here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium at %s: %v", ChromiumPath, err)
	}
	return ctx
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves a full-page PNG of the tab as <test name>-<name>.png
// under $TOKENBRIDGE_TEST_ARTIFACTS, or the test's temporary folder when
// that is unset, and logs the path. A failure to capture is reported as a
// test error, not a fatal one, so it never hides the test's own result.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("create screenshot folder %s: %v", dir, err)
		return
	}

	image, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("capture screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(dir, unsafeFileChars.ReplaceAllString(t.Name()+"-"+name, "_")+".png")
	if err := os.WriteFile(path, image, 0o644); err != nil {
		t.Errorf("write screenshot %s: %v", path, err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// RecordConsole starts recording the tab's console messages and uncaught
// exceptions, and returns a function that gives the messages so far, one
// per line. Call it before navigating, so no message is lost. Recording
// stops when ctx ends.
func RecordConsole(ctx context.Context) func() string {
	var mu sync.Mutex
	var lines []string
	messages := chromedp.Console(ctx)
	go func() {
		for message, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			lines = append(lines, string(message.Type)+": "+message.Text)
			mu.Unlock()
		}
	}()
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(lines, "\n")
	}
}
