package bridge_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenbridge/tokenbridge/accounts"
	"github.com/tokenbridge/tokenbridge/appwrite"
	"github.com/tokenbridge/tokenbridge/bridge"
	"github.com/tokenbridge/tokenbridge/emulator"
	"github.com/tokenbridge/tokenbridge/internal/testop"
	"github.com/tokenbridge/tokenbridge/providers"
	"github.com/tokenbridge/tokenbridge/returnurl"
)

const (
	testProject = "tokenbridge-test"
	testAPIKey  = "test-api-key-0123456789abcdef0123456789abcdef"
	providerID  = "test"
	// appOrigin is where the app's return URLs point. Nothing listens there:
	// the browser stand-in stops at the first redirect to it.
	appOrigin  = "http://127.0.0.1:9"
	successURL = appOrigin + "/done?app=1"
	failureURL = appOrigin + "/failed"
)

// stack is one bridge wired to a test OpenID provider and the Appwrite
// emulator, all on 127.0.0.1.
type stack struct {
	t        testing.TB
	op       *testop.Provider
	appwrite *appwrite.Client
	bridge   *httptest.Server
	upstream *countingHandler
	apiURL   string // the emulator's base URL, without /v1
	logs     *syncBuffer
	handler  *bridge.Handler
	keys     []bridge.KeyPair
	provider *providers.Provider
	// options built the current handler; rebuild changes a copy.
	options bridge.Options
	current atomic.Pointer[bridge.Handler]
}

type stackOptions struct {
	policy      accounts.Policy
	maxPending  int
	rateLimit   bridge.RateLimit
	emulatorCfg func(*emulator.Config)
	opOptions   []testop.Option

	// providerConfig changes the provider's configuration before New.
	providerConfig func(*providers.Config)
	// providerOptions are passed to providers.New, for example a clock.
	providerOptions []providers.Option
	// providerTransport wraps the provider HTTP client's transport, to
	// inject faults or observe requests.
	providerTransport func(http.RoundTripper) http.RoundTripper
	// providerTimeout is the provider HTTP client's timeout; default 2 s.
	providerTimeout time.Duration
	// appwriteTimeout is the Appwrite client's timeout; default 2 s.
	appwriteTimeout time.Duration
	// skipDiscovery leaves the provider undiscovered, as after a failed
	// start-up attempt.
	skipDiscovery  bool
	trustedProxies []*net.IPNet
}

func newStack(t testing.TB, opts stackOptions) *stack {
	t.Helper()
	s := &stack{t: t, logs: &syncBuffer{}}
	s.op = testop.New(t, opts.opOptions...)

	emuCfg := emulator.Config{ProjectID: testProject, APIKey: testAPIKey, DisableRateLimit: true}
	if opts.emulatorCfg != nil {
		opts.emulatorCfg(&emuCfg)
	}
	emu, err := emulator.New(emuCfg)
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	s.upstream = &countingHandler{next: emu, counts: map[string]int{}}
	appwriteServer := httptest.NewServer(s.upstream)
	t.Cleanup(appwriteServer.Close)
	s.apiURL = appwriteServer.URL
	t.Cleanup(func() { _ = emu.Close() })

	appwriteTimeout := cmp.Or(opts.appwriteTimeout, 2*time.Second)
	s.appwrite, err = appwrite.New(appwrite.Config{Endpoint: appwriteServer.URL + "/v1", ProjectID: testProject, APIKey: testAPIKey, Timeout: appwriteTimeout})
	if err != nil {
		t.Fatalf("appwrite client: %v", err)
	}

	s.bridge = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.current.Load().ServeHTTP(w, r) }))
	t.Cleanup(s.bridge.Close)
	publicURL, _ := url.Parse(s.bridge.URL)

	callback := bridge.CallbackURL(publicURL, providerID)
	s.op.AddRedirectURI(callback)
	providerCfg := providers.Config{
		ID: providerID, Name: "Test provider", Issuer: s.op.Issuer(),
		ClientID: s.op.ClientID(), ClientSecret: s.op.ClientSecret(),
		Scopes: []string{"openid", "email", "profile"}, ClockSkew: 2 * time.Minute,
		RedirectURL: callback,
	}
	if opts.providerConfig != nil {
		opts.providerConfig(&providerCfg)
	}
	providerClient := &http.Client{Timeout: cmp.Or(opts.providerTimeout, 2*time.Second)}
	if opts.providerTransport != nil {
		providerClient.Transport = opts.providerTransport(http.DefaultTransport)
	}
	p, err := providers.New(providerCfg, providerClient, opts.providerOptions...)
	if err != nil {
		t.Fatalf("provider: %v", err)
	}
	if !opts.skipDiscovery {
		if err := p.Discover(context.Background()); err != nil {
			t.Fatalf("discovery: %v", err)
		}
	}
	s.provider = p

	allow, err := returnurl.Parse([]string{"http://127.0.0.1/done", "http://127.0.0.1/failed"})
	if err != nil {
		t.Fatalf("allow-list: %v", err)
	}
	s.keys = []bridge.KeyPair{{HashKey: randomBytes(32), EncryptionKey: randomBytes(32)}}
	logger := slog.New(bridge.NewLogHandler(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	s.options = bridge.Options{
		PublicURL:      publicURL,
		Providers:      []bridge.Provider{{Provider: p, Policy: opts.policy}},
		AllowList:      allow,
		Accounts:       accounts.NewResolver(s.appwrite),
		Appwrite:       s.appwrite,
		TokenLength:    64,
		TokenExpiry:    time.Minute,
		Flow:           bridge.FlowOptions{Keys: s.keys, MaxPending: opts.maxPending},
		RateLimit:      opts.rateLimit,
		TrustedProxies: opts.trustedProxies,
		Logger:         logger,
	}
	s.rebuild(t, nil)
	return s
}

// rebuild replaces the bridge behind s.bridge with one built from a copy of
// the stack's options that change has modified, as a restart with a new
// configuration would. Flows in progress keep their cookies but lose the
// old process's memory of used states.
func (s *stack) rebuild(t testing.TB, change func(*bridge.Options)) {
	t.Helper()
	opts := s.options
	if change != nil {
		change(&opts)
	}
	h, err := bridge.New(opts)
	if err != nil {
		t.Fatalf("bridge: %v", err)
	}
	s.handler = h
	s.current.Store(h)
}

// browser is a cookie-keeping HTTP client that follows redirects until it
// reaches the app's origin.
type browser struct {
	client *http.Client
}

func newBrowser(t testing.TB) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{client: &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), appOrigin) {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}}
}

