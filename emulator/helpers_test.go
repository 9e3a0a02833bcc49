package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const (
	testProject = "test-project"
	testAPIKey  = "standard_0123456789abcdef"
)

// testClock is a settable clock for Config.Now.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testEnv is an emulator behind a loopback HTTP server whose every exchange
// is checked against the published specs.
type testEnv struct {
	t      *testing.T
	server *Server
	url    string // base URL, without /v1
	clock  *testClock
}

func newTestEnv(t *testing.T, configure ...func(*Config)) *testEnv {
	t.Helper()
	clock := newTestClock()
	cfg := Config{ProjectID: testProject, APIKey: testAPIKey, Now: clock.Now}
	for _, f := range configure {
		f(&cfg)
	}
	server, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	httpServer := httptest.NewServer(specCheckingHandler(t, server))
	t.Cleanup(func() {
		httpServer.Close()
		if err := server.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testEnv{t: t, server: server, url: httpServer.URL, clock: clock}
}

// response is one emulator response, read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a map, failing the test on bad JSON.
func (r *response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode body %q: %v", r.body, err)
	}
	return m
}

// errorType returns the `type` of an error body.
func (r *response) errorType(t *testing.T) string {
	t.Helper()
	typ, _ := r.json(t)["type"].(string)
	return typ
}

// request sends one call. headers are added after the project header; set a
// header to "" to remove it.
func (e *testEnv) request(method, path string, body any, headers map[string]string) *response {
	e.t.Helper()
	var reader io.Reader
	if body != nil {
		raw, ok := body.(string)
		if !ok {
			encoded, err := json.Marshal(body)
			if err != nil {
				e.t.Fatalf("encode body: %v", err)
			}
			raw = string(encoded)
		}
		reader = bytes.NewReader([]byte(raw))
	}
	req, err := http.NewRequest(method, e.url+path, reader)
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("X-Appwrite-Project", testProject)
	req.Header.Set("Content-Type", "application/json")
	for name, value := range headers {
		if value == "" {
			req.Header.Del(name)
		} else {
			req.Header.Set(name, value)
		}
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read %s %s: %v", method, path, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// withKey sends a Users API call with the API key.
func (e *testEnv) withKey(method, path string, body any) *response {
	e.t.Helper()
	return e.request(method, path, body, map[string]string{"X-Appwrite-Key": testAPIKey})
}

// mustStatus fails the test unless r has the wanted status.
func mustStatus(t *testing.T, r *response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body %s", r.status, want, r.body)
	}
}

// createUser creates a user through the Users API and returns its ID.
func (e *testEnv) createUser(id, email, name string) string {
	e.t.Helper()
	body := map[string]any{"userId": id}
	if email != "" {
		body["email"] = email
	}
	if name != "" {
		body["name"] = name
	}
	r := e.withKey("POST", "/v1/users", body)
	mustStatus(e.t, r, http.StatusCreated)
	return r.json(e.t)["$id"].(string)
}

// createToken mints a custom token and returns its secret.
func (e *testEnv) createToken(userID string, body any) string {
	e.t.Helper()
	r := e.withKey("POST", "/v1/users/"+userID+"/tokens", body)
	mustStatus(e.t, r, http.StatusCreated)
	return r.json(e.t)["secret"].(string)
}

// signIn exchanges a fresh token for a session and returns the session
// value as X-Appwrite-Session carries it.
func (e *testEnv) signIn(userID string) string {
	e.t.Helper()
	secret := e.createToken(userID, nil)
	r := e.request("POST", "/v1/account/sessions/token", map[string]string{"userId": userID, "secret": secret}, nil)
	mustStatus(e.t, r, http.StatusCreated)
	return fallbackSession(e.t, r)
}

// fallbackSession reads the encoded session from X-Fallback-Cookies.
func fallbackSession(t *testing.T, r *response) string {
	t.Helper()
	var fallback map[string]string
	if err := json.Unmarshal([]byte(r.header.Get("X-Fallback-Cookies")), &fallback); err != nil {
		t.Fatalf("X-Fallback-Cookies %q: %v", r.header.Get("X-Fallback-Cookies"), err)
	}
	value := fallback["a_session_"+testProject]
	if value == "" {
		t.Fatalf("X-Fallback-Cookies %q has no session", r.header.Get("X-Fallback-Cookies"))
	}
	return value
}

// asSession returns headers that carry a session.
func asSession(session string) map[string]string {
	return map[string]string{"X-Appwrite-Session": session}
}
