package appwrite

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"
)

const (
	testProject   = "tokenbridge-test"
	testKey       = "standard_9b2f64c1e0d84a7f93c5b1e6d2a08f47c3e9b5a1d7f20c68e4b3a9d1f5c7e2a0"
	testSecret    = "c41f9a0e7b2d58316fa9"
	testUserAgent = "tokenbridge-test/1"
)

// recordedRequest is what the test server saw of one request.
type recordedRequest struct {
	Method   string
	Path     string // escaped path
	RawQuery string
	Header   http.Header
	Body     []byte
}

// testServer is an httptest server on 127.0.0.1 that records every request
// and lets a handler respond to it. attempt counts requests from 1.
type testServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recordedRequest
}

func newTestServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, attempt int)) *testServer {
	t.Helper()
	ts := &testServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts.mu.Lock()
		ts.requests = append(ts.requests, recordedRequest{
			Method:   r.Method,
			Path:     r.URL.EscapedPath(),
			RawQuery: r.URL.RawQuery,
			Header:   r.Header.Clone(),
			Body:     body,
		})
		attempt := len(ts.requests)
		ts.mu.Unlock()
		handler(w, r, attempt)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *testServer) Requests() []recordedRequest {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]recordedRequest(nil), ts.requests...)
}

func (ts *testServer) Attempts() int {
	return len(ts.Requests())
}

// newTestClient returns a client for ts with a short timeout. edit may
// change the config before New.
func newTestClient(t *testing.T, ts *testServer, edit func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Endpoint:  ts.URL + "/v1",
		ProjectID: testProject,
		APIKey:    testKey,
		Timeout:   2 * time.Second,
		UserAgent: testUserAgent,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// writeJSON responds with status and a JSON body.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// appwriteError returns an error body shaped like Appwrite's error model.
func appwriteError(status int, typ, message string) string {
	b, _ := json.Marshal(map[string]any{"message": message, "code": status, "type": typ, "version": "1.5.11"})
	return string(b)
}

// userJSON returns a user shaped like the 1.5.x spec's user model, with the
// key-only fields (password, hash, hashOptions) and targets that the client
// must ignore.
func userJSON(id, email, name string) string {
	user := map[string]any{
		"$id":               id,
		"$createdAt":        "2024-05-01T12:00:00.000+00:00",
		"$updatedAt":        "2024-05-02T08:30:00.000+00:00",
		"name":              name,
		"password":          "$argon2id$v=19$m=2048,t=4,p=3$aUZjLnliVWRINmFNTWMudg$5S+x+7uA31xFnrHFT47yFwcJeaP0w92L/4LdgrVRXxE",
		"hash":              "argon2",
		"hashOptions":       map[string]any{"type": "argon2", "memoryCost": 2048, "timeCost": 4, "threads": 3},
		"registration":      "2024-05-01T12:00:00.000+00:00",
		"status":            true,
		"labels":            []string{"vip"},
		"passwordUpdate":    "",
		"email":             email,
		"phone":             "",
		"emailVerification": true,
		"phoneVerification": false,
		"mfa":               false,
		"prefs":             map[string]any{"theme": "dark", "timezone": "UTC"},
		"targets": []map[string]any{{
			"$id": "66321a2b000c1e2f3a4b", "$createdAt": "2024-05-01T12:00:00.000+00:00",
			"$updatedAt": "2024-05-01T12:00:00.000+00:00", "name": "", "userId": id,
			"providerId": nil, "providerType": "email", "identifier": email,
		}},
		"accessedAt": "2024-05-03T09:15:00.000+00:00",
	}
	b, _ := json.Marshal(user)
	return string(b)
}

// tokenJSON returns a token shaped like the 1.5.x spec's token model.
func tokenJSON(userID, secret string) string {
	b, _ := json.Marshal(map[string]any{
		"$id":        "6632f0c1a4b5c6d7e8f9",
		"$createdAt": "2024-05-01T12:00:00.000+00:00",
		"userId":     userID,
		"secret":     secret,
		"expire":     "2024-05-01T12:15:00.000+00:00",
		"phrase":     "",
	})
	return string(b)
}

// sameJSON reports whether two JSON texts decode to equal values.
func sameJSON(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var gotValue, wantValue any
	if err := json.Unmarshal(got, &gotValue); err != nil {
		t.Errorf("request body %q is not JSON: %v", got, err)
		return false
	}
	if err := json.Unmarshal([]byte(want), &wantValue); err != nil {
		t.Fatalf("test expectation %q is not JSON: %v", want, err)
	}
	return reflect.DeepEqual(gotValue, wantValue)
}

// assertNoSecrets fails when text contains the API key or the token secret.
func assertNoSecrets(t *testing.T, source, text string) {
	t.Helper()
	if bytes.Contains([]byte(text), []byte(testKey)) {
		t.Errorf("%s contains the API key: %s", source, text)
	}
	if bytes.Contains([]byte(text), []byte(testSecret)) {
		t.Errorf("%s contains the token secret: %s", source, text)
	}
}
