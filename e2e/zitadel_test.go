package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/tokenbridge/tokenbridge/internal/browsertest"
)

// zitadelPerson is the one account of the zitadel example provider in
// these tests. Its password is a fixture, not a secret.
var zitadelPerson = storage.User{
	ID:            "ada-0001",
	Username:      "ada",
	Password:      "analytical-engine",
	FirstName:     "Ada",
	LastName:      "Lovelace",
	Email:         "ada@example.test",
	EmailVerified: true,
}

// zitadelUsers is a storage.UserStore with zitadelPerson only.
type zitadelUsers struct{}

func (zitadelUsers) GetUserByID(id string) *storage.User {
	if id != zitadelPerson.ID {
		return nil
	}
	person := zitadelPerson
	return &person
}

func (zitadelUsers) GetUserByUsername(username string) *storage.User {
	if username != zitadelPerson.Username {
		return nil
	}
	person := zitadelPerson
	return &person
}

// ExampleClientID names the service account the example storage keys its
// JWT-profile keys by; the tests do not use it.
func (zitadelUsers) ExampleClientID() string { return "service" }

// startZitadelProvider runs zitadel/oidc's example OpenID provider in
// process on 127.0.0.1, with a web client (client_secret_basic) registered
// for the bridge at bridgeURL. Each call has its own client map, so tests
// never share the package-global one that storage.RegisterClients fills.
func startZitadelProvider(t *testing.T, bridgeURL string) providerConfig {
	t.Helper()
	const providerID = "zitadel"
	clientID := "tokenbridge-" + randomText(t, 4)
	clientSecret := randomText(t, 16)

	ln := listenLoopback(t)
	issuer := "http://" + ln.Addr().String()
	clients := map[string]*storage.Client{
		clientID: storage.WebClient(clientID, clientSecret, callbackURL(bridgeURL, providerID)),
	}
	store := storage.NewStorageWithClients(zitadelUsers{}, clients)
	// A nil logger keeps SetupServer from replacing slog's default logger.
	router := exampleop.SetupServer(issuer, store, nil, false)
	serve(t, ln, router)

	return providerConfig{
		ID:           providerID,
		Name:         "Zitadel example provider",
		Issuer:       issuer,
		ClientID:     clientID,
		ClientSecret: clientSecret,
		// The example provider puts email and name into userinfo only, not
		// into the ID token of a web client.
		UserInfo: true,
	}
}

// TestZitadelSignInWithWebSDK signs in through the zitadel example
// provider's own login form, then checks that the official web SDK turns
// the custom token into a session for the same Appwrite user.
func TestZitadelSignInWithWebSDK(t *testing.T) {
	stack := startStack(t, func(bridgeURL string) providerConfig {
		return startZitadelProvider(t, bridgeURL)
	})
	ctx := browsertest.NewContext(t)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(stack.App.Origin+"/"),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
	); err != nil {
		t.Fatalf("open the provider's login form from the app: %v", err)
	}
	browsertest.Screenshot(t, ctx, "zitadel-login")

	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#username"), zitadelPerson.Username),
		chromedp.SendKeys(chromedp.CSS("#password"), zitadelPerson.Password),
		chromedp.Submit(chromedp.CSS("#username")),
		chromedp.WaitVisible(chromedp.CSS("#result")),
	); err != nil {
		t.Fatalf("sign in at the provider and return to the app: %v", err)
	}
	browsertest.Screenshot(t, ctx, "signed-in")

	result := readSignInResult(t, ctx)
	if result.State != "signed-in" {
		t.Fatalf("app page state = %q, want signed-in; error type %q, message %q", result.State, result.ErrorType, result.ErrorMessage)
	}
	if result.TokenUserID == "" || result.AccountID != result.TokenUserID {
		t.Errorf("account.get() user ID = %q, want the user ID from the bridge %q", result.AccountID, result.TokenUserID)
	}
	if result.SessionUserID != result.TokenUserID {
		t.Errorf("session user ID = %q, want %q", result.SessionUserID, result.TokenUserID)
	}
	if result.Email != zitadelPerson.Email {
		t.Errorf("account email = %q, want %q", result.Email, zitadelPerson.Email)
	}
	if want := zitadelPerson.FirstName + " " + zitadelPerson.LastName; result.Name != want {
		t.Errorf("account name = %q, want %q", result.Name, want)
	}
	if !strings.Contains(result.PageText, "Signed in as Ada Lovelace.") {
		t.Errorf("app page text = %q, want it to contain %q", result.PageText, "Signed in as Ada Lovelace.")
	}
}
