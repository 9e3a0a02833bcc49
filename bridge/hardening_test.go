package bridge_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tokenbridge/tokenbridge/internal/testop"
	"github.com/tokenbridge/tokenbridge/providers"
)

func TestIDTokenRejected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		givenSkew   time.Duration
		givenFaults testop.IDTokenFaults
	}{
		{"HMAC signed with the public key", 2 * time.Minute, testop.IDTokenFaults{HMACWithPublicKey: true}},
		{"algorithm outside the allow-list", 2 * time.Minute, testop.IDTokenFaults{Algorithm: jose.RS384}},
		{"algorithm allowed but not in discovery", 2 * time.Minute, testop.IDTokenFaults{Algorithm: jose.ES256}},
		{"audience without our client", 2 * time.Minute, testop.IDTokenFaults{Audience: []string{"another-client"}}},
		{"several audiences without azp", 2 * time.Minute, testop.IDTokenFaults{Audience: []string{"testop-client", "another-client"}}},
		{"azp of another client", 2 * time.Minute, testop.IDTokenFaults{AuthorizedParty: "another-client"}},
		{"several audiences and azp of another client", 2 * time.Minute,
			testop.IDTokenFaults{Audience: []string{"testop-client", "another-client"}, AuthorizedParty: "another-client"}},
		{"expired beyond the skew", 2 * time.Minute, testop.IDTokenFaults{ExpiredFor: 3 * time.Minute}},
		{"iat in the future beyond the skew", 2 * time.Minute, testop.IDTokenFaults{IssuedInFuture: 5 * time.Minute}},
		{"nbf in the future beyond the skew", 2 * time.Minute, testop.IDTokenFaults{NotBeforeInFuture: 5 * time.Minute}},
		{"expired 30 s ago with no skew", 0, testop.IDTokenFaults{ExpiredFor: 30 * time.Second}},
		{"iat in the future with no skew", 0, testop.IDTokenFaults{IssuedInFuture: 30 * time.Second}},
		{"unknown kid", 2 * time.Minute, testop.IDTokenFaults{UnknownKeyID: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{providerConfig: func(c *providers.Config) { c.ClockSkew = tt.givenSkew }})
			s.op.SetIDTokenFaults(tt.givenFaults)

			expectFailure(t, s.login(t), "invalid_token")
			if n := s.upstream.calls(); n != 0 {
				t.Errorf("Appwrite was called %d times after a rejected ID token", n)
			}
		})
	}
}

func TestIDTokenAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		givenFaults testop.IDTokenFaults
	}{
		{"no kid with one key in the JWKS", testop.IDTokenFaults{OmitKeyID: true}},
		{"expired within the skew", testop.IDTokenFaults{ExpiredFor: time.Minute}},
		{"iat in the future within the skew", testop.IDTokenFaults{IssuedInFuture: time.Minute}},
		{"nbf in the future within the skew", testop.IDTokenFaults{NotBeforeInFuture: time.Minute}},
		{"azp of our client", testop.IDTokenFaults{AuthorizedParty: "testop-client"}},
		{"several audiences with azp of our client", testop.IDTokenFaults{Audience: []string{"testop-client", "another-client"}, AuthorizedParty: "testop-client"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{})
			s.op.SetIDTokenFaults(tt.givenFaults)
			expectSuccess(t, s.login(t))
		})
	}
}

func TestES256IDToken(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{opOptions: []testop.Option{testop.WithSigningAlgorithm(jose.ES256)}})
	expectSuccess(t, s.login(t))
}

func TestKeyRotationRefetchesJWKSOnce(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	s := newStack(t, stackOptions{providerOptions: []providers.Option{providers.WithClock(clock.now)}})
	expectSuccess(t, s.login(t))
	if n := s.op.Count(testop.EndpointJWKS); n != 1 {
		t.Fatalf("JWKS fetches after the first login = %d, want 1", n)
	}

	// The provider rotates after the bridge's minimum refresh interval.
	s.op.RotateKey(false)
	clock.advance(31 * time.Second)
	expectSuccess(t, s.login(t))
	if n := s.op.Count(testop.EndpointJWKS); n != 2 {
		t.Errorf("JWKS fetches after a login with the new kid = %d, want 2", n)
	}
	expectSuccess(t, s.login(t))
	if n := s.op.Count(testop.EndpointJWKS); n != 2 {
		t.Errorf("JWKS fetches after a second login with the new kid = %d, want 2 (cached)", n)
	}
}

