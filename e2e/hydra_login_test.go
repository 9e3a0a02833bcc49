package e2e

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tokenbridge/tokenbridge/internal/browsertest"
)

// bridgeMinNewKeyRefresh mirrors minNewKeyRefresh in package providers: a
// token with a key ID the bridge has not looked up causes a JWKS download
// once the last download is at least this old.
const bridgeMinNewKeyRefresh = time.Second

// signInAtHydra opens the demo app in ctx, follows the sign-in link with
// the given ID, signs in as username at Hydra's login app and clicks the
// consent button with the given ID ("allow" or "deny").
func signInAtHydra(t *testing.T, ctx context.Context, app *demoApp, linkID, username, consentButton string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.Origin+"/"),
		chromedp.Click(chromedp.CSS("#"+linkID)),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.Click(chromedp.CSS("#submit-login")),
		chromedp.WaitVisible(chromedp.CSS("#"+consentButton)),
	); err != nil {
		t.Fatalf("sign in at Hydra's login app as %q: %v", username, err)
	}
	if got := visibleText(t, ctx, "h1"); got != "Share your name and email?" {
		t.Fatalf("consent page heading = %q, want %q", got, "Share your name and email?")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#"+consentButton))); err != nil {
		t.Fatalf("click %s on the consent page: %v", consentButton, err)
	}
}

// checkSignedIn fails the test unless the app page shows a session for
// person whose account ID equals the user ID from the bridge.
func checkSignedIn(t *testing.T, result appResult, person hydraPerson) {
	t.Helper()
	if result.State != "signed-in" {
		t.Fatalf("app page state = %q, want signed-in; SDK error type %q, message %q; bridge error %q, description %q",
			result.State, result.ErrorType, result.ErrorMessage, result.Error, result.ErrorDescription)
	}
	if result.TokenUserID == "" || result.AccountID != result.TokenUserID {
		t.Errorf("account.get() user ID = %q, want the user ID from the bridge %q", result.AccountID, result.TokenUserID)
	}
	if result.Email != person.Email {
		t.Errorf("account email = %q, want %q", result.Email, person.Email)
	}
	if result.Name != person.Name {
		t.Errorf("account name = %q, want %q", result.Name, person.Name)
	}
	if want := "Signed in as " + person.Name + "."; !strings.Contains(result.PageText, want) {
		t.Errorf("app page text = %q, want it to contain %q", result.PageText, want)
	}
}

// TestHydraKeyRotation signs in through ORY Hydra, rotates Hydra's ID token
// signing key through its admin API, and signs in again against the same
// bridge process, which must fetch the new key on its own.
func TestHydraKeyRotation(t *testing.T) {
	stack, h := startHydraStack(t)
	person := hydraPeople["grace"]

	firstBrowser := browsertest.NewContext(t)
	signInAtHydra(t, firstBrowser, stack.App, "sign-in", "grace", "allow")
	first := readSignInResult(t, firstBrowser)
	checkSignedIn(t, first, person)
	browsertest.Screenshot(t, firstBrowser, "first-sign-in")

	keysBefore := h.recorder.keyIDs()
	if len(keysBefore) != 1 || keysBefore[0] == "" {
		t.Fatalf("key IDs of ID tokens issued so far = %q, want one", keysBefore)
	}
	fetches := h.recorder.jwksFetches()
	if len(fetches) == 0 {
		t.Fatal("the bridge verified an ID token without downloading Hydra's JWKS")
	}

	newKey := h.rotateIDTokenKey(t)

	// The bridge downloads the JWKS again for a new key ID once its last
	// download is bridgeMinNewKeyRefresh old.
	time.Sleep(time.Until(fetches[len(fetches)-1].Add(bridgeMinNewKeyRefresh)))

	// A second browser is a fresh device: no Hydra, bridge or Appwrite cookies.
	secondBrowser := browsertest.NewContext(t)
	signInAtHydra(t, secondBrowser, stack.App, "sign-in", "grace", "allow")
	second := readSignInResult(t, secondBrowser)
	checkSignedIn(t, second, person)
	browsertest.Screenshot(t, secondBrowser, "sign-in-after-rotation")

	if second.AccountID != first.AccountID {
		t.Errorf("user ID after rotation = %q, want the first sign-in's %q", second.AccountID, first.AccountID)
	}
	keys := h.recorder.keyIDs()
	if len(keys) != 2 || keys[1] != newKey {
		t.Errorf("key IDs of issued ID tokens = %q, want [%q %q]", keys, keysBefore[0], newKey)
	}
	if after := h.recorder.jwksFetches(); len(after) <= len(fetches) {
		t.Errorf("JWKS downloads = %d after rotation, want more than %d", len(after), len(fetches))
	}
	if stack.Bridge.Process.hasExited() {
		t.Error("the bridge process exited during the test")
	}
}

// TestHydraConsentDenial rejects consent at Hydra and checks both endings:
// the app's failure URL with error=access_denied, and the bridge's own
// page when the app gave no failure URL.
func TestHydraConsentDenial(t *testing.T) {
	stack, h := startHydraStack(t)
	ctx := browsertest.NewContext(t)

	signInAtHydra(t, ctx, stack.App, "sign-in", "grace", "deny")
	result := readSignInResult(t, ctx)
	browsertest.Screenshot(t, ctx, "app-failure-url")
	if result.State != "failed" {
		t.Fatalf("app page state = %q, want failed (page URL %s, text %q)", result.State, result.URL, result.PageText)
	}
	if !strings.HasPrefix(result.URL, stack.App.FailureURL()+"?") {
		t.Errorf("page URL = %q, want the failure URL %s with a query", result.URL, stack.App.FailureURL())
	}
	if result.Error != "access_denied" {
		t.Errorf("error shown on the failure page = %q, want access_denied", result.Error)
	}
	if !strings.Contains(result.ErrorDescription, "declined") {
		t.Errorf("error_description shown on the failure page = %q, want Hydra's description of the rejection", result.ErrorDescription)
	}
	if !strings.Contains(result.PageText, "access_denied") {
		t.Errorf("failure page text = %q, want it to show access_denied", result.PageText)
	}

	// Without a failure URL, the bridge shows the error on its own page.
	signInAtHydra(t, ctx, stack.App, "sign-in-no-failure", "grace", "deny")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
		t.Fatalf("wait for the bridge's error page: %v", err)
	}
	browsertest.Screenshot(t, ctx, "bridge-declined-page")
	if got := visibleText(t, ctx, "main h1"); got != "Sign-in declined" {
		t.Errorf("bridge page heading = %q, want %q", got, "Sign-in declined")
	}
	page := visibleText(t, ctx, "main")
	for _, want := range []string{
		"The sign-in was declined",
		"The person declined to share their name and email.", // Hydra's error_description
		"Error 403",
		"code access_denied",
		"request ID",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("bridge page text = %q, want it to contain %q", page, want)
		}
	}

	if keys := h.recorder.keyIDs(); len(keys) != 0 {
		t.Errorf("Hydra issued ID tokens signed with %q after consent was denied, want none", keys)
	}
	if failureURL, err := url.Parse(result.URL); err != nil {
		t.Errorf("parse the failure page URL: %v", err)
	} else if query := failureURL.Query(); query.Has("secret") || query.Has("userId") {
		t.Errorf("failure URL carries a custom token: parameters %v", slices.Collect(maps.Keys(query)))
	}
}
