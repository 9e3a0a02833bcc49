package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tokenbridge/tokenbridge/emulator"
	"github.com/tokenbridge/tokenbridge/internal/browsertest"
)

// bridgeBinaryEnv names a tokenbridge binary to test instead of building
// ./cmd/tokenbridge, for example a release build.
const bridgeBinaryEnv = "TOKENBRIDGE_E2E_BINARY"

// bridgeBinary is the tokenbridge binary that TestMain builds once for all
// tests; bridgeBuildErr is set instead when the build failed.
var (
	bridgeBinary   string
	bridgeBuildErr error
)

func TestMain(m *testing.M) {
	if binary := os.Getenv(bridgeBinaryEnv); binary != "" {
		bridgeBinary = binary
		os.Exit(m.Run())
	}

	dir, err := os.MkdirTemp("", "tokenbridge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: create a temporary folder:", err)
		os.Exit(1)
	}
	bridgeBinary, bridgeBuildErr = buildBridge(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBridge builds ./cmd/tokenbridge into dir.
func buildBridge(dir string) (string, error) {
	binary := filepath.Join(dir, "tokenbridge")
	cmd := exec.Command("go", "build", "-o", binary, "github.com/tokenbridge/tokenbridge/cmd/tokenbridge")
	output, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/tokenbridge: %w\n%s", err, output)
	}
	return binary, nil
}

// requireBridgeBinary returns the binary TestMain built, or fails t.
func requireBridgeBinary(t *testing.T) string {
	t.Helper()
	if bridgeBuildErr != nil {
		t.Fatal(bridgeBuildErr)
	}
	return bridgeBinary
}

// skipOrFail skips t because a tool is missing, or fails it when
// TOKENBRIDGE_REQUIRE_E2E=1, as internal/browsertest does for Chromium.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	message := fmt.Sprintf(format, args...)
	if os.Getenv(browsertest.RequireE2EEnv) == "1" {
		t.Fatalf("%s (%s=1 requires it)", message, browsertest.RequireE2EEnv)
	}
	t.Skip(message)
}

// randomText returns n random bytes as hex, for unique names.
func randomText(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("read random bytes: %v", err)
	}
	return hex.EncodeToString(b)
}

// randomKey returns n random bytes in standard base64, the form the flow
// cookie keys take in the configuration.
func randomKey(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("read random bytes: %v", err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// listenLoopback opens a listener on a free port of 127.0.0.1 and closes it
// when the test ends.
func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on 127.0.0.1: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// freeAddress returns a 127.0.0.1:port address that was free a moment ago,
// for a subprocess that opens its own listener. Another process may take the
// port in between, so callers retry with a new address when the subprocess
// reports the address as taken.
func freeAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on 127.0.0.1: %v", err)
	}
	address := ln.Addr().String()
	ln.Close()
	return address
}

// serve serves handler on ln until the test ends.
func serve(t *testing.T, ln net.Listener, handler http.Handler) {
	t.Helper()
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go server.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		server.Shutdown(ctx)
	})
}

// lockedBuffer collects a subprocess's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// process is a subprocess that the test stops when it ends.
type process struct {
	name   string
	cmd    *exec.Cmd
	output *lockedBuffer
	exited chan struct{} // closed once the process has exited
	err    error         // Wait's result, valid after exited is closed
}

// startProcess starts cmd with its stdout and stderr captured. When the test
// ends, the process gets SIGTERM, then SIGKILL after five seconds, and is
// waited for. The captured output goes into the test log if the test failed.
func startProcess(t *testing.T, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, output: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout = p.output
	cmd.Stderr = p.output
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s (%s): %v", name, cmd.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()

	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, p.output.String())
		}
	})
	return p
}

// stop ends the process and waits for it.
func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// hasExited reports whether the process has ended.
func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// errPortTaken marks a subprocess that exited because its address was
// taken between freeAddress and its own listen.
var errPortTaken = errors.New("address already in use")

