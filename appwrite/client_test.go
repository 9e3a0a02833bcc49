package appwrite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewValidatesConfig(t *testing.T) {
	valid := Config{Endpoint: "http://127.0.0.1:8090/v1", ProjectID: testProject, APIKey: testKey}
	tests := []struct {
		name        string
		edit        func(*Config)
		expectError string // substring; "" means New succeeds
	}{
		{name: "valid", edit: func(*Config) {}},
		{name: "https endpoint", edit: func(c *Config) { c.Endpoint = "https://127.0.0.1/v1" }},
		{name: "empty endpoint", edit: func(c *Config) { c.Endpoint = "" }, expectError: "endpoint is empty"},
		{name: "relative endpoint", edit: func(c *Config) { c.Endpoint = "/v1" }, expectError: `endpoint scheme "" is not http or https`},
		{name: "other scheme", edit: func(c *Config) { c.Endpoint = "ftp://127.0.0.1/v1" }, expectError: `endpoint scheme "ftp" is not http or https`},
		{name: "no host", edit: func(c *Config) { c.Endpoint = "http:///v1" }, expectError: "endpoint has no host"},
		{name: "unparsable", edit: func(c *Config) { c.Endpoint = "http://127.0.0.1:port/v1" }, expectError: "endpoint is not a valid URL"},
		{name: "user info", edit: func(c *Config) { c.Endpoint = "http://admin:pw@127.0.0.1/v1" }, expectError: "must not contain user info"},
		{name: "query", edit: func(c *Config) { c.Endpoint = "http://127.0.0.1/v1?x=1" }, expectError: "must not have a query or a fragment"},
		{name: "empty query", edit: func(c *Config) { c.Endpoint = "http://127.0.0.1/v1?" }, expectError: "must not have a query or a fragment"},
		{name: "fragment", edit: func(c *Config) { c.Endpoint = "http://127.0.0.1/v1#top" }, expectError: "must not have a query or a fragment"},
		{name: "empty project", edit: func(c *Config) { c.ProjectID = "" }, expectError: "project ID is empty"},
		{name: "empty key", edit: func(c *Config) { c.APIKey = "" }, expectError: "API key is empty"},
		{name: "negative timeout", edit: func(c *Config) { c.Timeout = -time.Second }, expectError: "timeout -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			c, err := New(cfg)
			if tt.expectError == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c == nil {
					t.Fatalf("New returned a nil client")
				}
				return
			}
			if err == nil {
				t.Fatalf("New succeeded, want an error containing %q", tt.expectError)
			}
			if !strings.Contains(err.Error(), tt.expectError) {
				t.Errorf("error = %q, want it to contain %q", err, tt.expectError)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Config{Endpoint: "http://127.0.0.1:8090/v1//", ProjectID: testProject, APIKey: testKey})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.endpoint != "http://127.0.0.1:8090/v1" {
		t.Errorf("endpoint = %q, want the trailing slashes removed", c.endpoint)
	}
	if c.timeout != DefaultTimeout {
		t.Errorf("timeout = %s, want %s", c.timeout, DefaultTimeout)
	}
	if c.httpClient != sharedHTTPClient() {
		t.Errorf("client without HTTPClient does not use the shared client")
	}
	transport, ok := c.httpClient.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("shared transport is %T, want *http.Transport", c.httpClient.Transport)
	}
	if transport.MaxIdleConnsPerHost < 16 {
		t.Errorf("MaxIdleConnsPerHost = %d, want at least 16", transport.MaxIdleConnsPerHost)
	}

	callerClient := &http.Client{Timeout: time.Minute}
	c2, err := New(Config{Endpoint: "http://127.0.0.1:8090/v1", ProjectID: testProject, APIKey: testKey, HTTPClient: callerClient})
	if err != nil {
		t.Fatalf("New with HTTPClient: %v", err)
	}
	if c2.httpClient == callerClient {
		t.Errorf("caller's client is used as is, want a copy that does not follow redirects")
	}
	if c2.httpClient.Timeout != time.Minute {
		t.Errorf("copied client timeout = %s, want the caller's 1m0s", c2.httpClient.Timeout)
	}
	if callerClient.CheckRedirect != nil {
		t.Errorf("New changed the caller's client")
	}
}

