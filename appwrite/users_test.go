package appwrite

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"
)

// TestCallsMatchContract checks the method, path, query, headers and body of
// every call, and the decoded response, against the Appwrite 1.5 contract.
func TestCallsMatchContract(t *testing.T) {
	tests := []struct {
		name string
		call func(context.Context, *Client) (any, error)

		givenStatus int
		givenBody   string

		expectMethod string
		expectPath   string
		expectQuery  string
		expectBody   string // JSON, or "" for a request without a body
		expectNoKey  bool
		check        func(t *testing.T, got any)
	}{
		{
			name: "create user with email and name",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateUser(ctx, CreateUserRequest{UserID: "alice-1", Email: "alice@example.com", Name: "Alice Example"})
			},
			givenStatus:  http.StatusCreated,
			givenBody:    userJSON("alice-1", "alice@example.com", "Alice Example"),
			expectMethod: http.MethodPost,
			expectPath:   "/v1/users",
			expectBody:   `{"userId":"alice-1","email":"alice@example.com","name":"Alice Example"}`,
			check:        expectUser("alice-1", "alice@example.com", "Alice Example"),
		},
		{
			name: "create user omits empty email and name",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateUser(ctx, CreateUserRequest{UserID: "unique()"})
			},
			givenStatus:  http.StatusCreated,
			givenBody:    userJSON("6632f0c1a4b5c6d7e8f9", "", ""),
			expectMethod: http.MethodPost,
			expectPath:   "/v1/users",
			expectBody:   `{"userId":"unique()"}`,
			check:        expectUser("6632f0c1a4b5c6d7e8f9", "", ""),
		},
		{
			name: "get user",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetUser(ctx, "alice-1")
			},
			givenStatus:  http.StatusOK,
			givenBody:    userJSON("alice-1", "alice@example.com", "Alice Example"),
			expectMethod: http.MethodGet,
			expectPath:   "/v1/users/alice-1",
			check:        expectUser("alice-1", "alice@example.com", "Alice Example"),
		},
		{
			name: "get user escapes the ID",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetUser(ctx, "a b/c?d")
			},
			givenStatus:  http.StatusOK,
			givenBody:    userJSON("a b/c?d", "", ""),
			expectMethod: http.MethodGet,
			expectPath:   "/v1/users/a%20b%2Fc%3Fd",
			check:        expectUser("a b/c?d", "", ""),
		},
		{
			name: "list users with queries and search",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListUsers(ctx, []Query{QueryEqual("email", "alice@example.com"), QueryLimit(1)}, "alice")
			},
			givenStatus:  http.StatusOK,
			givenBody:    `{"total":1,"users":[` + userJSON("alice-1", "alice@example.com", "Alice Example") + `]}`,
			expectMethod: http.MethodGet,
			expectPath:   "/v1/users",
			expectQuery: "queries%5B0%5D=%7B%22method%22%3A%22equal%22%2C%22attribute%22%3A%22email%22%2C%22values%22%3A%5B%22alice%40example.com%22%5D%7D" +
				"&queries%5B1%5D=%7B%22method%22%3A%22limit%22%2C%22values%22%3A%5B1%5D%7D&search=alice",
			check: func(t *testing.T, got any) {
				list := got.(*UserList)
				if list.Total != 1 || len(list.Users) != 1 {
					t.Fatalf("list = total %d, %d users, want 1 and 1", list.Total, len(list.Users))
				}
				expectUser("alice-1", "alice@example.com", "Alice Example")(t, &list.Users[0])
			},
		},
		{
			name: "list users without queries sends no query string",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListUsers(ctx, nil, "")
			},
			givenStatus:  http.StatusOK,
			givenBody:    `{"total":0,"users":[]}`,
			expectMethod: http.MethodGet,
			expectPath:   "/v1/users",
			check: func(t *testing.T, got any) {
				list := got.(*UserList)
				if list.Total != 0 || len(list.Users) != 0 {
					t.Errorf("list = total %d, %d users, want an empty list", list.Total, len(list.Users))
				}
			},
		},
		{
			name: "update name",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateName(ctx, "alice-1", "Alice B. Example")
			},
			givenStatus:  http.StatusOK,
			givenBody:    userJSON("alice-1", "alice@example.com", "Alice B. Example"),
			expectMethod: http.MethodPatch,
			expectPath:   "/v1/users/alice-1/name",
			expectBody:   `{"name":"Alice B. Example"}`,
			check:        expectUser("alice-1", "alice@example.com", "Alice B. Example"),
		},
		{
			name: "update email",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateEmail(ctx, "alice-1", "alice@example.org")
			},
			givenStatus:  http.StatusOK,
			givenBody:    userJSON("alice-1", "alice@example.org", "Alice Example"),
			expectMethod: http.MethodPatch,
			expectPath:   "/v1/users/alice-1/email",
			expectBody:   `{"email":"alice@example.org"}`,
			check:        expectUser("alice-1", "alice@example.org", "Alice Example"),
		},
		{
			name: "update email to empty sends the empty string",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateEmail(ctx, "alice-1", "")
			},
			givenStatus:  http.StatusOK,
			givenBody:    userJSON("alice-1", "", "Alice Example"),
			expectMethod: http.MethodPatch,
			expectPath:   "/v1/users/alice-1/email",
			expectBody:   `{"email":""}`,
			check:        expectUser("alice-1", "", "Alice Example"),
		},
		{
			name: "update email verification",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateEmailVerification(ctx, "alice-1", true)
			},
			givenStatus:  http.StatusOK,
			givenBody:    userJSON("alice-1", "alice@example.com", "Alice Example"),
			expectMethod: http.MethodPatch,
			expectPath:   "/v1/users/alice-1/verification",
			expectBody:   `{"emailVerification":true}`,
			check:        expectUser("alice-1", "alice@example.com", "Alice Example"),
		},
		{
			name: "update status to blocked",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateStatus(ctx, "alice-1", false)
			},
			givenStatus:  http.StatusOK,
			givenBody:    userJSON("alice-1", "alice@example.com", "Alice Example"),
			expectMethod: http.MethodPatch,
			expectPath:   "/v1/users/alice-1/status",
			expectBody:   `{"status":false}`,
			check:        expectUser("alice-1", "alice@example.com", "Alice Example"),
		},
		{
			name: "update labels",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateLabels(ctx, "alice-1", []string{"admin", "vip"})
			},
			givenStatus:  http.StatusOK,
			givenBody:    userJSON("alice-1", "alice@example.com", "Alice Example"),
			expectMethod: http.MethodPut,
			expectPath:   "/v1/users/alice-1/labels",
			expectBody:   `{"labels":["admin","vip"]}`,
			check:        expectUser("alice-1", "alice@example.com", "Alice Example"),
		},
		{
			name: "update labels with nil sends an empty array",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateLabels(ctx, "alice-1", nil)
			},
			givenStatus:  http.StatusOK,
			givenBody:    userJSON("alice-1", "alice@example.com", "Alice Example"),
			expectMethod: http.MethodPut,
			expectPath:   "/v1/users/alice-1/labels",
			expectBody:   `{"labels":[]}`,
			check:        expectUser("alice-1", "alice@example.com", "Alice Example"),
		},
		{
			name: "update prefs returns the prefs object",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdatePrefs(ctx, "alice-1", map[string]any{"theme": "dark", "groups": []string{"staff"}})
			},
			givenStatus:  http.StatusOK,
			givenBody:    `{"theme":"dark","groups":["staff"]}`,
			expectMethod: http.MethodPatch,
			expectPath:   "/v1/users/alice-1/prefs",
			expectBody:   `{"prefs":{"theme":"dark","groups":["staff"]}}`,
			check: func(t *testing.T, got any) {
				want := map[string]any{"theme": "dark", "groups": []any{"staff"}}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("prefs = %v, want %v", got, want)
				}
			},
		},
		{
			name: "update prefs with nil sends an empty object and accepts []",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdatePrefs(ctx, "alice-1", nil)
			},
			givenStatus:  http.StatusOK,
			givenBody:    `[]`,
			expectMethod: http.MethodPatch,
			expectPath:   "/v1/users/alice-1/prefs",
			expectBody:   `{"prefs":{}}`,
			check: func(t *testing.T, got any) {
				prefs := got.(map[string]any)
				if prefs == nil || len(prefs) != 0 {
					t.Errorf("prefs = %#v, want an empty non-nil map", prefs)
				}
			},
		},
		{
			name: "create token",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateToken(ctx, "alice-1", 20, 15*time.Minute)
			},
			givenStatus:  http.StatusCreated,
			givenBody:    tokenJSON("alice-1", testSecret),
			expectMethod: http.MethodPost,
			expectPath:   "/v1/users/alice-1/tokens",
			expectBody:   `{"length":20,"expire":900}`,
			check: func(t *testing.T, got any) {
				want := Token{
					ID: "6632f0c1a4b5c6d7e8f9", CreatedAt: "2024-05-01T12:00:00.000+00:00", UserID: "alice-1",
					Secret: testSecret, Expire: "2024-05-01T12:15:00.000+00:00", Phrase: "",
				}
				if token := *got.(*Token); token != want {
					t.Errorf("token = %#v, want %#v", token, want)
				}
				if got.(*Token).Secret != testSecret {
					t.Errorf("token secret was not decoded")
				}
			},
		},
		{
			name: "version is public and sent without the key",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Version(ctx)
			},
			givenStatus:  http.StatusOK,
			givenBody:    `{"version":"1.5.11"}`,
			expectMethod: http.MethodGet,
			expectPath:   "/v1/health/version",
			expectNoKey:  true,
			check: func(t *testing.T, got any) {
				if got != "1.5.11" {
					t.Errorf("version = %v, want 1.5.11", got)
				}
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
				writeJSON(w, tt.givenStatus, tt.givenBody)
			})
			c := newTestClient(t, ts, nil)

			got, err := tt.call(t.Context(), c)
			if err != nil {
				t.Fatalf("call failed: %v", err)
			}

			requests := ts.Requests()
			if len(requests) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(requests))
			}
			req := requests[0]
			if req.Method != tt.expectMethod {
				t.Errorf("method = %s, want %s", req.Method, tt.expectMethod)
			}
			if req.Path != tt.expectPath {
				t.Errorf("path = %s, want %s", req.Path, tt.expectPath)
			}
			if req.RawQuery != tt.expectQuery {
				t.Errorf("query = %q, want %q", req.RawQuery, tt.expectQuery)
			}
			checkHeaders(t, req, tt.expectBody != "", !tt.expectNoKey)
			if tt.expectBody == "" && len(req.Body) != 0 {
				t.Errorf("body = %q, want none", req.Body)
			}
			if tt.expectBody != "" && !sameJSON(t, req.Body, tt.expectBody) {
				t.Errorf("body = %s, want %s", req.Body, tt.expectBody)
			}
			tt.check(t, got)
		})
	}
}

