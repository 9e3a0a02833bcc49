package appwrite

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name        string
		call        func(context.Context, *Client) error
		givenStatus int
		givenType   string // Content-Type of the response
		givenBody   string
		expectError *Error
		expectText  string
	}{
		{
			name: "user not found",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetUser(ctx, "missing")
				return err
			},
			givenStatus: http.StatusNotFound,
			givenType:   "application/json",
			givenBody:   appwriteError(404, TypeUserNotFound, "User with the requested ID could not be found."),
			expectError: &Error{Status: 404, Type: TypeUserNotFound, Message: "User with the requested ID could not be found.", Version: "1.5.11"},
			expectText:  "appwrite: 404 user_not_found: User with the requested ID could not be found.",
		},
		{
			name: "user already exists",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateUser(ctx, CreateUserRequest{UserID: "alice-1", Email: "alice@example.com"})
				return err
			},
			givenStatus: http.StatusConflict,
			givenType:   "application/json",
			givenBody:   appwriteError(409, TypeUserAlreadyExists, "A user with the same id, email, or phone already exists in this project."),
			expectError: &Error{Status: 409, Type: TypeUserAlreadyExists, Message: "A user with the same id, email, or phone already exists in this project.", Version: "1.5.11"},
			expectText:  "appwrite: 409 user_already_exists: A user with the same id, email, or phone already exists in this project.",
		},
		{
			name: "code as a string, the published spec's form",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateName(ctx, "alice-1", "A")
				return err
			},
			givenStatus: http.StatusUnauthorized,
			givenType:   "application/json",
			givenBody:   `{"message":"User (role: guests) missing scope (users.write)","code":"401","type":"general_unauthorized_scope","version":"1.5.11"}`,
			expectError: &Error{Status: 401, Type: TypeGeneralUnauthorizedScope, Message: "User (role: guests) missing scope (users.write)", Version: "1.5.11"},
			expectText:  "appwrite: 401 general_unauthorized_scope: User (role: guests) missing scope (users.write)",
		},
		{
			name: "HTML page from a proxy",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateName(ctx, "alice-1", "A")
				return err
			},
			givenStatus: http.StatusBadGateway,
			givenType:   "text/html; charset=utf-8",
			givenBody:   "<html><body><h1>502 Bad Gateway</h1></body></html>",
			expectError: &Error{Status: 502, Message: "response body is not an Appwrite error (text/html, 50 bytes)"},
			expectText:  "appwrite: 502: response body is not an Appwrite error (text/html, 50 bytes)",
		},
		{
			name: "JSON that is not an Appwrite error",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateName(ctx, "alice-1", "A")
				return err
			},
			givenStatus: http.StatusBadRequest,
			givenType:   "application/json",
			givenBody:   `{"error":"bad request"}`,
			expectError: &Error{Status: 400, Message: "response body is not an Appwrite error (application/json, 23 bytes)"},
			expectText:  "appwrite: 400: response body is not an Appwrite error (application/json, 23 bytes)",
		},
		{
			name: "empty body without content type",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateName(ctx, "alice-1", "A")
				return err
			},
			givenStatus: http.StatusInternalServerError,
			givenBody:   "",
			expectError: &Error{Status: 500, Message: "response body is not an Appwrite error (unknown media type, 0 bytes)"},
			expectText:  "appwrite: 500: response body is not an Appwrite error (unknown media type, 0 bytes)",
		},
		{
			name: "oversized error body",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateName(ctx, "alice-1", "A")
				return err
			},
			givenStatus: http.StatusInternalServerError,
			givenType:   "text/plain",
			givenBody:   strings.Repeat("x", maxBodyBytes+10),
			expectError: &Error{Status: 500, Message: "response body is not an Appwrite error (text/plain, more than 1048576 bytes)"},
			expectText:  "appwrite: 500: response body is not an Appwrite error (text/plain, more than 1048576 bytes)",
		},
		{
			name: "long message is cut",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateName(ctx, "alice-1", "A")
				return err
			},
			givenStatus: http.StatusBadRequest,
			givenType:   "application/json",
			givenBody:   appwriteError(400, TypeGeneralArgumentInvalid, strings.Repeat("é", 600)),
			expectError: &Error{Status: 400, Type: TypeGeneralArgumentInvalid, Message: strings.Repeat("é", 512) + "…", Version: "1.5.11"},
			expectText:  "appwrite: 400 general_argument_invalid: " + strings.Repeat("é", 512) + "…",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
				if tt.givenType != "" {
					w.Header().Set("Content-Type", tt.givenType)
				}
				w.WriteHeader(tt.givenStatus)
				_, _ = w.Write([]byte(tt.givenBody))
			})
			c := newTestClient(t, ts, nil)

			err := tt.call(t.Context(), c)
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("error = %v (%T), want *Error", err, err)
			}
			if *got != *tt.expectError {
				t.Errorf("error = %#v, want %#v", *got, *tt.expectError)
			}
			if err.Error() != tt.expectText {
				t.Errorf("Error() = %q, want %q", err.Error(), tt.expectText)
			}
			if !IsType(err, tt.expectError.Type) {
				t.Errorf("IsType(err, %q) = false", tt.expectError.Type)
			}
		})
	}
}

