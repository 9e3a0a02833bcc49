package bridge_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tokenbridge/tokenbridge/accounts"
	"github.com/tokenbridge/tokenbridge/internal/testop"
)

func TestLoginEndToEnd(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.op.SetDefaultIdentity(testop.Identity{Subject: "auth0|5f3c9a", Email: "Alice@Example.TEST", EmailVerified: true, Name: "Alice Example"})

	userID, secret := expectSuccess(t, s.login(t))
	if want := accounts.DeriveUserID(s.op.Issuer(), "auth0|5f3c9a"); userID != want {
		t.Errorf("userId = %q, want the derived ID %q", userID, want)
	}

	status, account := s.createSession(t, userID, secret)
	if status != http.StatusOK {
		t.Fatalf("session from the minted secret: status %d, body %v", status, account)
	}
	if account["email"] != "alice@example.test" {
		t.Errorf("account email = %v, want it lower-cased", account["email"])
	}
	if account["name"] != "Alice Example" {
		t.Errorf("account name = %v", account["name"])
	}
	if account["emailVerification"] != true {
		t.Errorf("emailVerification = %v, want true for a verified email", account["emailVerification"])
	}

	// The secret is single-use.
	if status, _ := s.createSession(t, userID, secret); status != http.StatusUnauthorized {
		t.Errorf("second session from the same secret: status %d, want 401", status)
	}
}

func TestReturningLoginUpstreamCalls(t *testing.T) {
	s := newStack(t, stackOptions{})
	firstUser, _ := expectSuccess(t, s.login(t))
	tokenCalls := s.op.Count(testop.EndpointToken)
	jwksCalls := s.op.Count(testop.EndpointJWKS)
	s.upstream.reset()

	secondUser, secret := expectSuccess(t, s.login(t))
	if secondUser != firstUser {
		t.Fatalf("returning login got user %q, first login %q", secondUser, firstUser)
	}
	if got := s.op.Count(testop.EndpointToken) - tokenCalls; got != 1 {
		t.Errorf("token endpoint calls = %d, want 1", got)
	}
	if got := s.op.Count(testop.EndpointJWKS) - jwksCalls; got != 0 {
		t.Errorf("JWKS fetches on a returning login = %d, want 0 (cached)", got)
	}
	if got := s.upstream.calls(); got != 2 {
		t.Errorf("Appwrite calls = %d (%v), want 2: read the user, create the token", got, s.upstream.counts)
	}
	if status, _ := s.createSession(t, secondUser, secret); status != http.StatusOK {
		t.Errorf("session from the second secret: status %d", status)
	}
}

func TestReturningLoginUpdatesChangedProfile(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.op.SetDefaultIdentity(testop.Identity{Subject: "u-1", Email: "old@example.test", EmailVerified: true, Name: "Old Name"})
	userID, _ := expectSuccess(t, s.login(t))

	s.op.SetDefaultIdentity(testop.Identity{Subject: "u-1", Email: "New@Example.test", EmailVerified: true, Name: "New Name"})
	expectSuccess(t, s.login(t))

	user, err := s.appwrite.GetUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	if user.Name != "New Name" || user.Email != "new@example.test" {
		t.Errorf("user after profile change: name %q, email %q", user.Name, user.Email)
	}
	if !user.EmailVerification {
		t.Errorf("emailVerification lost after the email changed; the provider verified it")
	}
}

func TestLoginTwoTabs(t *testing.T) {
	s := newStack(t, stackOptions{})
	b := newBrowser(t)
	b.client.CheckRedirect = stopAtProvider(s)

	// Both tabs start before either returns.
	first := b.get(t, s.loginURL(successURL, failureURL))
	second := b.get(t, s.loginURL(successURL, failureURL))
	b.client.CheckRedirect = newBrowser(t).client.CheckRedirect
	for i, start := range []result{first, second} {
		if start.status != http.StatusFound || start.location == nil {
			t.Fatalf("tab %d: /login answered %d", i, start.status)
		}
	}
	for i, start := range []result{second, first} {
		expectSuccess(t, b.get(t, start.location.String()))
		_ = i
	}
}