func TestGetRetries(t *testing.T) {
	tests := []struct {
		name           string
		givenStatuses  []int  // status of each attempt's response; the last repeats
		givenRetryWait string // Retry-After on 429 responses
		expectAttempts int
		expectStatus   int // status of the returned *Error; 0 means success
	}{
		{name: "503 then success", givenStatuses: []int{503, 200}, expectAttempts: 2},
		{name: "502 then 504 then success", givenStatuses: []int{502, 504, 200}, expectAttempts: 3},
		{name: "503 every time", givenStatuses: []int{503}, expectAttempts: 3, expectStatus: 503},
		{name: "429 without Retry-After", givenStatuses: []int{429, 200}, expectAttempts: 2},
		{name: "429 with short Retry-After", givenStatuses: []int{429, 200}, givenRetryWait: "0", expectAttempts: 2},
		{name: "429 with Retry-After of one second", givenStatuses: []int{429, 200}, givenRetryWait: "1", expectAttempts: 2},
		{name: "429 with long Retry-After", givenStatuses: []int{429, 200}, givenRetryWait: "2", expectAttempts: 1, expectStatus: 429},
		{name: "404 is not retried", givenStatuses: []int{404, 200}, expectAttempts: 1, expectStatus: 404},
		{name: "500 is not retried", givenStatuses: []int{500, 200}, expectAttempts: 1, expectStatus: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
				status := tt.givenStatuses[min(attempt, len(tt.givenStatuses))-1]
				if status == http.StatusOK {
					writeJSON(w, status, userJSON("alice-1", "", ""))
					return
				}
				if status == http.StatusTooManyRequests && tt.givenRetryWait != "" {
					w.Header().Set("Retry-After", tt.givenRetryWait)
				}
				writeJSON(w, status, appwriteError(status, "general_server_error", "try later"))
			})
			c := newTestClient(t, ts, nil)

			_, err := c.GetUser(t.Context(), "alice-1")
			if got := ts.Attempts(); got != tt.expectAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.expectAttempts)
			}
			if tt.expectStatus == 0 {
				if err != nil {
					t.Errorf("GetUser: %v", err)
				}
				return
			}
			var appwriteErr *Error
			if !errors.As(err, &appwriteErr) || appwriteErr.Status != tt.expectStatus {
				t.Errorf("error = %v, want an *Error with status %d", err, tt.expectStatus)
			}
		})
	}
}

func TestGetRetriesTransportError(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		writeJSON(w, http.StatusOK, `{"version":"1.5.11"}`)
	})
	c := newTestClient(t, ts, nil)

	version, err := c.Version(t.Context())
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	if version != "1.5.11" {
		t.Errorf("version = %q, want 1.5.11", version)
	}
	if got := ts.Attempts(); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
}

func TestWritesAreNotRetried(t *testing.T) {
	tests := []struct {
		name string
		call func(context.Context, *Client) error
	}{
		{name: "create token", call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateToken(ctx, "alice-1", 6, 15*time.Minute)
			return err
		}},
		{name: "create user", call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateUser(ctx, CreateUserRequest{UserID: "alice-1"})
			return err
		}},
		{name: "update name", call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdateName(ctx, "alice-1", "A")
			return err
		}},
		{name: "update labels", call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdateLabels(ctx, "alice-1", []string{"a"})
			return err
		}},
		{name: "update prefs", call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdatePrefs(ctx, "alice-1", nil)
			return err
		}},
	}
	for _, tt := range tests {
		for _, failure := range []string{"503", "transport error"} {
			t.Run(tt.name+" after "+failure, func(t *testing.T) {
				ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
					if failure == "503" {
						writeJSON(w, http.StatusServiceUnavailable, appwriteError(503, "general_server_error", "down"))
						return
					}
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						_ = conn.Close()
					}
				})
				c := newTestClient(t, ts, nil)

				if err := tt.call(t.Context(), c); err == nil {
					t.Fatalf("call succeeded, want an error")
				}
				if got := ts.Attempts(); got != 1 {
					t.Errorf("attempts = %d, want exactly 1", got)
				}
			})
		}
	}
}

// blockUntilGone holds a request until the client gives up or 5 s pass.
func blockUntilGone(w http.ResponseWriter, r *http.Request, attempt int) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

