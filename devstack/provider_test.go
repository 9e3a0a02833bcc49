package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// idTokenClaims are the claims the bridge reads from the ID token.
type idTokenClaims struct {
	Subject       string   `json:"sub"`
	Email         string   `json:"email"`
	EmailVerified *bool    `json:"email_verified"`
	Name          string   `json:"name"`
	Groups        []string `json:"groups"`
	Nonce         string   `json:"nonce"`
}

func TestProviderDiscovery(t *testing.T) {
	tp := startTestProvider(t, nil)

	resp := tp.get(t, tp.issuer+"/.well-known/openid-configuration")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery status %d, want 200", resp.StatusCode)
	}
	var doc struct {
		Issuer                string   `json:"issuer"`
		AuthorizationEndpoint string   `json:"authorization_endpoint"`
		TokenEndpoint         string   `json:"token_endpoint"`
		UserinfoEndpoint      string   `json:"userinfo_endpoint"`
		JWKSURI               string   `json:"jwks_uri"`
		CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
		SigningAlgorithms     []string `json:"id_token_signing_alg_values_supported"`
		TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
		ResponseTypes         []string `json:"response_types_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("decode discovery document: %v", err)
	}

	if doc.Issuer != tp.issuer {
		t.Errorf("issuer = %q, want %q", doc.Issuer, tp.issuer)
	}
	for name, endpoint := range map[string]string{
		"authorization_endpoint": doc.AuthorizationEndpoint,
		"token_endpoint":         doc.TokenEndpoint,
		"userinfo_endpoint":      doc.UserinfoEndpoint,
		"jwks_uri":               doc.JWKSURI,
	} {
		if !strings.HasPrefix(endpoint, tp.issuer+"/") {
			t.Errorf("%s = %q, want a URL under the issuer", name, endpoint)
		}
	}
	if !slices.Contains(doc.CodeChallengeMethods, "S256") {
		t.Errorf("code_challenge_methods_supported = %v, want S256", doc.CodeChallengeMethods)
	}
	if !slices.Contains(doc.SigningAlgorithms, "RS256") {
		t.Errorf("id_token_signing_alg_values_supported = %v, want RS256", doc.SigningAlgorithms)
	}
	if !slices.Contains(doc.TokenAuthMethods, "client_secret_basic") {
		t.Errorf("token_endpoint_auth_methods_supported = %v, want client_secret_basic", doc.TokenAuthMethods)
	}
	if !slices.Contains(doc.ResponseTypes, "code") {
		t.Errorf("response_types_supported = %v, want code", doc.ResponseTypes)
	}

	keysResp := tp.get(t, doc.JWKSURI)
	var jwks struct {
		Keys []struct {
			KeyType   string `json:"kty"`
			Use       string `json:"use"`
			Algorithm string `json:"alg"`
			KeyID     string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(keysResp.Body).Decode(&jwks); err != nil {
		t.Fatalf("decode JWKS: %v", err)
	}
	if len(jwks.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1", len(jwks.Keys))
	}
	key := jwks.Keys[0]
	if key.KeyType != "RSA" || key.Use != "sig" || key.Algorithm != "RS256" || key.KeyID == "" {
		t.Errorf("JWKS key = %+v, want an RSA signing key for RS256 with a kid", key)
	}
}

// signInAs runs one authorization request to the sign-in page, submits
// form to path and returns the redirect URI the provider sends the
// browser to.
func signInAs(t *testing.T, tp *testProvider, f clientFlow, path string, form url.Values) *url.URL {
	t.Helper()
	id := tp.openSignIn(t, tp.authURL(f))
	form.Set("id", id)
	return tp.leaveProvider(t, tp.post(t, path, form))
}

// exchange redeems the code in callback and returns the verified claims
// and the token.
func exchange(t *testing.T, tp *testProvider, f clientFlow, callback *url.URL) (idTokenClaims, *oauth2.Token) {
	t.Helper()
	query := callback.Query()
	if query.Get("error") != "" {
		t.Fatalf("callback carries error=%s: %s", query.Get("error"), query.Get("error_description"))
	}
	if got := query.Get("state"); got != f.state {
		t.Fatalf("callback state = %q, want the request's state", got)
	}

	ctx := context.Background()
	token, err := tp.oauth.Exchange(ctx, query.Get("code"), oauth2.VerifierOption(f.verifier))
	if err != nil {
		t.Fatalf("exchange code: %v", err)
	}
	rawIDToken, ok := token.Extra("id_token").(string)
	if !ok {
		t.Fatal("token response has no id_token")
	}
	idToken, err := tp.verifier.Verify(ctx, rawIDToken)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	var claims idTokenClaims
	if err := idToken.Claims(&claims); err != nil {
		t.Fatalf("decode ID token claims: %v", err)
	}
	return claims, token
}

func TestProviderCodeFlowSavedIdentity(t *testing.T) {
	tp := startTestProvider(t, nil)
	ada := DefaultIdentities()[0]
	f := newClientFlow()

	callback := signInAs(t, tp, f, "/login/select", url.Values{"subject": {ada.Subject()}})
	claims, token := exchange(t, tp, f, callback)

	if claims.Subject != ada.Subject() {
		t.Errorf("sub = %q, want %q", claims.Subject, ada.Subject())
	}
	if claims.Email != "ada@example.test" {
		t.Errorf("email = %q, want ada@example.test", claims.Email)
	}
	if claims.EmailVerified == nil || !*claims.EmailVerified {
		t.Errorf("email_verified = %v, want true", claims.EmailVerified)
	}
	if claims.Name != "Ada Lovelace" {
		t.Errorf("name = %q, want Ada Lovelace", claims.Name)
	}
	if !slices.Equal(claims.Groups, []string{"admins", "engineering"}) {
		t.Errorf("groups = %v, want [admins engineering]", claims.Groups)
	}
	if claims.Nonce != f.nonce {
		t.Errorf("nonce = %q, want the request's nonce", claims.Nonce)
	}

	// The access token reaches userinfo, which returns the same person.
	req, err := http.NewRequest(http.MethodGet, tp.issuer+"/userinfo", nil)
	if err != nil {
		t.Fatalf("new userinfo request: %v", err)
	}
	token.SetAuthHeader(req)
	resp, err := tp.http.Do(req)
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("userinfo status %d: %s", resp.StatusCode, body)
	}
	var info idTokenClaims
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatalf("decode userinfo: %v", err)
	}
	if info.Subject != ada.Subject() || info.Email != "ada@example.test" || info.Name != "Ada Lovelace" {
		t.Errorf("userinfo = %+v, want Ada's subject, email and name", info)
	}
}

func TestProviderCodeFlowNewIdentity(t *testing.T) {
	tp := startTestProvider(t, nil)
	f := newClientFlow()

	callback := signInAs(t, tp, f, "/login/new", url.Values{
		"email":  {"Kim@Example.test"},
		"name":   {"  Kim   Example "},
		"groups": {"beta, qa, beta,"},
		// email_verified unchecked: the browser sends no value.
	})
	claims, _ := exchange(t, tp, f, callback)

	want := Identity{Email: "kim@example.test"}
	if claims.Subject != want.Subject() {
		t.Errorf("sub = %q, want %q, derived from the email", claims.Subject, want.Subject())
	}
	if claims.Email != "kim@example.test" {
		t.Errorf("email = %q, want kim@example.test", claims.Email)
	}
	if claims.EmailVerified == nil || *claims.EmailVerified {
		t.Errorf("email_verified = %v, want a false claim", claims.EmailVerified)
	}
	if claims.Name != "Kim Example" {
		t.Errorf("name = %q, want Kim Example", claims.Name)
	}
	if !slices.Equal(claims.Groups, []string{"beta", "qa"}) {
		t.Errorf("groups = %v, want [beta qa]", claims.Groups)
	}

	saved := tp.provider.Identities()
	if len(saved) != len(DefaultIdentities())+1 || saved[len(saved)-1].Email != "kim@example.test" {
		t.Fatalf("saved identities = %v, want the defaults and then kim@example.test", saved)
	}

	// The saved identity signs in again with the same subject.
	second := newClientFlow()
	again := signInAs(t, tp, second, "/login/select", url.Values{"subject": {want.Subject()}})
	claimsAgain, _ := exchange(t, tp, second, again)
	if claimsAgain.Subject != claims.Subject {
		t.Errorf("second sign-in sub = %q, want %q", claimsAgain.Subject, claims.Subject)
	}
}

func TestProviderRejectsAuthorizationRequest(t *testing.T) {
	tests := []struct {
		name      string
		givenOpts func(f clientFlow) []oauth2.AuthCodeOption
		expect    string
	}{
		{
			name: "without code challenge",
			givenOpts: func(f clientFlow) []oauth2.AuthCodeOption {
				return []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("nonce", f.nonce)}
			},
			expect: "invalid_request",
		},
		{
			name: "with plain code challenge",
			givenOpts: func(f clientFlow) []oauth2.AuthCodeOption {
				return []oauth2.AuthCodeOption{
					oauth2.SetAuthURLParam("nonce", f.nonce),
					oauth2.SetAuthURLParam("code_challenge", f.verifier),
					oauth2.SetAuthURLParam("code_challenge_method", "plain"),
				}
			},
			expect: "invalid_request",
		},
		{
			name: "without nonce",
			givenOpts: func(f clientFlow) []oauth2.AuthCodeOption {
				return []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier)}
			},
			expect: "invalid_request",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := startTestProvider(t, nil)
			f := newClientFlow()

			callback := tp.leaveProvider(t, tp.get(t, tp.oauth.AuthCodeURL(f.state, tt.givenOpts(f)...)))

			if got := callback.Query().Get("error"); got != tt.expect {
				t.Errorf("error = %q, want %q", got, tt.expect)
			}
			if got := callback.Query().Get("state"); got != f.state {
				t.Errorf("state = %q, want the request's state", got)
			}
		})
	}
}

func TestProviderRejectsTokenRequest(t *testing.T) {
	tests := []struct {
		name   string
		when   func(t *testing.T, tp *testProvider, code string, f clientFlow) error
		expect string
	}{
		{
			name: "wrong code verifier",
			when: func(t *testing.T, tp *testProvider, code string, f clientFlow) error {
				_, err := tp.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
				return err
			},
			expect: "invalid_grant",
		},
		{
			name: "wrong client secret",
			when: func(t *testing.T, tp *testProvider, code string, f clientFlow) error {
				wrong := *tp.oauth
				wrong.ClientSecret = "not-the-secret"
				_, err := wrong.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier))
				return err
			},
			expect: "invalid_client",
		},
		{
			name: "code used twice",
			when: func(t *testing.T, tp *testProvider, code string, f clientFlow) error {
				if _, err := tp.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier)); err != nil {
					t.Fatalf("first exchange: %v", err)
				}
				_, err := tp.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier))
				return err
			},
			expect: "invalid_grant",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := startTestProvider(t, nil)
			f := newClientFlow()
			callback := signInAs(t, tp, f, "/login/select", url.Values{"subject": {DefaultIdentities()[0].Subject()}})

			err := tt.when(t, tp, callback.Query().Get("code"), f)

			var retrieveErr *oauth2.RetrieveError
			if !errors.As(err, &retrieveErr) {
				t.Fatalf("exchange error = %v, want an *oauth2.RetrieveError", err)
			}
			if retrieveErr.ErrorCode != tt.expect {
				t.Errorf("error code = %q, want %q", retrieveErr.ErrorCode, tt.expect)
			}
		})
	}
}

func TestProviderDeny(t *testing.T) {
	tp := startTestProvider(t, nil)
	f := newClientFlow()
	id := tp.openSignIn(t, tp.authURL(f))

	callback := tp.leaveProvider(t, tp.post(t, "/login/deny", url.Values{"id": {id}}))

	if got := callback.Query().Get("error"); got != "access_denied" {
		t.Errorf("error = %q, want access_denied", got)
	}
	if got := callback.Query().Get("state"); got != f.state {
		t.Errorf("state = %q, want the request's state", got)
	}
	if callback.Query().Has("code") {
		t.Error("a denied request still carries a code")
	}
	// The request is gone, so it cannot be signed in afterwards.
	again := tp.post(t, "/login/select", url.Values{"id": {id}, "subject": {DefaultIdentities()[0].Subject()}})
	if again.StatusCode != http.StatusBadRequest {
		t.Errorf("sign-in after deny: status %d, want 400", again.StatusCode)
	}
}

func TestProviderSignInPage(t *testing.T) {
	tp := startTestProvider(t, nil)
	id := tp.openSignIn(t, tp.authURL(newClientFlow()))

	resp := tp.get(t, tp.issuer+"/login?id="+url.QueryEscape(id))
	body, _ := io.ReadAll(resp.Body)
	page := string(body)

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	for _, want := range []string{
		"Sign in as <strong>Ada Lovelace</strong>", "ada@example.test",
		"Sign in as <strong>Alan Turing</strong>", "email not verified",
		`name="email"`, `name="name"`, `name="email_verified"`, `name="groups"`,
		`action="/login/deny"`, `value="` + id + `"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	wantCSP := "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'"
	if csp := resp.Header.Get("Content-Security-Policy"); csp != wantCSP {
		t.Errorf("Content-Security-Policy = %q, want %q", csp, wantCSP)
	}
}