// stopAtProvider stops a browser at the redirect to the provider.
func stopAtProvider(s *stack) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), s.op.URL()) {
			return http.ErrUseLastResponse
		}
		return nil
	}
}

func TestConcurrentFirstLogins(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.op.SetDefaultIdentity(testop.Identity{Subject: "same-person", Email: "same@example.test", EmailVerified: true, Name: "Same"})

	const logins = 20
	users := make([]string, logins)
	var wg sync.WaitGroup
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.login(t)
			if r.location != nil {
				users[i] = r.location.Query().Get("userId")
			}
		}()
	}
	wg.Wait()
	for i, user := range users {
		if user == "" {
			t.Fatalf("login %d did not succeed", i)
		}
		if user != users[0] {
			t.Fatalf("login %d got user %q, login 0 got %q", i, user, users[0])
		}
	}
	list, err := s.appwrite.ListUsers(context.Background(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if list.Total != 1 {
		t.Errorf("Appwrite has %d users after %d concurrent first logins, want 1", list.Total, logins)
	}
}

func TestLoginWithoutEmailOrName(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.op.SetDefaultIdentity(testop.Identity{Subject: "no-profile"})
	userID, secret := expectSuccess(t, s.login(t))
	if status, _ := s.createSession(t, userID, secret); status != http.StatusOK {
		t.Errorf("session status %d", status)
	}
}

func TestLongNameCutByCodePoints(t *testing.T) {
	s := newStack(t, stackOptions{})
	name := strings.Repeat("é", 130)
	s.op.SetDefaultIdentity(testop.Identity{Subject: "long-name", Name: name})
	userID, _ := expectSuccess(t, s.login(t))
	user, err := s.appwrite.GetUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	if user.Name != strings.Repeat("é", 128) {
		t.Errorf("name has %d bytes, want 128 code points of é", len(user.Name))
	}
}

func TestBlockedUserGetsNoToken(t *testing.T) {
	s := newStack(t, stackOptions{})
	userID, _ := expectSuccess(t, s.login(t))
	if _, err := s.appwrite.UpdateStatus(context.Background(), userID, false); err != nil {
		t.Fatal(err)
	}
	s.upstream.reset()
	expectFailure(t, s.login(t), "account_blocked")
	if n := s.upstream.counts["POST /v1/users/"+userID+"/tokens"]; n != 0 {
		t.Errorf("a token was requested for a blocked user (%d calls)", n)
	}
}

func TestEmailHeldByAnotherUser(t *testing.T) {
	s := newStack(t, stackOptions{})
	if _, err := s.appwrite.CreateUser(context.Background(), appwriteUser("someone-else", "taken@example.test")); err != nil {
		t.Fatal(err)
	}
	s.op.SetDefaultIdentity(testop.Identity{Subject: "newcomer", Email: "taken@example.test", EmailVerified: true})
	expectFailure(t, s.login(t), "email_in_use")
}

func TestProviderErrors(t *testing.T) {
	tests := []struct {
		name        string
		given       testop.AuthorizeFaults
		expectCode  string
		expectInMsg string
	}{
		{"access denied", testop.AuthorizeFaults{Error: "access_denied", ErrorDescription: "User cancelled"}, "access_denied", "User cancelled"},
		{"known code passed on", testop.AuthorizeFaults{Error: "login_required"}, "login_required", ""},
		{"unknown code", testop.AuthorizeFaults{Error: "weird_vendor_error", ErrorDescription: "<b>bold</b>"}, "idp_error", "<b>bold</b>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			s.op.SetAuthorizeFaults(tt.given)
			r := s.login(t)
			expectFailure(t, r, tt.expectCode)
			if tt.expectInMsg != "" && r.location.Query().Get("error_description") != tt.expectInMsg {
				t.Errorf("error_description = %q, want %q", r.location.Query().Get("error_description"), tt.expectInMsg)
			}
			if n := s.op.Count(testop.EndpointToken); n != 0 {
				t.Errorf("token endpoint called %d times after a provider error", n)
			}
		})
	}
}

