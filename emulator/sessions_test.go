package emulator

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCreateSessionFromToken(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "alice@example.com", "Alice")
	secret := env.createToken("alice", nil)

	r := env.request("POST", "/v1/account/sessions/token", map[string]string{"userId": "alice", "secret": secret}, nil)
	mustStatus(t, r, http.StatusCreated)
	session := r.json(t)

	want := map[string]any{
		"userId":      "alice",
		"provider":    "token",
		"current":     true,
		"secret":      "", // browser callers never see the session secret
		"countryCode": "--",
		"expire":      env.clock.Now().Add(365 * 24 * time.Hour).Format(timeLayout),
	}
	for field, value := range want {
		if session[field] != value {
			t.Errorf("%s = %#v, want %#v", field, session[field], value)
		}
	}
	if factors, _ := session["factors"].([]any); len(factors) != 1 || factors[0] != "token" {
		t.Errorf("factors = %v, want [token]", session["factors"])
	}

	// The session value is Base64 of {"id","secret"} with a 256-hex secret.
	encoded := fallbackSession(t, r)
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatalf("session value is not Base64: %v", err)
	}
	var decoded map[string]string
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatalf("session value is not JSON: %v", err)
	}
	if decoded["id"] != "alice" || len(decoded["secret"]) != 256 {
		t.Errorf("decoded session = id %q, secret of %d chars", decoded["id"], len(decoded["secret"]))
	}

	cookies := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		cookies[c.Name] = c
	}
	sessionCookie := cookies["a_session_"+testProject]
	legacy := cookies["a_session_"+testProject+"_legacy"]
	if sessionCookie == nil || legacy == nil {
		t.Fatalf("cookies named %v, want the session cookie and its legacy twin", slices.Collect(maps.Keys(cookies)))
	}
	if sessionCookie.Value != encoded {
		t.Error("session cookie value differs from X-Fallback-Cookies")
	}
	if !sessionCookie.HttpOnly || sessionCookie.SameSite != http.SameSiteNoneMode || sessionCookie.Secure || sessionCookie.Domain != "" {
		t.Errorf("session cookie HttpOnly=%v SameSite=%v Secure=%v Domain=%q, want HttpOnly, SameSite=None, not Secure over HTTP, no Domain for an IP",
			sessionCookie.HttpOnly, sessionCookie.SameSite, sessionCookie.Secure, sessionCookie.Domain)
	}
	if legacy.Value != encoded || !legacy.HttpOnly {
		t.Errorf("legacy cookie: same value %v, HttpOnly %v; want both", legacy.Value == encoded, legacy.HttpOnly)
	}
	for _, line := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(line, legacy.Name+"=") && strings.Contains(line, "SameSite") {
			t.Error("legacy cookie sets SameSite")
		}
	}
}

func TestSessionTravelsEveryWay(t *testing.T) {
	tests := []struct {
		name         string
		givenHeaders func(session string) map[string]string
		expectCode   int
	}{
		{"X-Appwrite-Session header", func(s string) map[string]string { return map[string]string{"X-Appwrite-Session": s} }, 200},
		{"session cookie", func(s string) map[string]string {
			return map[string]string{"Cookie": "a_session_" + testProject + "=" + s}
		}, 200},
		{"legacy cookie", func(s string) map[string]string {
			return map[string]string{"Cookie": "a_session_" + testProject + "_legacy=" + s}
		}, 200},
		{"X-Fallback-Cookies header", func(s string) map[string]string {
			return map[string]string{"X-Fallback-Cookies": `{"a_session_` + testProject + `":"` + s + `"}`}
		}, 200},
		{"fallback for another project", func(s string) map[string]string {
			return map[string]string{"X-Fallback-Cookies": `{"a_session_other":"` + s + `"}`}
		}, 401},
		{"no session", func(string) map[string]string { return nil }, 401},
		{"garbage session", func(string) map[string]string { return map[string]string{"X-Appwrite-Session": "%%%"} }, 401},
		{"forged secret", func(string) map[string]string {
			return map[string]string{"X-Appwrite-Session": encodeSession("alice", strings.Repeat("0", 256))}
		}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.createUser("alice", "alice@example.com", "")
			session := env.signIn("alice")

			r := env.request("GET", "/v1/account", nil, tt.givenHeaders(session))
			mustStatus(t, r, tt.expectCode)
			account := r.json(t)
			if tt.expectCode == 401 {
				if account["type"] != "general_unauthorized_scope" {
					t.Errorf("type = %v, want general_unauthorized_scope", account["type"])
				}
				return
			}
			if account["$id"] != "alice" || account["email"] != "alice@example.com" {
				t.Errorf("account = %v", account)
			}
			if _, ok := account["password"]; ok {
				t.Error("account model carries the password field")
			}
		})
	}
}

