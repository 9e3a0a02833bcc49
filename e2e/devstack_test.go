package e2e

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tokenbridge/tokenbridge/devstack"
	"github.com/tokenbridge/tokenbridge/internal/browsertest"
)

// devAccount is what the demo app shows of the signed-in account.
type devAccount struct {
	name, email, verified, userID string
}

// TestDevStack clicks through `tokenbridge dev` as a person would: sign in
// as a saved identity, again as the same person, as a newly typed person,
// and finally deny the request at the provider.
func TestDevStack(t *testing.T) {
	ctx := browsertest.NewContext(t)
	console := browsertest.RecordConsole(ctx)
	stack := startDevStack(t)
	defer func() {
		if t.Failed() {
			t.Logf("browser console:\n%s", console())
		}
	}()

	// A saved identity, picked with one click.
	devDo(t, ctx, "open the demo app",
		chromedp.Navigate(stack.AppURL),
		chromedp.WaitVisible(chromedp.CSS("#sign-in")),
	)
	browsertest.Screenshot(t, ctx, "1-demo-signed-out")
	devDo(t, ctx, "open the provider's sign-in page",
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS(`button.identity[data-email="ada@example.test"]`)),
	)
	browsertest.Screenshot(t, ctx, "2-provider-sign-in")
	first := devSignInAsSaved(t, ctx, "ada@example.test")
	browsertest.Screenshot(t, ctx, "3-demo-signed-in")
	devExpectAccount(t, first, devAccount{name: "Ada Lovelace", email: "ada@example.test", verified: "yes"})

	// The same person again maps to the same Appwrite user.
	devSignOut(t, ctx)
	devDo(t, ctx, "start the second sign-in",
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS(`button.identity[data-email="ada@example.test"]`)),
	)
	second := devSignInAsSaved(t, ctx, "ada@example.test")
	if second.userID != first.userID {
		t.Errorf("second sign-in as Ada shows user ID %q, want the first one's %q", second.userID, first.userID)
	}

	// A new person typed into the form becomes a new Appwrite user.
	devSignOut(t, ctx)
	devDo(t, ctx, "type a new identity",
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#new-email")),
		chromedp.SendKeys(chromedp.CSS("#new-email"), "kim@example.test"),
		chromedp.SendKeys(chromedp.CSS("#new-name"), "Kim Example"),
		chromedp.Click(chromedp.CSS("#new-verified")), // checked by default
		chromedp.SendKeys(chromedp.CSS("#new-groups"), "beta, qa"),
	)
	browsertest.Screenshot(t, ctx, "4-provider-new-identity")
	devDo(t, ctx, "sign in as the new identity",
		chromedp.Click(chromedp.CSS("#new-submit")),
		chromedp.WaitVisible(chromedp.CSS("#signed-in")),
	)
	kim := devReadAccount(t, ctx)
	devExpectAccount(t, kim, devAccount{name: "Kim Example", email: "kim@example.test", verified: "no"})
	if kim.userID == first.userID {
		t.Errorf("the new identity shows Ada's user ID %q, want a new user", kim.userID)
	}

	// Deny at the provider: the demo app shows the error code.
	devSignOut(t, ctx)
	devDo(t, ctx, "deny at the provider",
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#deny")),
		chromedp.Click(chromedp.CSS("#deny")),
		chromedp.WaitVisible(chromedp.CSS("#failed")),
	)
	browsertest.Screenshot(t, ctx, "5-demo-denied")
	if code := devText(t, ctx, "#error-code"); code != "access_denied" {
		t.Errorf("error code shown = %q, want access_denied", code)
	}

	if messages := console(); strings.Contains(messages, "Content Security Policy") {
		t.Errorf("the browser reported a Content Security Policy violation:\n%s", messages)
	}
}

// startDevStack starts the dev stack in this process on free loopback
// ports and stops it when the test ends.
func startDevStack(t *testing.T) *devstack.Stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stack, err := devstack.Start(ctx, devstack.Options{
		ConfigPath: filepath.Join(t.TempDir(), "dev.yaml"),
		Logger:     slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		cancel()
		t.Fatalf("start the dev stack: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		stopped := make(chan error, 1)
		go func() { stopped <- stack.Wait() }()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("stop the dev stack: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the dev stack did not stop within 15s")
		}
	})
	return stack
}

// devDo runs actions in the browser and fails the test with step on error.
func devDo(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		browsertest.Screenshot(t, ctx, "failed-"+strings.ReplaceAll(step, " ", "-"))
		t.Fatalf("%s: %v", step, err)
	}
}

// devText returns the rendered text of the element matching css.
func devText(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("read the text of %s: %v", css, err)
	}
	return strings.TrimSpace(text)
}

// devSignInAsSaved clicks the saved identity with email on the provider's
// sign-in page and returns the account the demo app then shows.
func devSignInAsSaved(t *testing.T, ctx context.Context, email string) devAccount {
	t.Helper()
	devDo(t, ctx, "sign in as "+email,
		chromedp.Click(chromedp.CSS(`button.identity[data-email="`+email+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#signed-in")),
	)
	return devReadAccount(t, ctx)
}

func devReadAccount(t *testing.T, ctx context.Context) devAccount {
	t.Helper()
	return devAccount{
		name:     devText(t, ctx, "#account-name"),
		email:    devText(t, ctx, "#account-email"),
		verified: devText(t, ctx, "#account-verified"),
		userID:   devText(t, ctx, "#account-id"),
	}
}

// devExpectAccount checks the shown account against want, ignoring the
// user ID, which must only be present.
func devExpectAccount(t *testing.T, got, want devAccount) {
	t.Helper()
	if got.name != want.name {
		t.Errorf("name shown = %q, want %q", got.name, want.name)
	}
	if got.email != want.email {
		t.Errorf("email shown = %q, want %q", got.email, want.email)
	}
	if got.verified != want.verified {
		t.Errorf("email verified shown = %q, want %q", got.verified, want.verified)
	}
	if got.userID == "" {
		t.Error("no user ID shown")
	}
}

func devSignOut(t *testing.T, ctx context.Context) {
	t.Helper()
	devDo(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS("#sign-out")),
		chromedp.WaitVisible(chromedp.CSS("#sign-in")),
	)
}
