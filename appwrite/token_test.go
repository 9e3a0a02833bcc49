package appwrite

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestArgumentsCheckedBeforeSending(t *testing.T) {
	tests := []struct {
		name        string
		call        func(context.Context, *Client) error
		expectError string
	}{
		{name: "create user without ID", expectError: `appwrite: create user: user ID is empty (pass a custom ID or "unique()")`, call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateUser(ctx, CreateUserRequest{Email: "alice@example.com"})
			return err
		}},
		{name: "get user without ID", expectError: "appwrite: get user: user ID is empty", call: func(ctx context.Context, c *Client) error {
			_, err := c.GetUser(ctx, "")
			return err
		}},
		{name: "update name without ID", expectError: "appwrite: update name: user ID is empty", call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdateName(ctx, "", "A")
			return err
		}},
		{name: "update email without ID", expectError: "appwrite: update email: user ID is empty", call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdateEmail(ctx, "", "a@example.com")
			return err
		}},
		{name: "update verification without ID", expectError: "appwrite: update email verification: user ID is empty", call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdateEmailVerification(ctx, "", true)
			return err
		}},
		{name: "update status without ID", expectError: "appwrite: update status: user ID is empty", call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdateStatus(ctx, "", true)
			return err
		}},
		{name: "update labels without ID", expectError: "appwrite: update labels: user ID is empty", call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdateLabels(ctx, "", nil)
			return err
		}},
		{name: "update prefs without ID", expectError: "appwrite: update prefs: user ID is empty", call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdatePrefs(ctx, "", nil)
			return err
		}},
		{name: "create token without ID", expectError: "appwrite: create token: user ID is empty", call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateToken(ctx, "", 6, time.Minute)
			return err
		}},
		{name: "token length below 4", expectError: "appwrite: create token: length 3 is outside 4 to 128", call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateToken(ctx, "alice-1", 3, time.Minute)
			return err
		}},
		{name: "token length above 128", expectError: "appwrite: create token: length 129 is outside 4 to 128", call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateToken(ctx, "alice-1", 129, time.Minute)
			return err
		}},
		{name: "expire below 60 s", expectError: "appwrite: create token: expire 59s is outside 1m0s to 8760h0m0s", call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateToken(ctx, "alice-1", 6, 59*time.Second)
			return err
		}},
		{name: "expire above one year", expectError: "appwrite: create token: expire 8760h0m1s is outside 1m0s to 8760h0m0s", call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateToken(ctx, "alice-1", 6, 31536001*time.Second)
			return err
		}},
		{name: "expire not whole seconds", expectError: "appwrite: create token: expire 1m30.5s is not a whole number of seconds", call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateToken(ctx, "alice-1", 6, 90*time.Second+500*time.Millisecond)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
				writeJSON(w, http.StatusOK, `{}`)
			})
			c := newTestClient(t, ts, nil)

			err := tt.call(t.Context(), c)
			if err == nil || err.Error() != tt.expectError {
				t.Errorf("error = %v, want %q", err, tt.expectError)
			}
			if got := ts.Attempts(); got != 0 {
				t.Errorf("server saw %d requests, want 0", got)
			}
		})
	}
}

func TestCreateTokenAcceptsBounds(t *testing.T) {
	tests := []struct {
		length       int
		expire       time.Duration
		expectLength string
		expectExpire string
	}{
		{length: MinTokenLength, expire: MinTokenExpire, expectLength: "4", expectExpire: "60"},
		{length: MaxTokenLength, expire: MaxTokenExpire, expectLength: "128", expectExpire: "31536000"},
	}
	for _, tt := range tests {
		t.Run(tt.expectLength, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
				writeJSON(w, http.StatusCreated, tokenJSON("alice-1", testSecret))
			})
			c := newTestClient(t, ts, nil)
			if _, err := c.CreateToken(t.Context(), "alice-1", tt.length, tt.expire); err != nil {
				t.Fatalf("CreateToken(%d, %s): %v", tt.length, tt.expire, err)
			}
			body := ts.Requests()[0].Body
			want := `{"length":` + tt.expectLength + `,"expire":` + tt.expectExpire + `}`
			if !sameJSON(t, body, want) {
				t.Errorf("body = %s, want %s", body, want)
			}
		})
	}
}

func TestTokenRedactsSecret(t *testing.T) {
	token := Token{ID: "6632f0c1a4b5c6d7e8f9", UserID: "alice-1", Secret: testSecret, Expire: "2024-05-01T12:15:00.000+00:00"}

	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("minted", "token", token, "token_pointer", &token)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("minted", "token", token, "token_pointer", &token)

	outputs := map[string]string{
		"%v":             fmt.Sprintf("%v", token),
		"%+v":            fmt.Sprintf("%+v", token),
		"%#v":            fmt.Sprintf("%#v", token),
		"%s":             fmt.Sprintf("%s", token),
		"%v of pointer":  fmt.Sprintf("%v", &token),
		"%+v of pointer": fmt.Sprintf("%+v", &token),
		"%#v of pointer": fmt.Sprintf("%#v", &token),
		"in a struct": fmt.Sprintf("%+v", struct {
			Token Token
		}{token}),
		"in a slice": fmt.Sprintf("%v", []Token{token}),
		"slog":       logs.String(),
	}
	for name, out := range outputs {
		assertNoSecrets(t, name, out)
		if !strings.Contains(out, "alice-1") {
			t.Errorf("%s output %q lacks the user ID", name, out)
		}
	}
	if !strings.Contains(outputs["%v"], "[redacted]") {
		t.Errorf("String() = %q, want it to mark the secret [redacted]", outputs["%v"])
	}
	if !strings.Contains(logs.String(), `"user_id":"alice-1"`) {
		t.Errorf("slog output %q lacks user_id", logs.String())
	}
	if token.Secret != testSecret {
		t.Errorf("printing changed the token's secret")
	}
}
