package devstack

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func newTestDemo(t *testing.T) *DemoApp {
	t.Helper()
	demo, err := NewDemoApp(DemoConfig{
		URL:       "http://127.0.0.1:3000",
		LoginURL:  "http://127.0.0.1:8080/login/dev",
		Endpoint:  "http://127.0.0.1:8090/v1",
		ProjectID: "tokenbridge-dev",
	})
	if err != nil {
		t.Fatalf("NewDemoApp: %v", err)
	}
	return demo
}

func serveDemo(t *testing.T, demo *DemoApp, method, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	demo.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestDemoPageHasWhatTheScriptNeeds(t *testing.T) {
	demo := newTestDemo(t)
	signIn := "http://127.0.0.1:8080/login/dev?" + url.Values{
		"success": {"http://127.0.0.1:3000/done"},
		"failure": {"http://127.0.0.1:3000/failed"},
	}.Encode()

	for _, path := range []string{"/", "/done?userId=u&secret=s", "/failed?error=access_denied"} {
		t.Run(path, func(t *testing.T) {
			resp, page := serveDemo(t, demo, http.MethodGet, path)

			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			for _, want := range []string{
				`data-endpoint="http://127.0.0.1:8090/v1"`,
				`data-project="tokenbridge-dev"`,
				`id="sign-in" href="` + strings.ReplaceAll(signIn, "&", "&amp;") + `"`,
				`<script src="/assets/demo.js"></script>`,
				`id="status"`, `id="signed-out"`, `id="signed-in"`, `id="failed"`,
				`id="account-name"`, `id="account-email"`, `id="account-verified"`, `id="account-id"`, `id="account-labels"`,
				`id="sign-out"`, `id="error-code"`, `id="error-description"`,
			} {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %s", want)
				}
			}
		})
	}
}

func TestDemoSecurityHeaders(t *testing.T) {
	resp, _ := serveDemo(t, newTestDemo(t), http.MethodGet, "/done?userId=u&secret=s")

	expect := map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src http://127.0.0.1:8090; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
	}
	for name, want := range expect {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestDemoScriptFollowsWebSDK(t *testing.T) {
	resp, script := serveDemo(t, newTestDemo(t), http.MethodGet, "/assets/demo.js")

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("Content-Type = %q, want JavaScript", ct)
	}
	// Each element the page has, the script uses, and the calls it makes.
	for _, want := range []string{
		"credentials: 'include'", "'X-Appwrite-Project'", "'Content-Type': 'application/json'",
		"'X-Fallback-Cookies'", "'cookieFallback'", "localStorage.setItem(fallbackKey",
		"'/account/sessions/token'", "'/account'", "'/account/sessions/current'",
		"document.body.dataset.endpoint", "document.body.dataset.project",
		"'account-name'", "'account-email'", "'account-verified'", "'account-id'", "'account-labels'",
		"'sign-out'", "'error-code'", "'error-description'", "'signed-in'", "'signed-out'", "'failed'",
		"replaceState(null, '', '/done')",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %s", want)
		}
	}
}

func TestDemoRoutes(t *testing.T) {
	tests := []struct {
		method string
		path   string
		expect int
	}{
		{http.MethodGet, "/assets/devstack.css", http.StatusOK},
		{http.MethodGet, "/unknown", http.StatusNotFound},
		{http.MethodPost, "/done", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, _ := serveDemo(t, newTestDemo(t), tt.method, tt.path)

			if resp.StatusCode != tt.expect {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.expect)
			}
		})
	}
}

func TestNewDemoAppRejectsConfig(t *testing.T) {
	valid := DemoConfig{URL: "http://127.0.0.1:3000", LoginURL: "http://127.0.0.1:8080/login/dev", Endpoint: "http://127.0.0.1:8090/v1", ProjectID: "p"}
	tests := []struct {
		name   string
		change func(c *DemoConfig)
		expect string
	}{
		{"URL with a path", func(c *DemoConfig) { c.URL = "http://127.0.0.1:3000/app" }, "URL"},
		{"relative login URL", func(c *DemoConfig) { c.LoginURL = "/login/dev" }, "login URL"},
		{"endpoint without scheme", func(c *DemoConfig) { c.Endpoint = "127.0.0.1:8090/v1" }, "Appwrite endpoint"},
		{"empty project", func(c *DemoConfig) { c.ProjectID = "" }, "project ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.change(&cfg)

			_, err := NewDemoApp(cfg)

			if err == nil || !strings.Contains(err.Error(), tt.expect) {
				t.Errorf("NewDemoApp error = %v, want one containing %q", err, tt.expect)
			}
		})
	}
}