func TestCreateSessionRejectsBadSecrets(t *testing.T) {
	tests := []struct {
		name         string
		givenSecret  func(env *testEnv) string
		givenUserID  string
		givenAdvance time.Duration
	}{
		{"wrong secret", func(*testEnv) string { return "000000" }, "alice", 0},
		{"used secret", func(env *testEnv) string {
			secret := env.createToken("alice", nil)
			mustStatus(env.t, env.request("POST", "/v1/account/sessions/token", map[string]string{"userId": "alice", "secret": secret}, nil), 201)
			return secret
		}, "alice", 0},
		{"expired secret", func(env *testEnv) string { return env.createToken("alice", map[string]any{"expire": 60}) }, "alice", 61 * time.Second},
		{"default expiry passed", func(env *testEnv) string { return env.createToken("alice", nil) }, "alice", 901 * time.Second},
		{"secret of another user", func(env *testEnv) string { return env.createToken("bob", nil) }, "alice", 0},
		{"unknown user", func(env *testEnv) string { return env.createToken("alice", nil) }, "nobody", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.createUser("alice", "", "")
			env.createUser("bob", "", "")
			secret := tt.givenSecret(env)
			env.clock.Advance(tt.givenAdvance)

			r := env.request("POST", "/v1/account/sessions/token", map[string]string{"userId": tt.givenUserID, "secret": secret}, nil)
			mustStatus(t, r, http.StatusUnauthorized)
			if r.errorType(t) != "user_invalid_token" {
				t.Errorf("type = %s, want user_invalid_token", r.errorType(t))
			}
		})
	}
}

func TestCreateSessionParameterErrors(t *testing.T) {
	tests := []struct {
		name      string
		givenBody any
	}{
		{"missing secret", map[string]string{"userId": "alice"}},
		{"empty secret", map[string]string{"userId": "alice", "secret": ""}},
		{"secret over 256 chars", map[string]string{"userId": "alice", "secret": strings.Repeat("a", 257)}},
		{"missing userId", map[string]string{"secret": "abcdef"}},
		{"invalid userId", map[string]string{"userId": "_alice", "secret": "abcdef"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			r := env.request("POST", "/v1/account/sessions/token", tt.givenBody, nil)
			mustStatus(t, r, http.StatusBadRequest)
			if r.errorType(t) != "general_argument_invalid" {
				t.Errorf("type = %s, want general_argument_invalid", r.errorType(t))
			}
		})
	}
}

func TestCreateSessionWhileSignedIn(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "", "")
	session := env.signIn("alice")
	secret := env.createToken("alice", nil)

	r := env.request("POST", "/v1/account/sessions/token", map[string]string{"userId": "alice", "secret": secret}, asSession(session))
	mustStatus(t, r, http.StatusUnauthorized)
	if r.errorType(t) != "user_session_already_exists" {
		t.Errorf("type = %s, want user_session_already_exists", r.errorType(t))
	}
}

func TestCreateSessionWithKeyReturnsSecret(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "", "")
	secret := env.createToken("alice", nil)

	r := env.withKey("POST", "/v1/account/sessions/token", map[string]string{"userId": "alice", "secret": secret})
	mustStatus(t, r, http.StatusCreated)
	encoded, _ := r.json(t)["secret"].(string)
	if encoded == "" {
		t.Fatal("key caller got an empty session secret")
	}
	mustStatus(t, env.request("GET", "/v1/account", nil, asSession(encoded)), http.StatusOK)
}

func TestBlockedUser(t *testing.T) {
	tests := []struct {
		givenVersion string
		expectCode   int
	}{
		{"1.5.11", 401},
		{"1.8.1", 401},
		{"1.9.0", 403},
		{"1.9.6", 403},
	}
	for _, tt := range tests {
		t.Run(tt.givenVersion, func(t *testing.T) {
			env := newTestEnv(t, func(c *Config) { c.Version = tt.givenVersion })
			env.createUser("alice", "", "")
			mustStatus(t, env.withKey("PATCH", "/v1/users/alice/status", map[string]any{"status": false}), 200)

			// A token and a session are still issued...
			session := env.signIn("alice")

			// ...and the next authenticated call fails.
			r := env.request("GET", "/v1/account", nil, asSession(session))
			mustStatus(t, r, tt.expectCode)
			body := r.json(t)
			if body["type"] != "user_blocked" || body["version"] != tt.givenVersion {
				t.Errorf("body = %v, want user_blocked from version %s", body, tt.givenVersion)
			}

			// Unblocking makes the same session work again: blocking keeps sessions.
			mustStatus(t, env.withKey("PATCH", "/v1/users/alice/status", map[string]any{"status": true}), 200)
			mustStatus(t, env.request("GET", "/v1/account", nil, asSession(session)), 200)
		})
	}
}