func TestIsType(t *testing.T) {
	notFound := &Error{Status: 404, Type: TypeUserNotFound, Message: "User with the requested ID could not be found."}
	tests := []struct {
		name     string
		givenErr error
		typ      string
		expect   bool
	}{
		{name: "same type", givenErr: notFound, typ: TypeUserNotFound, expect: true},
		{name: "wrapped", givenErr: fmt.Errorf("resolve user: %w", notFound), typ: TypeUserNotFound, expect: true},
		{name: "other type", givenErr: notFound, typ: TypeUserAlreadyExists, expect: false},
		{name: "not an Appwrite error", givenErr: errors.New("user_not_found"), typ: TypeUserNotFound, expect: false},
		{name: "nil error", givenErr: nil, typ: TypeUserNotFound, expect: false},
		{name: "foreign body has empty type", givenErr: &Error{Status: 502}, typ: "", expect: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsType(tt.givenErr, tt.typ); got != tt.expect {
				t.Errorf("IsType(%v, %q) = %v, want %v", tt.givenErr, tt.typ, got, tt.expect)
			}
		})
	}
}

func TestInvalidSuccessBodies(t *testing.T) {
	tests := []struct {
		name        string
		call        func(context.Context, *Client) error
		givenStatus int
		givenBody   string
		expectText  string
	}{
		{
			name: "garbage body",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetUser(ctx, "alice-1")
				return err
			},
			givenStatus: http.StatusOK,
			givenBody:   "not json",
			expectText:  "appwrite: GET /users/alice-1: decode 200 response: invalid JSON at byte offset 2",
		},
		{
			name: "truncated body",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ListUsers(ctx, nil, "")
				return err
			},
			givenStatus: http.StatusOK,
			givenBody:   `{"total":1,"users":[`,
			expectText:  "appwrite: GET /users: decode 200 response: invalid JSON at byte offset 20",
		},
		{
			name: "wrong field type",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ListUsers(ctx, nil, "")
				return err
			},
			givenStatus: http.StatusOK,
			givenBody:   `{"total":"many","users":[]}`,
			expectText:  `appwrite: GET /users: decode 200 response: field "total" does not fit int`,
		},
		{
			name: "user without ID",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateName(ctx, "alice-1", "A")
				return err
			},
			givenStatus: http.StatusOK,
			givenBody:   `{}`,
			expectText:  "appwrite: PATCH /users/alice-1/name: invalid response: user has no $id",
		},
		{
			name: "oversized success body",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetUser(ctx, "alice-1")
				return err
			},
			givenStatus: http.StatusOK,
			givenBody:   `{"$id":"alice-1","name":"` + strings.Repeat("x", maxBodyBytes) + `"}`,
			expectText:  "appwrite: GET /users/alice-1: 200 response body is larger than 1048576 bytes",
		},
		{
			name: "token without secret",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateToken(ctx, "alice-1", 6, time.Minute)
				return err
			},
			givenStatus: http.StatusCreated,
			givenBody:   tokenJSON("alice-1", ""),
			expectText:  "appwrite: POST /users/alice-1/tokens: invalid response: token secret is empty",
		},
		{
			name: "token for another user",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateToken(ctx, "alice-1", 6, time.Minute)
				return err
			},
			givenStatus: http.StatusCreated,
			givenBody:   tokenJSON("bob-2", testSecret),
			expectText:  `appwrite: POST /users/alice-1/tokens: invalid response: token is for user "bob-2", not "alice-1"`,
		},
		{
			name: "empty version",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Version(ctx)
				return err
			},
			givenStatus: http.StatusOK,
			givenBody:   `{"version":""}`,
			expectText:  "appwrite: GET /health/version: invalid response: version is empty",
		},
		{
			name: "null prefs",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdatePrefs(ctx, "alice-1", map[string]any{"a": 1})
				return err
			},
			givenStatus: http.StatusOK,
			givenBody:   `null`,
			expectText:  "appwrite: PATCH /users/alice-1/prefs: invalid response: prefs is null",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
				writeJSON(w, tt.givenStatus, tt.givenBody)
			})
			c := newTestClient(t, ts, nil)

			err := tt.call(t.Context(), c)
			if err == nil {
				t.Fatalf("call succeeded, want an error")
			}
			if err.Error() != tt.expectText {
				t.Errorf("error = %q, want %q", err.Error(), tt.expectText)
			}
			var appwriteErr *Error
			if errors.As(err, &appwriteErr) {
				t.Errorf("error is an *Error, want a decoding error: %v", err)
			}
			if attempts := ts.Attempts(); attempts != 1 {
				t.Errorf("server saw %d attempts, want 1 (bad 2xx bodies are not retried)", attempts)
			}
		})
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	elsewhere := newTestServer(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		writeJSON(w, http.StatusOK, userJSON("alice-1", "", ""))
	})
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		http.Redirect(w, r, elsewhere.URL+"/v1/users/alice-1", http.StatusFound)
	})

	for _, name := range []string{"shared client", "caller's client"} {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, ts, func(cfg *Config) {
				if name == "caller's client" {
					cfg.HTTPClient = &http.Client{}
				}
			})
			_, err := c.GetUser(t.Context(), "alice-1")
			var got *Error
			if !errors.As(err, &got) || got.Status != http.StatusFound {
				t.Fatalf("error = %v, want an *Error with status 302", err)
			}
			if n := elsewhere.Attempts(); n != 0 {
				t.Errorf("redirect target saw %d requests, want 0", n)
			}
		})
	}
}