func TestAttemptTimeout(t *testing.T) {
	t.Run("write gives up after one attempt", func(t *testing.T) {
		ts := newTestServer(t, blockUntilGone)
		c := newTestClient(t, ts, func(cfg *Config) { cfg.Timeout = 100 * time.Millisecond })

		start := time.Now()
		_, err := c.CreateToken(t.Context(), "alice-1", 6, 15*time.Minute)
		elapsed := time.Since(start)

		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error = %v, want context.DeadlineExceeded", err)
		}
		want := "appwrite: POST /users/alice-1/tokens: no response within 100ms"
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error = %q, want prefix %q", err, want)
		}
		if elapsed > 2*time.Second {
			t.Errorf("call took %s, want about 100ms", elapsed)
		}
		if got := ts.Attempts(); got != 1 {
			t.Errorf("attempts = %d, want 1", got)
		}
	})

	t.Run("GET retries each timed-out attempt", func(t *testing.T) {
		ts := newTestServer(t, blockUntilGone)
		c := newTestClient(t, ts, func(cfg *Config) { cfg.Timeout = 100 * time.Millisecond })

		_, err := c.GetUser(t.Context(), "alice-1")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error = %v, want context.DeadlineExceeded", err)
		}
		if got := ts.Attempts(); got != 3 {
			t.Errorf("attempts = %d, want 3", got)
		}
	})

	t.Run("context deadline shorter than timeout wins", func(t *testing.T) {
		ts := newTestServer(t, blockUntilGone)
		c := newTestClient(t, ts, func(cfg *Config) { cfg.Timeout = 10 * time.Second })
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()

		start := time.Now()
		_, err := c.GetUser(ctx, "alice-1")
		elapsed := time.Since(start)

		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error = %v, want context.DeadlineExceeded", err)
		}
		if strings.Contains(err.Error(), "no response within") {
			t.Errorf("error = %q blames the attempt timeout, want the caller's deadline", err)
		}
		if elapsed > 2*time.Second {
			t.Errorf("call took %s, want about 100ms", elapsed)
		}
		if got := ts.Attempts(); got != 1 {
			t.Errorf("attempts = %d, want 1 (no retry after the context ended)", got)
		}
	})
}

func TestContextCancel(t *testing.T) {
	t.Run("during a request", func(t *testing.T) {
		ts := newTestServer(t, blockUntilGone)
		c := newTestClient(t, ts, nil)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)

		_, err := c.GetUser(ctx, "alice-1")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
		if got := ts.Attempts(); got != 1 {
			t.Errorf("attempts = %d, want 1", got)
		}
	})

	t.Run("before the call", func(t *testing.T) {
		ts := newTestServer(t, blockUntilGone)
		c := newTestClient(t, ts, nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()

		_, err := c.ListUsers(ctx, nil, "")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
		if got := ts.Attempts(); got != 0 {
			t.Errorf("attempts = %d, want 0", got)
		}
	})

	t.Run("while waiting to retry", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
			writeJSON(w, http.StatusServiceUnavailable, appwriteError(503, "general_server_error", "down"))
		})
		c := newTestClient(t, ts, func(cfg *Config) {
			cfg.HTTPClient = &http.Client{Transport: cancelAfterResponse{next: http.DefaultTransport, cancel: cancel}}
		})

		_, err := c.GetUser(ctx, "alice-1")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		var appwriteErr *Error
		if !errors.As(err, &appwriteErr) || appwriteErr.Status != 503 {
			t.Errorf("error = %v, want it to keep the 503 *Error", err)
		}
		if got := ts.Attempts(); got != 1 {
			t.Errorf("attempts = %d, want 1", got)
		}
	})
}

// cancelAfterResponse buffers each response body and then calls cancel, so
// the caller's context ends after a complete response arrived.
type cancelAfterResponse struct {
	next   http.RoundTripper
	cancel context.CancelFunc
}

func (c cancelAfterResponse) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.cancel()
	return resp, nil
}