func TestUnknownKeyIDsDoNotFetchPerRequest(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	s := newStack(t, stackOptions{providerOptions: []providers.Option{providers.WithClock(clock.now)}})
	expectSuccess(t, s.login(t))
	s.op.SetIDTokenFaults(testop.IDTokenFaults{UnknownKeyID: true})

	for range 8 {
		expectFailure(t, s.login(t), "invalid_token")
	}
	if n := s.op.Count(testop.EndpointJWKS); n != 1 {
		t.Errorf("JWKS fetches after 8 tokens with unknown kids = %d, want 1", n)
	}

	clock.advance(31 * time.Second)
	for range 8 {
		expectFailure(t, s.login(t), "invalid_token")
	}
	if n := s.op.Count(testop.EndpointJWKS); n != 2 {
		t.Errorf("JWKS fetches once the refresh interval passed = %d, want 2", n)
	}
}

func TestJWKSUnavailable(t *testing.T) {
	t.Parallel()
	transport := &providerTransport{}
	s := newStack(t, stackOptions{providerTransport: transport.wrap})
	transport.setFault(onPath("/jwks", answerWith(http.StatusServiceUnavailable, "text/plain", "down")))

	expectFailure(t, s.login(t), "upstream_error")
	if n := s.upstream.calls(); n != 0 {
		t.Errorf("Appwrite was called %d times without a verified ID token", n)
	}

	transport.setFault(nil)
	expectSuccess(t, s.login(t))
}

func TestUserinfoFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		givenOPFaults  testop.UserinfoFaults
		givenTransport func(*http.Request) (*http.Response, error)
		expectCode     string
	}{
		{"subject differs from the ID token", testop.UserinfoFaults{Subject: "someone-else"}, nil, "invalid_token"},
		{"server error", testop.UserinfoFaults{Status: http.StatusInternalServerError}, nil, "upstream_error"},
		{"rate limited", testop.UserinfoFaults{Status: http.StatusTooManyRequests}, nil, "upstream_error"},
		{"garbage", testop.UserinfoFaults{}, answerWith(http.StatusOK, "application/json", "<html>not json"), "upstream_error"},
		{"no answer", testop.UserinfoFaults{}, hang, "upstream_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			transport := &providerTransport{}
			s := newStack(t, stackOptions{
				providerConfig:    func(c *providers.Config) { c.UserInfo = true },
				providerTransport: transport.wrap,
				providerTimeout:   500 * time.Millisecond,
			})
			s.op.SetUserinfoFaults(tt.givenOPFaults)
			if tt.givenTransport != nil {
				transport.setFault(onPath("/userinfo", tt.givenTransport))
			}

			expectFailure(t, s.login(t), tt.expectCode)
			if n := s.upstream.calls(); n != 0 {
				t.Errorf("Appwrite was called %d times after a failed userinfo request", n)
			}
		})
	}
}

func TestUserinfoMergedWhenSubjectMatches(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{providerConfig: func(c *providers.Config) { c.UserInfo = true }})
	expectSuccess(t, s.login(t))
	if n := s.op.Count(testop.EndpointUserinfo); n != 1 {
		t.Errorf("userinfo requests = %d, want 1", n)
	}
}

func TestTokenEndpointTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 500 * time.Millisecond
	s := newStack(t, stackOptions{providerTimeout: timeout})
	s.op.SetTokenFaults(testop.TokenFaults{Delay: 10 * time.Second})

	start := time.Now()
	expectFailure(t, s.login(t), "upstream_error")
	if elapsed := time.Since(start); elapsed > 4*timeout+time.Second {
		t.Errorf("the login took %s with a provider timeout of %s", elapsed, timeout)
	}
	if n := s.upstream.calls(); n != 0 {
		t.Errorf("Appwrite was called %d times after the token request timed out", n)
	}
}

func TestProviderErrorDescriptionEncoded(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	description := "bad <b>\"thing\"</b>\r\nSet-Cookie: x=1 & more" + strings.Repeat("x", 400)
	s.op.SetAuthorizeFaults(testop.AuthorizeFaults{Error: "vendor_specific", ErrorDescription: description})

	r := s.login(t)
	expectFailure(t, r, "idp_error")
	if strings.ContainsAny(r.location.RawQuery, "<>\"\r\n ") {
		t.Errorf("failure URL query is not encoded: %s", r.location.RawQuery)
	}
	got := r.location.Query().Get("error_description")
	if strings.ContainsAny(got, "\r\n") {
		t.Errorf("error_description keeps control characters: %q", got)
	}
	if !strings.HasPrefix(got, `bad <b>"thing"</b> Set-Cookie: x=1 & more`) {
		t.Errorf("error_description = %q, want the provider's text with control characters replaced", got)
	}
	if n := len([]rune(got)); n > 200 {
		t.Errorf("error_description has %d code points, want at most 200", n)
	}
}