// result is the browser's last answer.
type result struct {
	status   int
	location *url.URL // the app URL the bridge redirected to, if any
	body     string
	header   http.Header
}

func (b *browser) get(t testing.TB, rawURL string) result {
	t.Helper()
	resp, err := b.client.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, body: string(body), header: resp.Header}
	if loc := resp.Header.Get("Location"); loc != "" {
		r.location, err = url.Parse(loc)
		if err != nil {
			t.Fatalf("parse Location %q: %v", loc, err)
		}
	}
	return r
}

// loginURL is the bridge URL an app sends the browser to.
func (s *stack) loginURL(success, failure string) string {
	q := url.Values{}
	if success != "" {
		q.Set("success", success)
	}
	if failure != "" {
		q.Set("failure", failure)
	}
	return s.bridge.URL + "/login/" + providerID + "?" + q.Encode()
}

// login runs a whole login in a new browser and returns where it ended.
func (s *stack) login(t testing.TB) result {
	t.Helper()
	return newBrowser(t).get(t, s.loginURL(successURL, failureURL))
}

// expectSuccess checks that r is a redirect to the success URL and returns
// its userId and secret.
func expectSuccess(t testing.TB, r result) (userID, secret string) {
	t.Helper()
	if r.status != http.StatusFound || r.location == nil {
		t.Fatalf("status %d without a redirect to the app; body: %s", r.status, r.body)
	}
	if r.location.Path != "/done" {
		t.Fatalf("redirected to %s, want the success URL; query %v", r.location.Path, r.location.Query())
	}
	q := r.location.Query()
	if q.Get("app") != "1" {
		t.Errorf("success URL lost its own query: %s", r.location)
	}
	userID, secret = q.Get("userId"), q.Get("secret")
	if userID == "" || len(secret) != 64 {
		t.Fatalf("redirect lacks userId or a 64-character secret: userId=%q secret length %d", userID, len(secret))
	}
	return userID, secret
}

// expectFailure checks that r is a redirect to the failure URL with code.
func expectFailure(t testing.TB, r result, code string) {
	t.Helper()
	if r.status != http.StatusFound || r.location == nil {
		t.Fatalf("status %d without a redirect to the app; body: %s", r.status, r.body)
	}
	if r.location.Path != "/failed" {
		t.Fatalf("redirected to %s, want the failure URL", r.location)
	}
	q := r.location.Query()
	if got := q.Get("error"); got != code {
		t.Fatalf("error = %q, want %q (description %q)", got, code, q.Get("error_description"))
	}
	if q.Get("error_description") == "" {
		t.Errorf("error_description is empty")
	}
	if q.Has("secret") || q.Has("userId") {
		t.Errorf("failure redirect carries a token: %s", r.location)
	}
}

// expectPage checks that r is an HTML error page with status and text.
func expectPage(t testing.TB, r result, status int, text string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; location %v; body: %s", r.status, status, r.location, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, want text/html", ct)
	}
	if !strings.Contains(r.body, text) {
		t.Errorf("page lacks %q: %s", text, r.body)
	}
	if id := r.header.Get("X-Request-Id"); id == "" || !strings.Contains(r.body, id) {
		t.Errorf("page does not show the request ID %q", id)
	}
}

// createSession trades userId and secret for a session, as the web SDK's
// account.createSession does, and returns the account it opens.
func (s *stack) createSession(t testing.TB, userID, secret string) (int, map[string]any) {
	t.Helper()
	endpoint := s.apiURL + "/v1"
	body, _ := json.Marshal(map[string]string{"userId": userID, "secret": secret})
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/account/sessions/token", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Appwrite-Project", testProject)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	defer resp.Body.Close()
	var session map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&session)
	if resp.StatusCode != http.StatusCreated {
		return resp.StatusCode, session
	}

	req, _ = http.NewRequest(http.MethodGet, endpoint+"/account", nil)
	req.Header.Set("X-Appwrite-Project", testProject)
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	accountResp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("get account: %v", err)
	}
	defer accountResp.Body.Close()
	var account map[string]any
	_ = json.NewDecoder(accountResp.Body).Decode(&account)
	return accountResp.StatusCode, account
}

// countingHandler counts Appwrite requests by method and path and can
// replace answers to simulate faults.
type countingHandler struct {
	next   http.Handler
	mu     sync.Mutex
	counts map[string]int
	total  int
	fault  func(w http.ResponseWriter, r *http.Request) bool
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.counts[r.Method+" "+r.URL.Path]++
	c.total++
	fault := c.fault
	c.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	c.next.ServeHTTP(w, r)
}

func (c *countingHandler) setFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fault = f
}

func (c *countingHandler) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

func (c *countingHandler) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total = 0
	c.counts = map[string]int{}
}

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

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