// waitReady polls url until it returns 200 or timeout passes. It returns
// errPortTaken when the process exits because its address is taken.
func (p *process) waitReady(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	lastStatus := "no answer"
	for time.Now().Before(deadline) {
		if p.hasExited() {
			if strings.Contains(p.output.String(), "address already in use") {
				return errPortTaken
			}
			return fmt.Errorf("%s exited before it was ready (%v)", p.name, p.err)
		}
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			lastStatus = resp.Status
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s was not ready at %s within %v (last answer: %s)", p.name, url, timeout, lastStatus)
}

// appwriteEmulator is an in-process Appwrite emulator on 127.0.0.1.
type appwriteEmulator struct {
	Endpoint  string // base URL ending in /v1
	ProjectID string
	APIKey    string
}

// startEmulator serves an emulated Appwrite project that allows browser
// calls from appOrigin only.
func startEmulator(t *testing.T, appOrigin string) *appwriteEmulator {
	t.Helper()
	e := &appwriteEmulator{ProjectID: "e2e-" + randomText(t, 4), APIKey: "e2e-key-" + randomText(t, 16)}
	server, err := emulator.New(emulator.Config{
		ProjectID:      e.ProjectID,
		APIKey:         e.APIKey,
		AllowedOrigins: []string{appOrigin},
	})
	if err != nil {
		t.Fatalf("create Appwrite emulator: %v", err)
	}
	httpServer := httptest.NewServer(server)
	t.Cleanup(func() {
		httpServer.Close()
		if err := server.Close(); err != nil {
			t.Errorf("close Appwrite emulator: %v", err)
		}
	})
	e.Endpoint = httpServer.URL + "/v1"
	return e
}

// callbackURL returns the redirect URI the bridge at bridgeURL sends to
// the provider with the given ID.
func callbackURL(bridgeURL, providerID string) string {
	return bridgeURL + "/callback/" + providerID
}

// providerConfig is one entry of the bridge's providers list.
type providerConfig struct {
	ID           string
	Name         string
	Issuer       string
	ClientID     string
	ClientSecret string
	UserInfo     bool
}

// bridgeSetup is what a test needs to start the bridge.
type bridgeSetup struct {
	Appwrite   *appwriteEmulator
	ReturnURLs []string
	// Provider registers a client at the provider for the bridge's
	// callback URL (see callbackURL) and returns the provider's
	// configuration. It runs again when a start is retried on another port.
	Provider func(bridgeURL string) providerConfig
}

// runningBridge is a started `tokenbridge serve`.
type runningBridge struct {
	URL     string // public URL, also where it listens
	Process *process
}

// startBridge writes a configuration and runs `tokenbridge serve` until the
// test ends. It waits for /readyz, which returns 200 once the provider's
// discovery document has loaded and Appwrite responds.
func startBridge(t *testing.T, setup bridgeSetup) *runningBridge {
	t.Helper()
	binary := requireBridgeBinary(t)

	const attempts = 3
	for attempt := 1; ; attempt++ {
		address := freeAddress(t)
		publicURL := "http://" + address
		provider := setup.Provider(publicURL)
		configPath := writeBridgeConfig(t, address, publicURL, setup, provider)

		cmd := exec.Command(binary, "serve", "--config", configPath)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		p := startProcess(t, fmt.Sprintf("tokenbridge serve (attempt %d)", attempt), cmd)
		err := p.waitReady(publicURL+"/readyz", 30*time.Second)
		if err == nil {
			return &runningBridge{URL: publicURL, Process: p}
		}
		if errors.Is(err, errPortTaken) && attempt < attempts {
			t.Logf("bridge address %s was taken; retrying on another port", address)
			continue
		}
		t.Fatalf("start tokenbridge: %v\noutput:\n%s", err, p.output.String())
	}
}

// writeBridgeConfig writes the YAML configuration for one bridge start and
// returns its path.
func writeBridgeConfig(t *testing.T, address, publicURL string, setup bridgeSetup, provider providerConfig) string {
	t.Helper()
	config := map[string]any{
		"server": map[string]any{
			"listen":           address,
			"public_url":       publicURL,
			"log_level":        "debug",
			"shutdown_timeout": "2s",
		},
		"appwrite": map[string]any{
			"endpoint":   setup.Appwrite.Endpoint,
			"project_id": setup.Appwrite.ProjectID,
			"api_key":    setup.Appwrite.APIKey,
		},
		"flow": map[string]any{
			"keys": []map[string]string{{
				"hash_key":       randomKey(t, 32),
				"encryption_key": randomKey(t, 32),
			}},
		},
		"return_urls": setup.ReturnURLs,
		"providers": []map[string]any{{
			"id":            provider.ID,
			"name":          provider.Name,
			"issuer":        provider.Issuer,
			"client_id":     provider.ClientID,
			"client_secret": provider.ClientSecret,
			"userinfo":      provider.UserInfo,
		}},
	}
	data, err := yaml.Marshal(config)
	if err != nil {
		t.Fatalf("encode bridge configuration: %v", err)
	}
	path := filepath.Join(t.TempDir(), "tokenbridge.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write bridge configuration: %v", err)
	}
	return path
}

// testStack is the parts every browser test shares: the Appwrite emulator,
// the demo app and the bridge.
type testStack struct {
	Appwrite *appwriteEmulator
	App      *demoApp
	Bridge   *runningBridge
}

// startStack starts the emulator, the bridge with the provider that
// registerProvider sets up, and the demo app, all on 127.0.0.1.
func startStack(t *testing.T, registerProvider func(bridgeURL string) providerConfig) *testStack {
	t.Helper()
	sdk := readWebSDK(t)

	// The app's origin must be known before the emulator (which allows it)
	// and the bridge (which allows its return URLs) start, so listen first.
	appListener := listenLoopback(t)
	app := &demoApp{Origin: "http://" + appListener.Addr().String(), sdkScript: sdk}

	appwrite := startEmulator(t, app.Origin)
	var providerID string
	bridge := startBridge(t, bridgeSetup{
		Appwrite:   appwrite,
		ReturnURLs: []string{app.SuccessURL(), app.FailureURL()},
		Provider: func(bridgeURL string) providerConfig {
			p := registerProvider(bridgeURL)
			providerID = p.ID
			return p
		},
	})

	app.BridgeURL = bridge.URL
	app.ProviderID = providerID
	app.Endpoint = appwrite.Endpoint
	app.ProjectID = appwrite.ProjectID
	serve(t, appListener, app.handler())
	return &testStack{Appwrite: appwrite, App: app, Bridge: bridge}
}