func TestProviderSignInErrors(t *testing.T) {
	tests := []struct {
		name       string
		when       func(t *testing.T, tp *testProvider, id string) *http.Response
		expectCode int
		expectText string
	}{
		{
			name: "unknown auth request",
			when: func(t *testing.T, tp *testProvider, id string) *http.Response {
				return tp.get(t, tp.issuer+"/login?id=unknown")
			},
			expectCode: http.StatusBadRequest,
			expectText: "unknown or expired",
		},
		{
			name: "invalid typed email",
			when: func(t *testing.T, tp *testProvider, id string) *http.Response {
				return tp.post(t, "/login/new", url.Values{"id": {id}, "email": {"not an email"}, "name": {"Kim"}})
			},
			expectCode: http.StatusUnprocessableEntity,
			expectText: "is not an address",
		},
		{
			name: "unknown saved subject",
			when: func(t *testing.T, tp *testProvider, id string) *http.Response {
				return tp.post(t, "/login/select", url.Values{"id": {id}, "subject": {"dev-unknown"}})
			},
			expectCode: http.StatusBadRequest,
			expectText: "unknown or expired",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := startTestProvider(t, nil)
			id := tp.openSignIn(t, tp.authURL(newClientFlow()))

			resp := tt.when(t, tp, id)
			body, _ := io.ReadAll(resp.Body)

			if resp.StatusCode != tt.expectCode {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.expectCode)
			}
			if !strings.Contains(string(body), tt.expectText) {
				t.Errorf("body lacks %q:\n%s", tt.expectText, body)
			}
		})
	}
}

