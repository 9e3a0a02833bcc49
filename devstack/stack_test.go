package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that the servers and the test may use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startTestStack starts a stack on free ports and stops it at cleanup,
// failing the test unless it stops cleanly.
func startTestStack(t *testing.T, logs *syncBuffer) *Stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stack, err := Start(ctx, Options{
		ConfigPath: filepath.Join(t.TempDir(), "dev.yaml"),
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		stopped := make(chan error, 1)
		go func() { stopped <- stack.Wait() }()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("Wait after cancel: %v", err)
			}
		case <-time.After(2 * shutdownTimeout):
			t.Error("the stack did not stop within twice the shutdown timeout")
		}
	})
	return stack
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestStartPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer taken.Close()
	bridgeAddress := freePort(t)

	_, err = Start(context.Background(), Options{
		BridgeAddress:   bridgeAddress,
		ProviderAddress: taken.Addr().String(),
		ConfigPath:      filepath.Join(t.TempDir(), "dev.yaml"),
	})

	var listenErr *ListenError
	if !errors.As(err, &listenErr) {
		t.Fatalf("Start error = %v, want a *ListenError", err)
	}
	if listenErr.Component != ComponentProvider {
		t.Errorf("component = %q, want %q", listenErr.Component, ComponentProvider)
	}
	if !listenErr.PortInUse() {
		t.Errorf("PortInUse() = false for %v", listenErr.Err)
	}
	_, port, _ := net.SplitHostPort(taken.Addr().String())
	want := "the development provider cannot listen on " + taken.Addr().String() + ": port " + port + " is already in use"
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
	// The bridge's listener, opened before the failure, was closed again.
	again, err := net.Listen("tcp", bridgeAddress)
	if err != nil {
		t.Errorf("bridge port still held after the failed start: %v", err)
	} else {
		again.Close()
	}
}

func TestStartRejectsAddress(t *testing.T) {
	tests := []struct {
		name   string
		given  Options
		expect string
	}{
		{"every interface", Options{AppAddress: "0.0.0.0:0"}, "the demo app cannot listen on 0.0.0.0:0: the host is not a loopback IP address"},
		{"host name", Options{AppwriteAddress: "localhost:0"}, "the Appwrite emulator cannot listen on localhost:0: the host is not a loopback IP address"},
		{"no port", Options{BridgeAddress: "127.0.0.1"}, "the bridge cannot listen on 127.0.0.1: address 127.0.0.1: missing port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.given.ConfigPath = filepath.Join(t.TempDir(), "dev.yaml")

			_, err := Start(context.Background(), tt.given)

			if err == nil || !strings.HasPrefix(err.Error(), tt.expect) {
				t.Errorf("Start error = %v, want one starting with %q", err, tt.expect)
			}
		})
	}
}

// browser is an HTTP client with cookies that follows no redirects, so a
// test can check each redirect.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(req *http.Request) *http.Response {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Redacted(), err)
	}
	b.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// follow GETs rawURL and follows redirects until one points under prefix,
// which it returns unvisited.
func (b *browser) follow(rawURL, prefix string) *url.URL {
	b.t.Helper()
	next, _ := url.Parse(rawURL)
	for range 10 {
		if strings.HasPrefix(next.String(), prefix) {
			return next
		}
		req, _ := http.NewRequest(http.MethodGet, next.String(), nil)
		resp := b.do(req)
		location, err := resp.Location()
		if err != nil {
			b.t.Fatalf("GET %s: status %d without a redirect", next.Redacted(), resp.StatusCode)
		}
		next = location
	}
	b.t.Fatalf("no redirect to %s within 10 hops", prefix)
	return nil
}

// signInThroughStack goes from the demo app's sign-in link to the
// provider's sign-in page, posts form to path there, and returns the demo
// app URL the bridge redirects to.
func signInThroughStack(t *testing.T, stack *Stack, path string, form url.Values) *url.URL {
	t.Helper()
	b := newBrowser(t)
	signIn := SignInURL(stack.BridgeURL+"/login/"+ProviderID, stack.AppURL)
	page := b.follow(signIn, stack.Issuer+"/login?")

	form.Set("id", page.Query().Get("id"))
	req, _ := http.NewRequest(http.MethodPost, stack.Issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp := b.do(req)
	location, err := resp.Location()
	if err != nil {
		t.Fatalf("POST %s: status %d without a redirect", path, resp.StatusCode)
	}
	return b.follow(location.String(), stack.AppURL+"/")
}

// appwriteCall sends a browser-style Appwrite call from the demo app's origin.
func appwriteCall(t *testing.T, stack *Stack, method, path string, body any, fallback string) (*http.Response, map[string]any) {
	t.Helper()
	var reader *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		reader = bytes.NewReader(raw)
	} else {
		reader = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, stack.Endpoint+path, reader)
	req.Header.Set("Origin", stack.AppURL)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Appwrite-Project", ProjectID)
	if fallback != "" {
		req.Header.Set("X-Fallback-Cookies", fallback)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var decoded map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&decoded)
	return resp, decoded
}

