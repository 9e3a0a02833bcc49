package testop_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/tokenbridge/tokenbridge/internal/testop"
)

func TestDiscoveryDocument(t *testing.T) {
	p := newProvider(t)

	resp, body := getWithoutRedirect(t, p.URL()+"/.well-known/openid-configuration")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("decode document: %v", err)
	}

	if strings.HasSuffix(p.Issuer(), "/") {
		t.Errorf("Issuer() = %q, want no trailing slash by default", p.Issuer())
	}
	if !strings.HasPrefix(p.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q, want a 127.0.0.1 address", p.URL())
	}
	wantStrings := map[string]string{
		"issuer":                 p.Issuer(),
		"authorization_endpoint": p.URL() + "/authorize",
		"token_endpoint":         p.URL() + "/token",
		"userinfo_endpoint":      p.URL() + "/userinfo",
		"jwks_uri":               p.URL() + "/jwks",
	}
	for field, want := range wantStrings {
		if got := doc[field]; got != want {
			t.Errorf("%s = %v, want %q", field, got, want)
		}
	}
	wantLists := map[string][]string{
		"response_types_supported":              {"code"},
		"subject_types_supported":               {"public"},
		"id_token_signing_alg_values_supported": {"RS256"},
		"code_challenge_methods_supported":      {"S256"},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      {"openid", "email", "profile", "groups"},
	}
	for field, want := range wantLists {
		if got := stringList(doc[field]); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", field, got, want)
		}
	}
	claims := stringList(doc["claims_supported"])
	for _, want := range []string{"sub", "email", "email_verified", "name", "groups", "nonce"} {
		if !slices.Contains(claims, want) {
			t.Errorf("claims_supported = %v, want it to contain %q", claims, want)
		}
	}
}

func stringList(v any) []string {
	items, _ := v.([]any)
	var out []string
	for _, item := range items {
		s, _ := item.(string)
		out = append(out, s)
	}
	return out
}