func TestNewProviderRejectsConfig(t *testing.T) {
	valid := ProviderConfig{Issuer: "http://127.0.0.1:9998", ClientID: "c", ClientSecret: "s", RedirectURI: "http://127.0.0.1:8080/callback/dev"}
	tests := []struct {
		name   string
		change func(c *ProviderConfig)
		expect string
	}{
		{"issuer on a network address", func(c *ProviderConfig) { c.Issuer = "http://192.0.2.1:9998" }, "not on a loopback address"},
		{"issuer with a host name", func(c *ProviderConfig) { c.Issuer = "http://localhost:9998" }, "not on a loopback address"},
		{"issuer with https", func(c *ProviderConfig) { c.Issuer = "https://127.0.0.1:9998" }, "is not of the form"},
		{"issuer with a path", func(c *ProviderConfig) { c.Issuer = "http://127.0.0.1:9998/oidc" }, "is not of the form"},
		{"issuer with a trailing slash", func(c *ProviderConfig) { c.Issuer = "http://127.0.0.1:9998/" }, "is not of the form"},
		{"relative redirect URI", func(c *ProviderConfig) { c.RedirectURI = "/callback" }, "redirect URI"},
		{"empty client secret", func(c *ProviderConfig) { c.ClientSecret = "" }, "client secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.change(&cfg)

			_, err := NewProvider(cfg)

			if err == nil || !strings.Contains(err.Error(), tt.expect) {
				t.Errorf("NewProvider error = %v, want one containing %q", err, tt.expect)
			}
		})
	}
}

