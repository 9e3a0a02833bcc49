package emulator

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// tryWrongSecret sends one sessions/token call that fails with 401.
func tryWrongSecret(env *testEnv, userID string, headers map[string]string) *response {
	env.t.Helper()
	return env.request("POST", "/v1/account/sessions/token", map[string]string{"userId": userID, "secret": "000000"}, headers)
}

func TestSessionTokenRateLimit(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "", "")
	env.createUser("bob", "", "")

	for i := 1; i <= 10; i++ {
		r := tryWrongSecret(env, "alice", nil)
		mustStatus(t, r, http.StatusUnauthorized)
		if got := r.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(10-i) {
			t.Errorf("call %d: X-RateLimit-Remaining = %s, want %d", i, got, 10-i)
		}
	}

	r := tryWrongSecret(env, "alice", nil)
	mustStatus(t, r, http.StatusTooManyRequests)
	if r.errorType(t) != "general_rate_limit_exceeded" {
		t.Errorf("type = %s, want general_rate_limit_exceeded", r.errorType(t))
	}
	if r.header.Get("X-RateLimit-Limit") != "10" {
		t.Errorf("X-RateLimit-Limit = %q", r.header.Get("X-RateLimit-Limit"))
	}
	wantReset := env.clock.Now().Truncate(time.Hour).Add(time.Hour).Unix()
	if r.header.Get("X-RateLimit-Reset") != strconv.FormatInt(wantReset, 10) {
		t.Errorf("X-RateLimit-Reset = %q, want %d", r.header.Get("X-RateLimit-Reset"), wantReset)
	}

	// A valid secret is refused too while the window lasts.
	secret := env.createToken("alice", nil)
	mustStatus(t, env.request("POST", "/v1/account/sessions/token", map[string]string{"userId": "alice", "secret": secret}, nil), http.StatusTooManyRequests)

	// The key is IP plus userId: another user is not affected.
	mustStatus(t, tryWrongSecret(env, "bob", nil), http.StatusUnauthorized)

	// API-key callers are never limited.
	mustStatus(t, tryWrongSecret(env, "alice", map[string]string{"X-Appwrite-Key": testAPIKey}), http.StatusUnauthorized)

	// The next window starts afresh.
	env.clock.Advance(time.Hour)
	mustStatus(t, tryWrongSecret(env, "alice", nil), http.StatusUnauthorized)
}

func TestSessionTokenRateLimitCountsSuccesses(t *testing.T) {
	tests := []struct {
		givenVersion string
		expectCode   int // of the 11th call after 10 successful sign-ins
	}{
		{"1.5.11", http.StatusTooManyRequests},
		{"1.8.1", http.StatusTooManyRequests},
		{"1.9.0", http.StatusUnauthorized}, // a 201 resets the counter from 1.9.0
	}
	for _, tt := range tests {
		t.Run(tt.givenVersion, func(t *testing.T) {
			env := newTestEnv(t, func(c *Config) { c.Version = tt.givenVersion })
			env.createUser("alice", "", "")
			for range 10 {
				env.signIn("alice")
			}
			mustStatus(t, tryWrongSecret(env, "alice", nil), tt.expectCode)
		})
	}
}

func TestSessionTokenRateLimitDisabled(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.DisableRateLimit = true })
	env.createUser("alice", "", "")
	for range 20 {
		mustStatus(t, tryWrongSecret(env, "alice", nil), http.StatusUnauthorized)
	}
}