// checkHeaders checks the headers every request carries.
func checkHeaders(t *testing.T, req recordedRequest, hasBody, hasKey bool) {
	t.Helper()
	want := map[string]string{
		"X-Appwrite-Project":         testProject,
		"X-Appwrite-Response-Format": "1.5.0",
		"Accept":                     "application/json",
		"User-Agent":                 testUserAgent,
	}
	for name, value := range want {
		if got := req.Header.Get(name); got != value {
			t.Errorf("header %s = %q, want %q", name, got, value)
		}
	}

	gotKey := req.Header.Get("X-Appwrite-Key")
	if hasKey && gotKey != testKey {
		t.Errorf("header X-Appwrite-Key is %d bytes long, want the %d-byte test key", len(gotKey), len(testKey))
	}
	if !hasKey && gotKey != "" {
		t.Errorf("header X-Appwrite-Key is set, want it absent")
	}

	contentType := req.Header.Get("Content-Type")
	if hasBody && contentType != "application/json" {
		t.Errorf("header Content-Type = %q, want application/json", contentType)
	}
	if !hasBody && contentType != "" {
		t.Errorf("header Content-Type = %q on a request without a body", contentType)
	}
}

// expectUser checks the decoded fields of a user built by userJSON.
func expectUser(id, email, name string) func(t *testing.T, got any) {
	return func(t *testing.T, got any) {
		t.Helper()
		want := User{
			ID:                id,
			CreatedAt:         "2024-05-01T12:00:00.000+00:00",
			UpdatedAt:         "2024-05-02T08:30:00.000+00:00",
			Name:              name,
			Email:             email,
			Registration:      "2024-05-01T12:00:00.000+00:00",
			Status:            true,
			EmailVerification: true,
			Labels:            []string{"vip"},
			Prefs:             map[string]any{"theme": "dark", "timezone": "UTC"},
			AccessedAt:        "2024-05-03T09:15:00.000+00:00",
		}
		if user := got.(*User); !reflect.DeepEqual(*user, want) {
			t.Errorf("user = %+v, want %+v", *user, want)
		}
	}
}