// TestConnectionsAreReused checks that success and error responses alike are
// read to the end, so that sequential calls share one connection.
func TestConnectionsAreReused(t *testing.T) {
	var newConns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/users/missing":
			writeJSON(w, http.StatusNotFound, appwriteError(404, TypeUserNotFound, "User with the requested ID could not be found."))
		case r.URL.Path == "/v1/users/alice-1/name":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(bytes.Repeat([]byte("<p>error</p>"), 2000))
		case r.URL.Path == "/v1/users/alice-1/tokens":
			writeJSON(w, http.StatusCreated, tokenJSON("alice-1", testSecret))
		case r.URL.Path == "/v1/users":
			writeJSON(w, http.StatusOK, `{"total":1,"users":[`+userJSON("alice-1", "", "")+`]}`)
		default:
			writeJSON(w, http.StatusOK, userJSON("alice-1", "", ""))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	c, err := New(Config{Endpoint: srv.URL + "/v1", ProjectID: testProject, APIKey: testKey})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx := t.Context()
	for i := range 3 {
		if _, err := c.GetUser(ctx, "alice-1"); err != nil {
			t.Fatalf("GetUser %d: %v", i, err)
		}
		if _, err := c.GetUser(ctx, "missing"); !IsType(err, TypeUserNotFound) {
			t.Fatalf("GetUser missing: %v, want user_not_found", err)
		}
		if _, err := c.UpdateName(ctx, "alice-1", "A"); err == nil {
			t.Fatalf("UpdateName succeeded, want the 500 error")
		}
		if _, err := c.ListUsers(ctx, []Query{QueryLimit(1)}, ""); err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		if _, err := c.CreateToken(ctx, "alice-1", 20, time.Minute); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
	}
	if got := newConns.Load(); got != 1 {
		t.Errorf("server saw %d connections for 15 sequential calls, want 1", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		givenValue string
		expectWait time.Duration
		expectOK   bool
	}{
		{givenValue: "", expectOK: false},
		{givenValue: "0", expectWait: 0, expectOK: true},
		{givenValue: "1", expectWait: time.Second, expectOK: true},
		{givenValue: "120", expectWait: 2 * time.Minute, expectOK: true},
		{givenValue: "-1", expectOK: false},
		{givenValue: "soon", expectOK: false},
		{givenValue: "1.5", expectOK: false},
		{givenValue: "Fri, 01 May 2026 12:00:01 GMT", expectWait: time.Second, expectOK: true},
		{givenValue: "Fri, 01 May 2026 11:59:00 GMT", expectWait: 0, expectOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.givenValue, func(t *testing.T) {
			wait, ok := parseRetryAfter(tt.givenValue, now)
			if ok != tt.expectOK || wait != tt.expectWait {
				t.Errorf("parseRetryAfter(%q) = %s, %v, want %s, %v", tt.givenValue, wait, ok, tt.expectWait, tt.expectOK)
			}
		})
	}
}

func TestConfigAndClientRedactKey(t *testing.T) {
	cfg := Config{Endpoint: "http://127.0.0.1:8090/v1", ProjectID: testProject, APIKey: testKey, Timeout: time.Second}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	withPassword := Config{Endpoint: "http://admin:" + testKey + "@127.0.0.1/v1", ProjectID: testProject}

	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("config", "config", cfg, "client", c, "endpoint_config", withPassword)
	textLogger := slog.New(slog.NewTextHandler(&logs, nil))
	textLogger.Info("config", "config", cfg, "client", c)

	outputs := map[string]string{
		"%v of Config":  fmt.Sprintf("%v", cfg),
		"%+v of Config": fmt.Sprintf("%+v", cfg),
		"%#v of Config": fmt.Sprintf("%#v", cfg),
		"%v of *Config": fmt.Sprintf("%v", &cfg),
		"%v of Client":  fmt.Sprintf("%v", c),
		"%+v of Client": fmt.Sprintf("%+v", c),
		"%#v of Client": fmt.Sprintf("%#v", c),
		"Config in a struct": fmt.Sprintf("%+v", struct {
			Appwrite Config
		}{cfg}),
		"Config with password in endpoint": fmt.Sprintf("%v", withPassword),
		"slog output":                      logs.String(),
	}
	for name, out := range outputs {
		assertNoSecrets(t, name, out)
	}
	if !strings.Contains(outputs["%v of Config"], testProject) || !strings.Contains(outputs["%v of Config"], "[redacted]") {
		t.Errorf("Config.String() = %q, want the project ID and [redacted]", outputs["%v of Config"])
	}
	if !strings.Contains(logs.String(), `"project_id":"`+testProject+`"`) {
		t.Errorf("slog output %q lacks project_id", logs.String())
	}
	if got := (Config{}).String(); !strings.Contains(got, `APIKey: ""`) {
		t.Errorf("String of an empty Config = %q, want it to show the key as empty", got)
	}
}
