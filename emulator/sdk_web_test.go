package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tokenbridge/tokenbridge/internal/browsertest"
)

// TestWebSDKInBrowser loads the official web SDK (appwrite, its browser
// build dist/iife/sdk.js) in headless Chromium from a second origin and
// signs in with a custom token minted through the Users API.
func TestWebSDKInBrowser(t *testing.T) {
	browsertest.RequireNodeModules(t, npmDir, "appwrite")
	browsertest.RequireChromium(t)

	sdk, err := os.ReadFile(filepath.Join(npmDir, "node_modules", "appwrite", "dist", "iife", "sdk.js"))
	if err != nil {
		t.Fatalf("read web SDK: %v", err)
	}
	page, err := os.ReadFile(filepath.Join(npmDir, "web-sdk.html"))
	if err != nil {
		t.Fatalf("read page: %v", err)
	}

	// The app's origin: a separate server, so every SDK call is cross-origin.
	var pageConfig []byte
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(bytes.ReplaceAll(page, []byte("CONFIG_JSON"), pageConfig))
		case "/sdk.js":
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			_, _ = w.Write(sdk)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(app.Close)

	env := newTestEnv(t, func(c *Config) { c.AllowedOrigins = []string{app.URL} })
	env.createUser("web-alice", "alice@example.com", "Alice")
	secret := env.createToken("web-alice", nil)
	pageConfig, err = json.Marshal(map[string]string{
		"endpoint": env.url + "/v1",
		"project":  testProject,
		"userId":   "web-alice",
		"secret":   secret,
	})
	if err != nil {
		t.Fatal(err)
	}

	ctx := browsertest.NewContext(t)
	console := browsertest.RecordConsole(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+"/")); err != nil {
		t.Fatalf("open page: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.done === 'true'`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		browsertest.Screenshot(t, ctx, "timeout")
		t.Fatalf("page did not finish: %v\nbrowser console:\n%s", err, console())
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#result")))
	if err != nil {
		t.Fatalf("read result: %v", err)
	}
	browsertest.Screenshot(t, ctx, "done")

	var results map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &results); err != nil {
		t.Fatalf("page result %q is not JSON: %v", text, err)
	}
	expected := map[string]string{
		"createSession":  `{"userId":"web-alice","provider":"token","current":true,"secret":""}`,
		"get":            `{"id":"web-alice","email":"alice@example.com"}`,
		"deleteSession":  `"deleted"`,
		"getAfterDelete": `{"error":{"type":"general_unauthorized_scope","code":401}}`,
		"reuseSecret":    `{"error":{"type":"user_invalid_token","code":401}}`,
	}
	for step, want := range expected {
		checkStep(t, results, step, want)
	}
}
