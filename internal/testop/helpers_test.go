package testop_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tokenbridge/tokenbridge/internal/testop"
)

// The redirect URI is never contacted: the test client stops at the 302.
const (
	testRedirectURI = "http://127.0.0.1/callback"
	testNonce       = "nonce-0123456789"
	testState       = "state-0123456789"
)

func newProvider(t *testing.T, opts ...testop.Option) *testop.Provider {
	t.Helper()
	return testop.New(t, append([]testop.Option{testop.WithRedirectURIs(testRedirectURI)}, opts...)...)
}

// relyingParty is a plain OpenID Connect client built from x/oauth2 and
// go-oidc, as an application would use them.
type relyingParty struct {
	oauth    oauth2.Config
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

func newRelyingParty(t *testing.T, p *testop.Provider, style oauth2.AuthStyle) *relyingParty {
	t.Helper()
	provider, err := oidc.NewProvider(t.Context(), p.Issuer())
	if err != nil {
		t.Fatalf("discover provider: %v", err)
	}
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = style
	return &relyingParty{
		oauth: oauth2.Config{
			ClientID:     p.ClientID(),
			ClientSecret: p.ClientSecret(),
			Endpoint:     endpoint,
			RedirectURL:  testRedirectURI,
			Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
		},
		provider: provider,
		verifier: provider.Verifier(&oidc.Config{ClientID: p.ClientID()}),
	}
}

// authorize sends an authorization request with PKCE, testState and
// testNonce, and returns the code from the redirect.
func (rp *relyingParty) authorize(t *testing.T, verifier string) string {
	t.Helper()
	query := redirectQuery(t, rp.oauth.AuthCodeURL(testState, oauth2.S256ChallengeOption(verifier), oidc.Nonce(testNonce)))
	if got := query.Get("state"); got != testState {
		t.Fatalf("redirect state = %q, want %q", got, testState)
	}
	code := query.Get("code")
	if code == "" {
		t.Fatalf("redirect has no code: error=%q error_description=%q", query.Get("error"), query.Get("error_description"))
	}
	return code
}

// signIn runs the whole code flow and returns the token and its raw ID token.
func (rp *relyingParty) signIn(t *testing.T) (*oauth2.Token, string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	code := rp.authorize(t, verifier)
	token, err := rp.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange code: %v", err)
	}
	rawIDToken, _ := token.Extra("id_token").(string)
	return token, rawIDToken
}

// getWithoutRedirect sends a GET and returns the response and body without
// following redirects.
func getWithoutRedirect(t *testing.T, rawURL string) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, body
}

// redirectQuery sends an authorization request and returns the query of the
// 302 Location, after checking that it points at testRedirectURI.
func redirectQuery(t *testing.T, authURL string) url.Values {
	t.Helper()
	resp, body := getWithoutRedirect(t, authURL)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize status = %d, want 302; body %q", resp.StatusCode, body)
	}
	location, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize Location: %v", err)
	}
	if got := location.Scheme + "://" + location.Host + location.Path; got != testRedirectURI {
		t.Fatalf("redirect target = %q, want %q", got, testRedirectURI)
	}
	return location.Query()
}

// tokenForm returns a valid authorization_code request body without client
// credentials.
func tokenForm(code, verifier string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {testRedirectURI},
		"code_verifier": {verifier},
	}
}

// postToken posts form to the token endpoint, with HTTP Basic credentials
// when basic is true, and returns the status and body.
func postToken(t *testing.T, p *testop.Provider, form url.Values, basic bool) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.URL()+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("build token request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(p.ClientID()), url.QueryEscape(p.ClientSecret()))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST token: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read token body: %v", err)
	}
	return resp.StatusCode, body
}

// oauthErrorCode returns the error field of a JSON error body.
func oauthErrorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decode error body %q: %v", body, err)
	}
	return e.Error
}

// decodeJWT returns the header and claims of a compact JWT without checking
// its signature.
func decodeJWT(t *testing.T, raw string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts, want 3", len(parts))
	}
	decode := func(part string, v any) {
		data, err := base64.RawURLEncoding.DecodeString(part)
		if err != nil {
			t.Fatalf("decode JWT part: %v", err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("unmarshal JWT part %q: %v", data, err)
		}
	}
	decode(parts[0], &header)
	decode(parts[1], &claims)
	return header, claims
}