func TestDiscoveryOptions(t *testing.T) {
	p := newProvider(t,
		testop.WithIssuerTrailingSlash(),
		testop.WithSigningAlgorithm(jose.ES256),
		testop.WithTokenAuthMethods(testop.AuthMethodPost),
	)
	if want := p.URL() + "/"; p.Issuer() != want {
		t.Fatalf("Issuer() = %q, want %q", p.Issuer(), want)
	}

	// go-oidc compares the document's issuer with the one it was given.
	provider, err := oidc.NewProvider(t.Context(), p.Issuer())
	if err != nil {
		t.Fatalf("discover provider with trailing slash: %v", err)
	}
	var doc struct {
		Algorithms  []string `json:"id_token_signing_alg_values_supported"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := provider.Claims(&doc); err != nil {
		t.Fatalf("decode discovery claims: %v", err)
	}
	if !slices.Equal(doc.Algorithms, []string{"ES256"}) {
		t.Errorf("algorithms = %v, want [ES256]", doc.Algorithms)
	}
	if !slices.Equal(doc.AuthMethods, []string{"client_secret_post"}) {
		t.Errorf("auth methods = %v, want [client_secret_post]", doc.AuthMethods)
	}
}

func TestCodeFlowVerifies(t *testing.T) {
	tests := []struct {
		name      string
		givenOpts []testop.Option
		whenStyle oauth2.AuthStyle
		expectAlg string
	}{
		{name: "basic auth RS256", whenStyle: oauth2.AuthStyleInHeader, expectAlg: "RS256"},
		{name: "post auth RS256", whenStyle: oauth2.AuthStyleInParams, expectAlg: "RS256"},
		{
			name:      "ES256 key",
			givenOpts: []testop.Option{testop.WithSigningAlgorithm(jose.ES256)},
			whenStyle: oauth2.AuthStyleInHeader,
			expectAlg: "ES256",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.givenOpts...)
			rp := newRelyingParty(t, p, tt.whenStyle)

			token, rawIDToken := rp.signIn(t)

			if token.TokenType != "Bearer" {
				t.Errorf("token type = %q, want Bearer", token.TokenType)
			}
			if left := time.Until(token.Expiry); left < 59*time.Minute || left > time.Hour {
				t.Errorf("access token expires in %v, want about 1h", left)
			}
			idToken, err := rp.verifier.Verify(t.Context(), rawIDToken)
			if err != nil {
				t.Fatalf("verify ID token: %v", err)
			}
			header, _ := decodeJWT(t, rawIDToken)
			if header["alg"] != tt.expectAlg {
				t.Errorf("alg = %v, want %s", header["alg"], tt.expectAlg)
			}
			if header["kid"] != p.KeyID() {
				t.Errorf("kid = %v, want %s", header["kid"], p.KeyID())
			}
			checkDefaultClaims(t, p, idToken)

			info, err := rp.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(token))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			if info.Subject != idToken.Subject {
				t.Errorf("userinfo sub = %q, want %q", info.Subject, idToken.Subject)
			}
			if info.Email != testop.DefaultIdentity().Email {
				t.Errorf("userinfo email = %q, want %q", info.Email, testop.DefaultIdentity().Email)
			}
		})
	}
}

func checkDefaultClaims(t *testing.T, p *testop.Provider, idToken *oidc.IDToken) {
	t.Helper()
	want := testop.DefaultIdentity()
	var claims struct {
		Email         string   `json:"email"`
		EmailVerified bool     `json:"email_verified"`
		Name          string   `json:"name"`
		Groups        []string `json:"groups"`
		AuthTime      int64    `json:"auth_time"`
		IssuedAt      int64    `json:"iat"`
		Expiry        int64    `json:"exp"`
		AZP           *string  `json:"azp"`
	}
	if err := idToken.Claims(&claims); err != nil {
		t.Fatalf("decode claims: %v", err)
	}

	if idToken.Issuer != p.Issuer() {
		t.Errorf("iss = %q, want %q", idToken.Issuer, p.Issuer())
	}
	if idToken.Subject != want.Subject {
		t.Errorf("sub = %q, want %q", idToken.Subject, want.Subject)
	}
	if !slices.Equal(idToken.Audience, []string{p.ClientID()}) {
		t.Errorf("aud = %v, want [%s]", idToken.Audience, p.ClientID())
	}
	if idToken.Nonce != testNonce {
		t.Errorf("nonce = %q, want %q", idToken.Nonce, testNonce)
	}

	if claims.Email != want.Email || claims.EmailVerified != want.EmailVerified || claims.Name != want.Name {
		t.Errorf("email, email_verified, name = %q, %v, %q, want %q, %v, %q",
			claims.Email, claims.EmailVerified, claims.Name, want.Email, want.EmailVerified, want.Name)
	}
	if !slices.Equal(claims.Groups, want.Groups) {
		t.Errorf("groups = %v, want %v", claims.Groups, want.Groups)
	}

	if got := claims.Expiry - claims.IssuedAt; got != int64(testop.IDTokenLifetime.Seconds()) {
		t.Errorf("exp - iat = %ds, want %v", got, testop.IDTokenLifetime)
	}
	if claims.AuthTime == 0 || claims.AuthTime > claims.IssuedAt {
		t.Errorf("auth_time = %d, want set and not after iat %d", claims.AuthTime, claims.IssuedAt)
	}
	if claims.AZP != nil {
		t.Errorf("azp = %q, want absent", *claims.AZP)
	}
}

func TestQueuedIdentities(t *testing.T) {
	p := newProvider(t)
	first := testop.Identity{Subject: "first", Email: "first@example.com", EmailVerified: "true", Extra: map[string]any{"locale": "fr", "sub": "not-allowed"}}
	second := testop.Identity{Subject: "second"}
	p.QueueIdentity(first)
	p.QueueIdentity(second)
	rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)

	tests := []struct {
		expectSubject string
		expectClaims  map[string]any
		expectAbsent  []string
	}{
		{expectSubject: "first", expectClaims: map[string]any{"email_verified": "true", "locale": "fr"}, expectAbsent: []string{"name", "groups"}},
		{expectSubject: "second", expectAbsent: []string{"email", "email_verified", "name", "groups"}},
		{expectSubject: testop.DefaultIdentity().Subject, expectClaims: map[string]any{"email_verified": true}},
	}
	for i, tt := range tests {
		_, rawIDToken := rp.signIn(t)
		_, claims := decodeJWT(t, rawIDToken)
		if claims["sub"] != tt.expectSubject {
			t.Errorf("sign-in %d: sub = %v, want %q", i, claims["sub"], tt.expectSubject)
		}
		for name, want := range tt.expectClaims {
			if claims[name] != want {
				t.Errorf("sign-in %d: %s = %#v, want %#v", i, name, claims[name], want)
			}
		}
		for _, name := range tt.expectAbsent {
			if v, ok := claims[name]; ok {
				t.Errorf("sign-in %d: %s = %#v, want absent", i, name, v)
			}
		}
	}
}

func TestSetDefaultIdentity(t *testing.T) {
	p := newProvider(t, testop.WithDefaultIdentity(testop.Identity{Subject: "from-option"}))
	rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)

	_, rawIDToken := rp.signIn(t)
	if _, claims := decodeJWT(t, rawIDToken); claims["sub"] != "from-option" {
		t.Errorf("sub = %v, want from-option", claims["sub"])
	}

	p.SetDefaultIdentity(testop.Identity{Subject: "from-setter"})
	_, rawIDToken = rp.signIn(t)
	if _, claims := decodeJWT(t, rawIDToken); claims["sub"] != "from-setter" {
		t.Errorf("sub = %v, want from-setter", claims["sub"])
	}
}

func TestAuthorizeRejects(t *testing.T) {
	p := newProvider(t)
	p.AddRedirectURI("http://127.0.0.1/other")

	tests := []struct {
		name        string
		whenChange  func(url.Values)
		expectCode  int    // HTTP status
		expectError string // error parameter on the redirect; empty for no redirect
	}{
		{
			name:       "unknown client",
			whenChange: func(v url.Values) { v.Set("client_id", "someone-else") },
			expectCode: http.StatusBadRequest,
		},
		{
			name:       "unregistered redirect URI",
			whenChange: func(v url.Values) { v.Set("redirect_uri", testRedirectURI+"/extra") },
			expectCode: http.StatusBadRequest,
		},
		{
			name:        "missing code challenge",
			whenChange:  func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") },
			expectCode:  http.StatusFound,
			expectError: "invalid_request",
		},
		{
			name:        "plain challenge method",
			whenChange:  func(v url.Values) { v.Set("code_challenge_method", "plain") },
			expectCode:  http.StatusFound,
			expectError: "invalid_request",
		},
		{
			name:        "malformed code challenge",
			whenChange:  func(v url.Values) { v.Set("code_challenge", "short") },
			expectCode:  http.StatusFound,
			expectError: "invalid_request",
		},
		{
			name:        "implicit response type",
			whenChange:  func(v url.Values) { v.Set("response_type", "id_token") },
			expectCode:  http.StatusFound,
			expectError: "unsupported_response_type",
		},
		{
			name:        "scope without openid",
			whenChange:  func(v url.Values) { v.Set("scope", "email profile") },
			expectCode:  http.StatusFound,
			expectError: "invalid_scope",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := url.Values{
				"client_id":             {p.ClientID()},
				"redirect_uri":          {testRedirectURI},
				"response_type":         {"code"},
				"scope":                 {"openid email"},
				"state":                 {testState},
				"nonce":                 {testNonce},
				"code_challenge":        {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
				"code_challenge_method": {"S256"},
			}
			tt.whenChange(params)

			resp, _ := getWithoutRedirect(t, p.URL()+"/authorize?"+params.Encode())

			if resp.StatusCode != tt.expectCode {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.expectCode)
			}
			if tt.expectError == "" {
				if loc := resp.Header.Get("Location"); loc != "" {
					t.Errorf("Location = %q, want none", loc)
				}
				return
			}
			location, err := resp.Location()
			if err != nil {
				t.Fatalf("Location: %v", err)
			}
			query := location.Query()
			if got := query.Get("error"); got != tt.expectError {
				t.Errorf("error = %q, want %q", got, tt.expectError)
			}
			if got := query.Get("state"); got != testState {
				t.Errorf("state = %q, want %q", got, testState)
			}
			if query.Has("code") {
				t.Errorf("redirect has a code next to an error")
			}
		})
	}
}

func TestAuthorizeKeepsRedirectQuery(t *testing.T) {
	const withQuery = "http://127.0.0.1/callback?tenant=a"
	p := newProvider(t, testop.WithRedirectURIs(withQuery))
	verifier := oauth2.GenerateVerifier()
	params := url.Values{
		"client_id":             {p.ClientID()},
		"redirect_uri":          {withQuery},
		"response_type":         {"code"},
		"scope":                 {"openid"},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"},
	}

	query := redirectQuery(t, p.URL()+"/authorize?"+params.Encode())

	if got := query.Get("tenant"); got != "a" {
		t.Errorf("tenant = %q, want a", got)
	}
	if query.Get("code") == "" {
		t.Errorf("redirect has no code")
	}
	if query.Has("state") {
		t.Errorf("redirect has a state although the request had none")
	}
}

func TestTokenRejects(t *testing.T) {
	tests := []struct {
		name         string
		givenOpts    []testop.Option
		whenRequest  func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte)
		expectStatus int
		expectError  string
	}{
		{
			name: "PKCE mismatch",
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				form.Set("code_verifier", oauth2.GenerateVerifier())
				return postToken(t, p, form, true)
			},
			expectStatus: http.StatusBadRequest,
			expectError:  "invalid_grant",
		},
		{
			name: "missing code verifier",
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				form.Del("code_verifier")
				return postToken(t, p, form, true)
			},
			expectStatus: http.StatusBadRequest,
			expectError:  "invalid_request",
		},
		{
			name: "code used twice",
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				if status, body := postToken(t, p, form, true); status != http.StatusOK {
					t.Fatalf("first redemption status = %d, body %s", status, body)
				}
				return postToken(t, p, form, true)
			},
			expectStatus: http.StatusBadRequest,
			expectError:  "invalid_grant",
		},
		{
			name: "code expired",
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				p.AdvanceClock(testop.CodeLifetime + time.Second)
				return postToken(t, p, form, true)
			},
			expectStatus: http.StatusBadRequest,
			expectError:  "invalid_grant",
		},
		{
			name: "unknown code",
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				form.Set("code", "not-a-code")
				return postToken(t, p, form, true)
			},
			expectStatus: http.StatusBadRequest,
			expectError:  "invalid_grant",
		},
		{
			name: "other redirect URI",
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				form.Set("redirect_uri", "http://127.0.0.1/elsewhere")
				return postToken(t, p, form, true)
			},
			expectStatus: http.StatusBadRequest,
			expectError:  "invalid_grant",
		},
		{
			name: "wrong grant type",
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				form.Set("grant_type", "password")
				return postToken(t, p, form, true)
			},
			expectStatus: http.StatusBadRequest,
			expectError:  "unsupported_grant_type",
		},
		{
			name: "wrong client secret",
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				form.Set("client_id", p.ClientID())
				form.Set("client_secret", "wrong")
				return postToken(t, p, form, false)
			},
			expectStatus: http.StatusUnauthorized,
			expectError:  "invalid_client",
		},
		{
			name: "no client authentication",
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				form.Set("client_id", p.ClientID())
				return postToken(t, p, form, false)
			},
			expectStatus: http.StatusUnauthorized,
			expectError:  "invalid_client",
		},
		{
			name: "basic and post together",
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				form.Set("client_id", p.ClientID())
				form.Set("client_secret", p.ClientSecret())
				return postToken(t, p, form, true)
			},
			expectStatus: http.StatusBadRequest,
			expectError:  "invalid_request",
		},
		{
			name:      "basic when only post is accepted",
			givenOpts: []testop.Option{testop.WithTokenAuthMethods(testop.AuthMethodPost)},
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				return postToken(t, p, form, true)
			},
			expectStatus: http.StatusUnauthorized,
			expectError:  "invalid_client",
		},
		{
			name:      "post when only basic is accepted",
			givenOpts: []testop.Option{testop.WithTokenAuthMethods(testop.AuthMethodBasic)},
			whenRequest: func(t *testing.T, p *testop.Provider, form url.Values) (int, []byte) {
				form.Set("client_id", p.ClientID())
				form.Set("client_secret", p.ClientSecret())
				return postToken(t, p, form, false)
			},
			expectStatus: http.StatusUnauthorized,
			expectError:  "invalid_client",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.givenOpts...)
			rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
			verifier := oauth2.GenerateVerifier()
			form := tokenForm(rp.authorize(t, verifier), verifier)

			status, body := tt.whenRequest(t, p, form)

			if status != tt.expectStatus {
				t.Errorf("status = %d, want %d; body %s", status, tt.expectStatus, body)
			}
			if got := oauthErrorCode(t, body); got != tt.expectError {
				t.Errorf("error = %q, want %q", got, tt.expectError)
			}
		})
	}
}

func TestTokenAcceptsEachAuthMethod(t *testing.T) {
	tests := []struct {
		name      string
		givenOpts []testop.Option
		whenBasic bool
	}{
		{name: "basic only", givenOpts: []testop.Option{testop.WithTokenAuthMethods(testop.AuthMethodBasic)}, whenBasic: true},
		{name: "post only", givenOpts: []testop.Option{testop.WithTokenAuthMethods(testop.AuthMethodPost)}, whenBasic: false},
		{name: "basic with special characters", givenOpts: []testop.Option{testop.WithClient("app:1", "s3cret/+&=")}, whenBasic: true},
		{name: "post with special characters", givenOpts: []testop.Option{testop.WithClient("app:1", "s3cret/+&=")}, whenBasic: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.givenOpts...)
			rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
			verifier := oauth2.GenerateVerifier()
			form := tokenForm(rp.authorize(t, verifier), verifier)
			if !tt.whenBasic {
				form.Set("client_id", p.ClientID())
				form.Set("client_secret", p.ClientSecret())
			}

			status, body := postToken(t, p, form, tt.whenBasic)

			if status != http.StatusOK {
				t.Errorf("status = %d, want 200; body %s", status, body)
			}
		})
	}
}

func TestUserinfoRejectsUnknownToken(t *testing.T) {
	p := newProvider(t)
	rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)

	_, err := rp.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "unknown", TokenType: "Bearer"}))

	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("userinfo error = %v, want a 401", err)
	}
}

func TestUserinfoRejectsExpiredToken(t *testing.T) {
	p := newProvider(t)
	rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
	token, _ := rp.signIn(t)

	p.AdvanceClock(testop.AccessTokenLifetime + time.Second)
	_, err := rp.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(token))

	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("userinfo error = %v, want a 401", err)
	}
}

func TestCounters(t *testing.T) {
	p := newProvider(t)
	counts := func() map[testop.Endpoint]int {
		return map[testop.Endpoint]int{
			testop.EndpointDiscovery: p.Count(testop.EndpointDiscovery),
			testop.EndpointAuthorize: p.Count(testop.EndpointAuthorize),
			testop.EndpointToken:     p.Count(testop.EndpointToken),
			testop.EndpointUserinfo:  p.Count(testop.EndpointUserinfo),
			testop.EndpointJWKS:      p.Count(testop.EndpointJWKS),
		}
	}
	if got := counts(); got[testop.EndpointDiscovery]+got[testop.EndpointToken] != 0 {
		t.Fatalf("counts before any request = %v, want zeros", got)
	}

	rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
	token, rawIDToken := rp.signIn(t)
	if _, err := rp.verifier.Verify(t.Context(), rawIDToken); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if _, err := rp.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(token)); err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	// A wrong method still counts as a call.
	getWithoutRedirect(t, p.URL()+"/token")

	want := map[testop.Endpoint]int{
		testop.EndpointDiscovery: 1,
		testop.EndpointAuthorize: 1,
		testop.EndpointToken:     2,
		testop.EndpointUserinfo:  1,
		testop.EndpointJWKS:      1,
	}
	got := counts()
	for endpoint, n := range want {
		if got[endpoint] != n {
			t.Errorf("Count(%s) = %d, want %d", endpoint, got[endpoint], n)
		}
	}
}

func TestSignIDTokenVerifies(t *testing.T) {
	p := newProvider(t)
	rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
	identity := testop.Identity{Subject: "unit", Email: "unit@example.com"}

	raw := p.SignIDToken(p.IDTokenClaims(identity, "unit-nonce"))

	idToken, err := rp.verifier.Verify(t.Context(), raw)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if idToken.Subject != "unit" || idToken.Nonce != "unit-nonce" {
		t.Errorf("sub, nonce = %q, %q, want unit, unit-nonce", idToken.Subject, idToken.Nonce)
	}
	if n := p.Count(testop.EndpointToken); n != 0 {
		t.Errorf("Count(token) = %d, want 0", n)
	}
}

func TestRotateKey(t *testing.T) {
	tests := []struct {
		name           string
		whenKeepOld    bool
		expectOldValid bool
	}{
		{name: "keep old key", whenKeepOld: true, expectOldValid: true},
		{name: "drop old key", whenKeepOld: false, expectOldValid: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
			oldKeyID := p.KeyID()
			oldToken := p.SignIDToken(p.IDTokenClaims(testop.DefaultIdentity(), ""))
			if _, err := rp.verifier.Verify(t.Context(), oldToken); err != nil {
				t.Fatalf("verify before rotation: %v", err)
			}

			newKeyID := p.RotateKey(tt.whenKeepOld)
			newToken := p.SignIDToken(p.IDTokenClaims(testop.DefaultIdentity(), ""))

			if newKeyID == oldKeyID || p.KeyID() != newKeyID {
				t.Errorf("kid after rotation = %q (KeyID %q), old %q", newKeyID, p.KeyID(), oldKeyID)
			}
			// The cached key set lacks the new kid, so go-oidc fetches the JWKS again.
			if _, err := rp.verifier.Verify(t.Context(), newToken); err != nil {
				t.Errorf("verify new token: %v", err)
			}
			if n := p.Count(testop.EndpointJWKS); n != 2 {
				t.Errorf("Count(jwks) = %d, want 2", n)
			}
			fresh := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
			_, err := fresh.verifier.Verify(t.Context(), oldToken)
			if gotValid := err == nil; gotValid != tt.expectOldValid {
				t.Errorf("old token valid = %v (err %v), want %v", gotValid, err, tt.expectOldValid)
			}
		})
	}
}