func TestProviderErrorWithoutFlow(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	r := newBrowser(t).get(t, s.bridge.URL+"/callback/"+providerID+"?error=access_denied&state=forged")
	expectPage(t, r, http.StatusBadRequest, "This sign-in expired")
}

func TestDiscoveryDownAtStartup(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{skipDiscovery: true})
	s.op.SetDiscoveryFaults(testop.DiscoveryFaults{Failures: 1})

	r := newBrowser(t).get(t, s.bridge.URL+"/readyz")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "provider test") {
		t.Errorf("/readyz before discovery = %d %s, want 503 naming the provider", r.status, r.body)
	}
	if r := newBrowser(t).get(t, s.bridge.URL+"/"); r.status != http.StatusOK {
		t.Errorf("chooser before discovery = %d, want 200", r.status)
	}
	early := s.login(t)
	expectFailure(t, early, "upstream_error")
	if cookies := early.header.Values("Set-Cookie"); len(cookies) != 0 {
		t.Errorf("a login before discovery stored a flow: %v", cookies)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var retries atomic.Int32
	err := s.provider.Run(ctx, func(err error, wait time.Duration) {
		retries.Add(1)
		if !errors.Is(err, providers.ErrUnavailable) {
			t.Errorf("retried error does not wrap ErrUnavailable: %v", err)
		}
		if wait != time.Second {
			t.Errorf("first retry waits %s, want 1s", wait)
		}
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := retries.Load(); n != 1 {
		t.Errorf("retries = %d, want 1", n)
	}

	if r := newBrowser(t).get(t, s.bridge.URL+"/readyz"); r.status != http.StatusOK {
		t.Errorf("/readyz after discovery = %d %s, want 200", r.status, r.body)
	}
	expectSuccess(t, s.login(t))
}

func TestAppwriteFaultsThenRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault func(s *stack, w http.ResponseWriter, r *http.Request) bool
	}{
		{"429 on every call", func(s *stack, w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"message":"Rate limit","code":429,"type":"general_rate_limit_exceeded","version":"1.6.0"}`))
			return true
		}},
		{"no answer", func(s *stack, w http.ResponseWriter, r *http.Request) bool {
			<-r.Context().Done()
			return true
		}},
		{"create fails", func(s *stack, w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost || r.URL.Path != "/v1/users" {
				return false
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}},
		{"create succeeds but its answer is lost", func(s *stack, w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost || r.URL.Path != "/v1/users" {
				return false
			}
			// The emulator stores the user, but the bridge receives a gateway error.
			s.upstream.next.ServeHTTP(&discardWriter{header: http.Header{}}, r)
			w.WriteHeader(http.StatusBadGateway)
			return true
		}},
		{"email verification update fails", func(s *stack, w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPatch || !strings.HasSuffix(r.URL.Path, "/verification") {
				return false
			}
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{appwriteTimeout: 500 * time.Millisecond})
			s.upstream.setFault(func(w http.ResponseWriter, r *http.Request) bool { return tt.fault(s, w, r) })

			expectFailure(t, s.login(t), "upstream_error")
			if n := s.upstream.tokenRequests(); n != 0 {
				t.Errorf("a custom token was requested %d times during the fault", n)
			}

			// A retry after the fault ends finds no half-created state in its way.
			s.upstream.setFault(nil)
			userID, secret := expectSuccess(t, s.login(t))
			if status, account := s.createSession(t, userID, secret); status != http.StatusOK {
				t.Errorf("session after the retry: status %d, body %v", status, account)
			} else if account["emailVerification"] != true {
				t.Errorf("emailVerification = %v after the retry, want true", account["emailVerification"])
			}
			list, err := s.appwrite.ListUsers(context.Background(), nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if list.Total != 1 {
				t.Errorf("Appwrite has %d users, want 1", list.Total)
			}
		})
	}
}

// discardWriter discards a response.
type discardWriter struct {
	header http.Header
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// tokenRequests counts POST /v1/users/{userId}/tokens requests.
func (c *countingHandler) tokenRequests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for key, count := range c.counts {
		if strings.HasPrefix(key, "POST /v1/users/") && strings.HasSuffix(key, "/tokens") {
			n += count
		}
	}
	return n
}