func TestDeleteCurrentSession(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "", "")
	session := env.signIn("alice")

	r := env.request("DELETE", "/v1/account/sessions/current", nil, asSession(session))
	mustStatus(t, r, http.StatusNoContent)
	if got := r.header.Get("X-Fallback-Cookies"); got != "[]" {
		t.Errorf("X-Fallback-Cookies = %q, want []", got)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Value != "" || c.Expires.After(time.Unix(1, 0)) {
			t.Errorf("cookie %s not cleared: %+v", c.Name, c)
		}
	}

	r = env.request("GET", "/v1/account", nil, asSession(session))
	mustStatus(t, r, http.StatusUnauthorized)
	if r.errorType(t) != "general_unauthorized_scope" {
		t.Errorf("type = %s, want general_unauthorized_scope", r.errorType(t))
	}
}

func TestDeleteSessionByID(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "", "")
	env.createUser("bob", "", "")
	first := env.signIn("alice")
	second := env.signIn("alice")
	bobs := env.signIn("bob")

	sessionID := func(session string) string {
		es, _ := decodeSession(session)
		s, _ := env.server.liveSession(es)
		return s.ID
	}
	env.server.mu.Lock()
	secondID, bobsID := sessionID(second), sessionID(bobs)
	env.server.mu.Unlock()

	r := env.request("DELETE", "/v1/account/sessions/"+bobsID, nil, asSession(first))
	mustStatus(t, r, http.StatusNotFound)
	if r.errorType(t) != "user_session_not_found" {
		t.Errorf("type = %s, want user_session_not_found", r.errorType(t))
	}

	mustStatus(t, env.request("DELETE", "/v1/account/sessions/"+secondID, nil, asSession(first)), http.StatusNoContent)
	mustStatus(t, env.request("GET", "/v1/account", nil, asSession(second)), http.StatusUnauthorized)
	mustStatus(t, env.request("GET", "/v1/account", nil, asSession(first)), http.StatusOK)
}

func TestDeleteAllSessions(t *testing.T) {
	tests := []struct {
		name   string
		delete func(env *testEnv, session string) *response
	}{
		{"account API", func(env *testEnv, session string) *response {
			return env.request("DELETE", "/v1/account/sessions", nil, asSession(session))
		}},
		{"users API", func(env *testEnv, _ string) *response {
			return env.withKey("DELETE", "/v1/users/alice/sessions", nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.createUser("alice", "", "")
			first := env.signIn("alice")
			second := env.signIn("alice")

			mustStatus(t, tt.delete(env, first), http.StatusNoContent)
			mustStatus(t, env.request("GET", "/v1/account", nil, asSession(first)), http.StatusUnauthorized)
			mustStatus(t, env.request("GET", "/v1/account", nil, asSession(second)), http.StatusUnauthorized)
		})
	}
}

func TestSessionExpires(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "", "")
	session := env.signIn("alice")

	env.clock.Advance(364 * 24 * time.Hour)
	mustStatus(t, env.request("GET", "/v1/account", nil, asSession(session)), http.StatusOK)
	env.clock.Advance(2 * 24 * time.Hour)
	mustStatus(t, env.request("GET", "/v1/account", nil, asSession(session)), http.StatusUnauthorized)
}

func TestFallbackCookiesOnlyCrossSite(t *testing.T) {
	tests := []struct {
		name           string
		givenHost      string
		givenOrigin    string
		expectFallback bool
	}{
		{"IP endpoint", "127.0.0.1:8090", "http://127.0.0.1:3000", true},
		{"localhost endpoint", "localhost:8090", "http://localhost:3000", true},
		{"no origin", "api.example.com", "", true},
		{"other site", "api.example.com", "https://app.other.org", true},
		{"same registrable domain", "api.example.com", "https://app.example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{Host: tt.givenHost, Header: http.Header{}}
			if tt.givenOrigin != "" {
				r.Header.Set("Origin", tt.givenOrigin)
			}
			if got := !sameSite(r); got != tt.expectFallback {
				t.Errorf("fallback = %v, want %v", got, tt.expectFallback)
			}
		})
	}
}

func TestCookieDomain(t *testing.T) {
	tests := []struct {
		givenHost    string
		expectDomain string
	}{
		{"127.0.0.1:8090", ""},
		{"[::1]:8090", ""},
		{"localhost:8090", ""},
		{"api.example.com", ".api.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.givenHost, func(t *testing.T) {
			if got := cookieDomain(&http.Request{Host: tt.givenHost}); got != tt.expectDomain {
				t.Errorf("cookie domain = %q, want %q", got, tt.expectDomain)
			}
		})
	}
}
