package emulator

import (
	"net/http"
	"strings"
	"testing"
)

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name        string
		givenConfig Config
		expectInErr string
	}{
		{"empty project", Config{APIKey: "k"}, "project ID is empty"},
		{"invalid project", Config{ProjectID: "-p", APIKey: "k"}, "project ID"},
		{"empty key", Config{ProjectID: "p"}, "API key is empty"},
		{"version below 1.5", Config{ProjectID: "p", APIKey: "k", Version: "1.4.13"}, "not supported"},
		{"version 2.0", Config{ProjectID: "p", APIKey: "k", Version: "2.0.0"}, "not supported"},
		{"version not numeric", Config{ProjectID: "p", APIKey: "k", Version: "latest"}, "not of the form"},
		{"origin with path", Config{ProjectID: "p", APIKey: "k", AllowedOrigins: []string{"http://a.test/x"}}, "allowed origin"},
		{"origin with other scheme", Config{ProjectID: "p", APIKey: "k", AllowedOrigins: []string{"ftp://a.test"}}, "allowed origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.givenConfig)
			if err == nil || !strings.Contains(err.Error(), tt.expectInErr) {
				t.Errorf("New error = %v, want one containing %q", err, tt.expectInErr)
			}
		})
	}
}

func TestRequestGates(t *testing.T) {
	tests := []struct {
		name         string
		givenVersion string
		givenMethod  string
		givenPath    string
		givenHeaders func(session string) map[string]string
		expectCode   int
		expectType   string
	}{
		{"missing project", "", "GET", "/v1/users", func(string) map[string]string {
			return map[string]string{"X-Appwrite-Project": "", "X-Appwrite-Key": testAPIKey}
		}, 404, "project_not_found"},
		{"unknown project", "", "GET", "/v1/users", func(string) map[string]string {
			return map[string]string{"X-Appwrite-Project": "other", "X-Appwrite-Key": testAPIKey}
		}, 404, "project_not_found"},
		{"project as query parameter", "", "GET", "/v1/users?project=" + testProject, func(string) map[string]string {
			return map[string]string{"X-Appwrite-Project": "", "X-Appwrite-Key": testAPIKey}
		}, 200, ""},
		{"users API without key", "", "GET", "/v1/users", func(string) map[string]string { return nil }, 401, "general_unauthorized_scope"},
		{"users API with wrong key", "", "GET", "/v1/users", func(string) map[string]string {
			return map[string]string{"X-Appwrite-Key": "wrong"}
		}, 401, "general_unauthorized_scope"},
		{"users API with a session", "", "GET", "/v1/users", func(s string) map[string]string { return asSession(s) }, 401, "general_unauthorized_scope"},
		{"account API with key only", "", "GET", "/v1/account", func(string) map[string]string {
			return map[string]string{"X-Appwrite-Key": testAPIKey}
		}, 401, "general_unauthorized_scope"},
		{"key and session before 1.9", "1.8.1", "GET", "/v1/users", func(s string) map[string]string {
			return map[string]string{"X-Appwrite-Key": testAPIKey, "X-Appwrite-Session": s}
		}, 403, "user_key_and_session_set"},
		{"key and session from 1.9", "1.9.6", "GET", "/v1/users", func(s string) map[string]string {
			return map[string]string{"X-Appwrite-Key": testAPIKey, "X-Appwrite-Session": s}
		}, 403, "user_api_key_and_session_set"},
		{"key and session on the account API", "", "GET", "/v1/account", func(s string) map[string]string {
			return map[string]string{"X-Appwrite-Key": testAPIKey, "X-Appwrite-Session": s}
		}, 403, "user_key_and_session_set"},
		{"key with an invalid session is a key call", "", "GET", "/v1/users", func(string) map[string]string {
			return map[string]string{"X-Appwrite-Key": testAPIKey, "X-Appwrite-Session": "bm9wZQ=="}
		}, 200, ""},
		{"any response format accepted", "", "GET", "/v1/users", func(string) map[string]string {
			return map[string]string{"X-Appwrite-Key": testAPIKey, "X-Appwrite-Response-Format": "2.0.0"}
		}, 200, ""},
		{"old response format accepted", "", "GET", "/v1/users", func(string) map[string]string {
			return map[string]string{"X-Appwrite-Key": testAPIKey, "X-Appwrite-Response-Format": "1.4.0"}
		}, 200, ""},
		{"unknown route", "", "GET", "/v1/nothing", func(string) map[string]string {
			return map[string]string{"X-Appwrite-Key": testAPIKey}
		}, 404, "general_route_not_found"},
		{"known path with other method", "", "PUT", "/v1/users", func(string) map[string]string {
			return map[string]string{"X-Appwrite-Key": testAPIKey}
		}, 404, "general_route_not_found"},
		{"path outside /v1", "", "GET", "/users", func(string) map[string]string {
			return map[string]string{"X-Appwrite-Key": testAPIKey}
		}, 404, "general_route_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, func(c *Config) { c.Version = tt.givenVersion })
			env.createUser("alice", "", "")
			session := env.signIn("alice")

			r := env.request(tt.givenMethod, tt.givenPath, nil, tt.givenHeaders(session))
			mustStatus(t, r, tt.expectCode)
			if tt.expectType != "" && r.errorType(t) != tt.expectType {
				t.Errorf("type = %s, want %s", r.errorType(t), tt.expectType)
			}
		})
	}
}

func TestErrorBodyShape(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.Version = "1.8.1" })
	r := env.withKey("GET", "/v1/users/nobody", nil)
	mustStatus(t, r, http.StatusNotFound)
	body := r.json(t)
	if len(body) != 4 {
		t.Errorf("error body has fields %v, want message, code, type, version", body)
	}
	if body["code"] != float64(404) || body["type"] != "user_not_found" || body["version"] != "1.8.1" || body["message"] == "" {
		t.Errorf("error body = %v", body)
	}
}

func TestHealthVersion(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.Version = "1.9.6" })
	r := env.request("GET", "/v1/health/version", nil, map[string]string{"X-Appwrite-Project": ""})
	mustStatus(t, r, http.StatusOK)
	if got := r.json(t)["version"]; got != "1.9.6" {
		t.Errorf("version = %v, want 1.9.6", got)
	}
}

func TestDefaultVersion(t *testing.T) {
	env := newTestEnv(t)
	if got := env.request("GET", "/v1/health/version", nil, nil).json(t)["version"]; got != DefaultVersion {
		t.Errorf("version = %v, want %s", got, DefaultVersion)
	}
}