func TestNewIdentity(t *testing.T) {
	tests := []struct {
		name          string
		givenEmail    string
		givenName     string
		givenGroups   string
		expectEmail   string
		expectGroups  []string
		expectErrText string
	}{
		{name: "lower-cases the email", givenEmail: " Kim@Example.TEST ", givenName: "Kim", expectEmail: "kim@example.test"},
		{name: "splits and dedupes groups", givenEmail: "a@example.test", givenGroups: " x, y ,, x", expectEmail: "a@example.test", expectGroups: []string{"x", "y"}},
		{name: "empty email", givenEmail: "  ", expectErrText: "email is empty"},
		{name: "email with display name", givenEmail: "Kim <kim@example.test>", expectErrText: "is not an address"},
		{name: "email without domain", givenEmail: "kim", expectErrText: "is not an address"},
		{name: "name too long", givenEmail: "a@example.test", givenName: strings.Repeat("n", maxNameLength+1), expectErrText: "name is longer"},
		{name: "group too long", givenEmail: "a@example.test", givenGroups: strings.Repeat("g", maxGroupLength+1), expectErrText: "is longer than"},
		{name: "too many groups", givenEmail: "a@example.test", givenGroups: manyGroups(maxGroups + 1), expectErrText: "groups given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			identity, err := NewIdentity(tt.givenEmail, tt.givenName, true, tt.givenGroups)

			if tt.expectErrText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.expectErrText) {
					t.Fatalf("error = %v, want one containing %q", err, tt.expectErrText)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v, want none", err)
			}
			if identity.Email != tt.expectEmail {
				t.Errorf("email = %q, want %q", identity.Email, tt.expectEmail)
			}
			if !slices.Equal(identity.Groups, tt.expectGroups) {
				t.Errorf("groups = %v, want %v", identity.Groups, tt.expectGroups)
			}
		})
	}
}

func manyGroups(n int) string {
	groups := make([]string, n)
	for i := range groups {
		groups[i] = "group" + strings.Repeat("x", i)
	}
	return strings.Join(groups, ",")
}

func TestIdentitySubjectIgnoresEmailCase(t *testing.T) {
	lower := Identity{Email: "kim@example.test"}.Subject()
	upper := Identity{Email: "KIM@example.test"}.Subject()
	other := Identity{Email: "kim2@example.test"}.Subject()

	if lower != upper {
		t.Errorf("subjects differ by email case: %q and %q", lower, upper)
	}
	if lower == other {
		t.Errorf("two emails share the subject %q", lower)
	}
	if !strings.HasPrefix(lower, "dev-") || len(lower) != len("dev-")+40 {
		t.Errorf("subject %q, want dev- and 40 hex characters", lower)
	}
}