// TestErrorsNeverContainSecrets forces every error path with responses that
// carry the API key and a token secret, and checks that neither reaches the
// error text.
func TestErrorsNeverContainSecrets(t *testing.T) {
	leakyText := "key " + testKey + " secret " + testSecret
	blocking := func(w http.ResponseWriter, r *http.Request, attempt int) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	respond := func(status int, contentType, body string) func(http.ResponseWriter, *http.Request, int) {
		return func(w http.ResponseWriter, r *http.Request, attempt int) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}
	createToken := func(ctx context.Context, c *Client) error {
		_, err := c.CreateToken(ctx, "alice-1", 20, time.Hour)
		return err
	}
	getUser := func(ctx context.Context, c *Client) error {
		_, err := c.GetUser(ctx, "alice-1")
		return err
	}

	tests := []struct {
		name    string
		handler func(http.ResponseWriter, *http.Request, int)
		call    func(context.Context, *Client) error
		timeout time.Duration
		cancel  bool
	}{
		{name: "Appwrite error echoing the key", handler: respond(400, "application/json", appwriteError(400, TypeGeneralArgumentInvalid, "bad "+testKey)), call: createToken},
		{name: "key in type and version", handler: respond(400, "application/json", `{"message":"m","code":400,"type":"`+testKey+`","version":"`+testKey+`"}`), call: createToken},
		{name: "non-JSON error body", handler: respond(502, "text/plain", leakyText), call: createToken},
		{name: "JSON error body of another shape", handler: respond(500, "application/json", `{"error":"`+leakyText+`"}`), call: createToken},
		{name: "oversized error body", handler: respond(500, "text/plain", leakyText+strings.Repeat("x", maxBodyBytes)), call: createToken},
		{name: "retried GET error", handler: respond(503, "text/plain", leakyText), call: getUser},
		{name: "garbage token body", handler: respond(201, "application/json", leakyText), call: createToken},
		{name: "oversized number in an int field", handler: respond(200, "application/json", `{"total":`+strings.Repeat("7", 30)+`,"users":[]}`), call: func(ctx context.Context, c *Client) error {
			// encoding/json quotes numbers that do not fit; the client must not.
			_, err := c.ListUsers(ctx, nil, "")
			if err != nil && strings.Contains(err.Error(), strings.Repeat("7", 30)) {
				t.Errorf("error quotes a number from the body: %v", err)
			}
			return err
		}},
		{name: "number in a string field", handler: respond(201, "application/json", `{"$id":"t1","userId":"alice-1","secret":`+strings.Repeat("7", 30)+`}`), call: createToken},
		{name: "secret in wrong-typed field", handler: respond(201, "application/json", `{"$id":"t1","userId":"alice-1","secret":"`+testSecret+`","expire":["`+testSecret+`"]}`), call: createToken},
		{name: "truncated token body", handler: respond(201, "application/json", `{"$id":"t1","userId":"alice-1","secret":"`+testSecret), call: createToken},
		{name: "oversized token body", handler: respond(201, "application/json", `{"secret":"`+testSecret+`","pad":"`+strings.Repeat("x", maxBodyBytes)+`"}`), call: createToken},
		{name: "token for another user", handler: respond(201, "application/json", tokenJSON("bob-2", testSecret)), call: createToken},
		{name: "attempt timeout", handler: blocking, call: createToken, timeout: 50 * time.Millisecond},
		{name: "context canceled", handler: blocking, call: createToken, cancel: true},
		{name: "invalid length", handler: respond(201, "application/json", tokenJSON("alice-1", testSecret)), call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateToken(ctx, "alice-1", 1, time.Hour)
			return err
		}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, tt.handler)
			c := newTestClient(t, ts, func(cfg *Config) {
				if tt.timeout > 0 {
					cfg.Timeout = tt.timeout
				}
			})
			ctx := t.Context()
			if tt.cancel {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
			}

			err := tt.call(ctx, c)
			if err == nil {
				t.Fatalf("call succeeded, want an error")
			}
			assertNoSecrets(t, "err.Error()", err.Error())
			assertNoSecrets(t, "%+v of the error", fmt.Sprintf("%+v", err))
			assertNoSecrets(t, "%#v of the error", fmt.Sprintf("%#v", err))
		})
	}

	t.Run("transport error", func(t *testing.T) {
		ts := newTestServer(t, respond(200, "application/json", "{}"))
		c := newTestClient(t, ts, nil)
		ts.Close()
		_, err := c.CreateToken(t.Context(), "alice-1", 20, time.Hour)
		if err == nil {
			t.Fatalf("call to a closed server succeeded")
		}
		assertNoSecrets(t, "err.Error()", err.Error())
	})

	t.Run("invalid endpoint with the key in it", func(t *testing.T) {
		for i, endpoint := range []string{
			"http://user:" + testKey + "@127.0.0.1/v1",
			"http://127.0.0.1/v1?key=" + testKey,
			"http://127.0.0.1/v1#" + testKey,
			"http://127.0.0.1/%zz" + testKey,
		} {
			_, err := New(Config{Endpoint: endpoint, ProjectID: testProject, APIKey: testKey})
			if err == nil {
				t.Errorf("New accepted endpoint %d of the list", i)
				continue
			}
			assertNoSecrets(t, "New error", err.Error())
		}
	})
}