func TestListUsersQueryDecodesToJSON(t *testing.T) {
	got := encodeListQuery([]Query{QueryEqual("email", "a+b@example.com"), QueryOffset(25)}, "a b&c")
	values, err := url.ParseQuery(got)
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", got, err)
	}
	want := url.Values{
		"queries[0]": {`{"method":"equal","attribute":"email","values":["a+b@example.com"]}`},
		"queries[1]": {`{"method":"offset","values":[25]}`},
		"search":     {"a b&c"},
	}
	if !reflect.DeepEqual(values, want) {
		t.Errorf("decoded query = %v, want %v", values, want)
	}
}

func TestUserPrefsForms(t *testing.T) {
	tests := []struct {
		name        string
		givenPrefs  string
		expectPrefs map[string]any
	}{
		{name: "object", givenPrefs: `{"a":1}`, expectPrefs: map[string]any{"a": float64(1)}},
		{name: "empty object", givenPrefs: `{}`, expectPrefs: map[string]any{}},
		{name: "empty array from PHP", givenPrefs: `[]`, expectPrefs: map[string]any{}},
		{name: "empty array with spaces", givenPrefs: ` [ ] `, expectPrefs: map[string]any{}},
		{name: "null", givenPrefs: `null`, expectPrefs: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var user User
			body := `{"$id":"u1","name":"N","prefs":` + tt.givenPrefs + `}`
			if err := user.UnmarshalJSON([]byte(body)); err != nil {
				t.Fatalf("UnmarshalJSON: %v", err)
			}
			if !reflect.DeepEqual(user.Prefs, tt.expectPrefs) {
				t.Errorf("prefs = %#v, want %#v", user.Prefs, tt.expectPrefs)
			}
			if user.ID != "u1" || user.Name != "N" {
				t.Errorf("user = %+v, want ID u1 and name N", user)
			}
		})
	}

	t.Run("non-empty array is rejected", func(t *testing.T) {
		var user User
		if err := user.UnmarshalJSON([]byte(`{"$id":"u1","prefs":[1]}`)); err == nil {
			t.Errorf("UnmarshalJSON accepted prefs [1]")
		}
	})
}
