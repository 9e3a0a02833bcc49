package emulator

import (
	"net/http"
	"strings"
	"testing"
)

func TestCORSPreflight(t *testing.T) {
	env := newTestEnv(t)
	r := env.request("OPTIONS", "/v1/account/sessions/token", nil, map[string]string{
		"Origin":                         "http://app.localhost:3000",
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "content-type,x-appwrite-project,x-appwrite-response-format,x-sdk-language,x-sdk-name,x-sdk-platform,x-sdk-version",
		"X-Appwrite-Project":             "",
	})
	mustStatus(t, r, http.StatusNoContent)

	if got := r.header.Get("Access-Control-Allow-Origin"); got != "http://app.localhost:3000" {
		t.Errorf("Allow-Origin = %q, want the exact origin", got)
	}
	if got := r.header.Get("Access-Control-Allow-Credentials"); got != "true" {
		t.Errorf("Allow-Credentials = %q, want true", got)
	}
	allowed := strings.ToLower(r.header.Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"content-type", "x-appwrite-project", "x-appwrite-response-format", "x-sdk-language", "x-sdk-name", "x-sdk-platform", "x-sdk-version", "x-fallback-cookies", "x-appwrite-session"} {
		if !strings.Contains(allowed, h) {
			t.Errorf("Allow-Headers lacks %s: %q", h, allowed)
		}
	}
	if methods := r.header.Get("Access-Control-Allow-Methods"); !strings.Contains(methods, "DELETE") || !strings.Contains(methods, "PATCH") {
		t.Errorf("Allow-Methods = %q", methods)
	}
}

func TestCORSOnResponses(t *testing.T) {
	env := newTestEnv(t)
	r := env.request("GET", "/v1/account", nil, map[string]string{"Origin": "http://127.0.0.1:5173"})
	mustStatus(t, r, http.StatusUnauthorized) // errors carry CORS headers too, so the SDK can read them
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "http://127.0.0.1:5173" {
		t.Errorf("Allow-Origin = %q", got)
	}
	expose := r.header.Get("Access-Control-Expose-Headers")
	if !strings.Contains(expose, "X-Fallback-Cookies") || !strings.Contains(expose, "X-Appwrite-Session") {
		t.Errorf("Expose-Headers = %q", expose)
	}
}

func TestAllowedOrigins(t *testing.T) {
	tests := []struct {
		name         string
		givenVersion string
		givenMethod  string
		givenPath    string
		givenHeaders map[string]string
		expectCode   int
		expectCORS   bool
	}{
		{"listed origin", "", "POST", "/v1/account/sessions/token", map[string]string{"Origin": "http://localhost:5173"}, 401, true},
		{"listed bare hostname on any port", "", "POST", "/v1/account/sessions/token", map[string]string{"Origin": "https://app.test:8443"}, 401, true},
		{"other port of a listed origin", "", "POST", "/v1/account/sessions/token", map[string]string{"Origin": "http://localhost:9999"}, 403, false},
		{"unlisted origin on a write", "", "POST", "/v1/account/sessions/token", map[string]string{"Origin": "http://evil.test"}, 403, false},
		{"unlisted referer on a write before 1.9", "1.8.1", "POST", "/v1/account/sessions/token", map[string]string{"Referer": "http://evil.test/page"}, 403, false},
		{"unlisted referer ignored from 1.9", "1.9.6", "POST", "/v1/account/sessions/token", map[string]string{"Referer": "http://evil.test/page"}, 401, false},
		{"unlisted origin on GET before 1.9", "1.5.11", "GET", "/v1/account", map[string]string{"Origin": "http://evil.test"}, 401, false},
		{"unlisted origin on GET from 1.9", "1.9.6", "GET", "/v1/account", map[string]string{"Origin": "http://evil.test"}, 403, false},
		{"unlisted origin with API key", "", "GET", "/v1/users", map[string]string{"Origin": "http://evil.test", "X-Appwrite-Key": testAPIKey}, 200, false},
		{"no origin", "", "POST", "/v1/account/sessions/token", nil, 401, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, func(c *Config) {
				c.Version = tt.givenVersion
				c.AllowedOrigins = []string{"http://localhost:5173", "app.test"}
			})
			r := env.request(tt.givenMethod, tt.givenPath, map[string]string{"userId": "alice", "secret": "abcdef"}, tt.givenHeaders)
			if tt.givenMethod == "GET" {
				r = env.request(tt.givenMethod, tt.givenPath, nil, tt.givenHeaders)
			}
			mustStatus(t, r, tt.expectCode)
			if tt.expectCode == 403 && r.errorType(t) != "general_unknown_origin" {
				t.Errorf("type = %s, want general_unknown_origin", r.errorType(t))
			}
			if got := r.header.Get("Access-Control-Allow-Origin") != ""; got != tt.expectCORS {
				t.Errorf("CORS headers sent = %v, want %v", got, tt.expectCORS)
			}
		})
	}
}
