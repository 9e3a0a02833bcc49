package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tokenbridge/tokenbridge/internal/browsertest"
)

// TestPagesChooserAndErrors opens the bridge's provider chooser and its
// error pages in the browser, checks the text a person reads and saves a
// screenshot of each.
func TestPagesChooserAndErrors(t *testing.T) {
	stack := startStack(t, func(bridgeURL string) providerConfig {
		return startZitadelProvider(t, bridgeURL)
	})
	ctx := browsertest.NewContext(t)
	returnQuery := url.Values{"success": {stack.App.SuccessURL()}, "failure": {stack.App.FailureURL()}}

	tests := []struct {
		name        string
		path        string // on the bridge
		wantStatus  int64
		wantHeading string
		wantTexts   []string
	}{
		{
			name:        "chooser",
			path:        "/?" + returnQuery.Encode(),
			wantStatus:  200,
			wantHeading: "Sign in",
			wantTexts:   []string{"Choose how to sign in.", "Continue with Zitadel example provider", "Request ID:"},
		},
		{
			name:        "chooser without return URL",
			path:        "/",
			wantStatus:  200,
			wantHeading: "Sign in",
			wantTexts:   []string{"opened without the app's return address", "Continue with Zitadel example provider"},
		},
		{
			// The bridge rejects the URL after parsing it; nothing is sent
			// to the host it names.
			name:        "success URL not allowed",
			path:        "/login/zitadel?" + url.Values{"success": {"https://evil.test/"}}.Encode(),
			wantStatus:  400,
			wantHeading: "This sign-in link is not valid",
			wantTexts:   []string{"does not allow", "start the sign-in from there", "Error 400", "request ID"},
		},
		{
			name:        "success URL missing",
			path:        "/login/zitadel",
			wantStatus:  400,
			wantHeading: "This sign-in link is incomplete",
			wantTexts:   []string{"does not say where to return", "Error 400"},
		},
		{
			name:        "unknown provider",
			path:        "/login/nobody?" + returnQuery.Encode(),
			wantStatus:  404,
			wantHeading: "Unknown sign-in provider",
			wantTexts:   []string{"no provider with that name", "Error 404"},
		},
		{
			name:        "flow cookie missing at callback",
			path:        "/callback/zitadel?code=unused&state=unknown",
			wantStatus:  400,
			wantHeading: "This sign-in expired",
			wantTexts:   []string{"Start again from the app"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			response, err := chromedp.RunResponse(ctx,
				chromedp.Navigate(stack.Bridge.URL+tt.path),
				chromedp.WaitVisible(chromedp.CSS("main h1")),
			)
			if err != nil {
				t.Fatalf("open %s: %v", tt.path, err)
			}
			browsertest.Screenshot(t, ctx, "page")

			if response.Status != tt.wantStatus {
				t.Errorf("HTTP status = %d, want %d", response.Status, tt.wantStatus)
			}
			if got := visibleText(t, ctx, "main h1"); got != tt.wantHeading {
				t.Errorf("heading = %q, want %q", got, tt.wantHeading)
			}
			text := visibleText(t, ctx, "main")
			for _, want := range tt.wantTexts {
				if !strings.Contains(text, want) {
					t.Errorf("page text = %q, want it to contain %q", text, want)
				}
			}
		})
	}

	// The chooser's link starts a real sign-in at the provider.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(stack.Bridge.URL+"/?"+returnQuery.Encode()),
		chromedp.Click(chromedp.CSS("main a.button")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
	); err != nil {
		t.Fatalf("follow the chooser's link to the provider's login form: %v", err)
	}
}