func TestStackLogin(t *testing.T) {
	logs := &syncBuffer{}
	stack := startTestStack(t, logs)

	done := signInThroughStack(t, stack, "/login/select", url.Values{"subject": {DefaultIdentities()[0].Subject()}})

	if done.Path != "/done" {
		t.Fatalf("bridge redirected to %s, want the demo app's /done", done.Path)
	}
	userID, secret := done.Query().Get("userId"), done.Query().Get("secret")
	if userID == "" || secret == "" {
		t.Fatal("the success URL lacks userId or secret")
	}

	// The demo app's script does these two calls.
	resp, session := appwriteCall(t, stack, http.MethodPost, "/account/sessions/token", map[string]string{"userId": userID, "secret": secret}, "")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /account/sessions/token: status %d (%v), want 201", resp.StatusCode, session)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != stack.AppURL {
		t.Errorf("Access-Control-Allow-Origin = %q, want the demo app's origin %s", got, stack.AppURL)
	}
	fallback := resp.Header.Get("X-Fallback-Cookies")
	if fallback == "" {
		t.Fatal("the session answer has no X-Fallback-Cookies header")
	}
	resp, account := appwriteCall(t, stack, http.MethodGet, "/account", nil, fallback)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /account: status %d (%v), want 200", resp.StatusCode, account)
	}
	if account["$id"] != userID || account["email"] != "ada@example.test" || account["name"] != "Ada Lovelace" || account["emailVerification"] != true {
		t.Errorf("account = %v, want Ada's user %s with a verified email", account, userID)
	}

	output := logs.String()
	if n := strings.Count(output, `msg="login finished"`); n != 1 {
		t.Errorf("logs hold %d login lines, want 1:\n%s", n, output)
	}
	if !strings.Contains(output, "outcome=success") || !strings.Contains(output, "appwrite_user_id="+userID) {
		t.Errorf("login line lacks the outcome or the user ID:\n%s", output)
	}
	if strings.Contains(output, secret) {
		t.Error("the logs contain the token secret")
	}
}

func TestStackDeny(t *testing.T) {
	stack := startTestStack(t, &syncBuffer{})

	failed := signInThroughStack(t, stack, "/login/deny", url.Values{})

	if failed.Path != "/failed" {
		t.Fatalf("bridge redirected to %s, want the demo app's /failed", failed.Path)
	}
	if got := failed.Query().Get("error"); got != "access_denied" {
		t.Errorf("error = %q, want access_denied", got)
	}
}

func TestStackWritesConfig(t *testing.T) {
	stack := startTestStack(t, &syncBuffer{})

	info, err := os.Stat(stack.ConfigPath)
	if err != nil {
		t.Fatalf("stat generated configuration: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("mode = %o, want 600", mode)
	}
	data, err := os.ReadFile(stack.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfig(stack.ConfigPath, data)
	if err != nil {
		t.Fatalf("generated configuration: %v", err)
	}
	if cfg.Server.PublicURL != stack.BridgeURL || cfg.Providers[0].Issuer != stack.Issuer || cfg.Appwrite.Endpoint != stack.Endpoint {
		t.Errorf("configuration points at %s, %s and %s, want the stack's %s, %s and %s",
			cfg.Server.PublicURL, cfg.Providers[0].Issuer, cfg.Appwrite.Endpoint, stack.BridgeURL, stack.Issuer, stack.Endpoint)
	}
}

func TestStackStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stack, err := Start(ctx, Options{ConfigPath: filepath.Join(t.TempDir(), "dev.yaml")})
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}

	cancel()
	if err := stack.Wait(); err != nil {
		t.Fatalf("Wait = %v, want nil after a clean stop", err)
	}

	for _, rawURL := range []string{stack.AppURL, stack.BridgeURL, stack.Issuer, stack.Endpoint} {
		u, _ := url.Parse(rawURL)
		conn, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after the stop", u.Host)
		}
	}
}