func TestProviderErrorPageEscapesDescription(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.op.SetAuthorizeFaults(testop.AuthorizeFaults{Error: "access_denied", ErrorDescription: `<script>alert(1)</script>`})
	r := newBrowser(t).get(t, s.loginURL(successURL, ""))
	expectPage(t, r, http.StatusForbidden, "Sign-in declined")
	if strings.Contains(r.body, "<script>") {
		t.Errorf("provider description rendered unescaped: %s", r.body)
	}
	if !strings.Contains(r.body, "&lt;script&gt;") {
		t.Errorf("provider description missing from the page")
	}
}

func TestTokenVerificationFailures(t *testing.T) {
	tests := []struct {
		name  string
		given testop.IDTokenFaults
	}{
		{"bad signature", testop.IDTokenFaults{BadSignature: true}},
		{"alg none", testop.IDTokenFaults{Unsigned: true}},
		{"wrong issuer", testop.IDTokenFaults{Issuer: "http://127.0.0.1:1/other"}},
		{"wrong nonce", testop.IDTokenFaults{Nonce: "not-the-flow-nonce"}},
		{"missing nonce", testop.IDTokenFaults{OmitNonce: true}},
		{"expired", testop.IDTokenFaults{ExpiredFor: 10 * 60e9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			s.op.SetIDTokenFaults(tt.given)
			expectFailure(t, s.login(t), "invalid_token")
			if n := s.upstream.calls(); n != 0 {
				t.Errorf("Appwrite was called %d times after a rejected ID token", n)
			}
		})
	}
}

func TestTokenEndpointFailures(t *testing.T) {
	tests := []struct {
		name       string
		given      testop.TokenFaults
		expectCode string
	}{
		{"server error", testop.TokenFaults{Status: http.StatusInternalServerError}, "upstream_error"},
		{"rate limited", testop.TokenFaults{Status: http.StatusTooManyRequests}, "upstream_error"},
		{"garbage", testop.TokenFaults{Garbage: true}, "upstream_error"},
		{"error with 200", testop.TokenFaults{ErrorWithOK: true}, "invalid_grant"},
		{"no id_token", testop.TokenFaults{OmitIDToken: true}, "invalid_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			s.op.SetTokenFaults(tt.given)
			expectFailure(t, s.login(t), tt.expectCode)
		})
	}
}

func TestExpiresInAsString(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.op.SetTokenFaults(testop.TokenFaults{ExpiresInString: true})
	expectSuccess(t, s.login(t))
}

func TestAppwriteFailures(t *testing.T) {
	tests := []struct {
		name  string
		fault func(w http.ResponseWriter, r *http.Request) bool
	}{
		{"503 on every call", func(w http.ResponseWriter, r *http.Request) bool {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}},
		{"garbage body", func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("<html>not json"))
			return true
		}},
		{"token creation fails", func(w http.ResponseWriter, r *http.Request) bool {
			if strings.HasSuffix(r.URL.Path, "/tokens") {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = fmt.Fprint(w, `{"message":"Server Error","code":500,"type":"general_unknown","version":"1.5.11"}`)
				return true
			}
			return false
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			s.upstream.setFault(tt.fault)
			r := s.login(t)
			expectFailure(t, r, "upstream_error")
			if strings.Contains(r.location.RawQuery, "Server+Error") || strings.Contains(r.location.RawQuery, "not+json") {
				t.Errorf("upstream text reached the app: %s", r.location.RawQuery)
			}
		})
	}
}
