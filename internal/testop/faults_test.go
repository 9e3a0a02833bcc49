package testop_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/tokenbridge/tokenbridge/internal/testop"
)

// fetchJWKS returns the provider's published key set.
func fetchJWKS(t *testing.T, p *testop.Provider) jose.JSONWebKeySet {
	t.Helper()
	resp, body := getWithoutRedirect(t, p.URL()+"/jwks")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("jwks status = %d", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatalf("decode jwks: %v", err)
	}
	return set
}

// publishedKey returns the one JWKS key with kid.
func publishedKey(t *testing.T, p *testop.Provider, kid string) jose.JSONWebKey {
	t.Helper()
	set := fetchJWKS(t, p)
	keys := set.Key(kid)
	if len(keys) != 1 {
		t.Fatalf("JWKS has %d keys with kid %q, want 1", len(keys), kid)
	}
	return keys[0]
}

// flipSignature undoes the corruption of BadSignature: it flips every bit of
// the first signature byte.
func flipSignature(t *testing.T, raw string) string {
	t.Helper()
	i := strings.LastIndex(raw, ".")
	signature, err := base64.RawURLEncoding.DecodeString(raw[i+1:])
	if err != nil || len(signature) == 0 {
		t.Fatalf("decode signature: %v", err)
	}
	signature[0] ^= 0xff
	return raw[:i+1] + base64.RawURLEncoding.EncodeToString(signature)
}

func TestIDTokenFaults(t *testing.T) {
	// One provider serves every row, so the rows also show that faults can
	// change between requests.
	p := newProvider(t)
	rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
	now := time.Now().Unix()

	tests := []struct {
		name           string
		givenFaults    testop.IDTokenFaults
		expectVerified bool // whether go-oidc's verifier accepts the token
		expectToken    func(t *testing.T, raw string, header, claims map[string]any)
	}{
		{
			name:        "unsigned",
			givenFaults: testop.IDTokenFaults{Unsigned: true},
			expectToken: func(t *testing.T, raw string, header, _ map[string]any) {
				if header["alg"] != "none" {
					t.Errorf("alg = %v, want none", header["alg"])
				}
				if !strings.HasSuffix(raw, ".") {
					t.Errorf("token %q has a signature, want none", raw)
				}
			},
		},
		{
			name:        "bad signature",
			givenFaults: testop.IDTokenFaults{BadSignature: true},
			expectToken: func(t *testing.T, raw string, header, _ map[string]any) {
				if header["alg"] != "RS256" {
					t.Errorf("alg = %v, want RS256", header["alg"])
				}
				// Undoing the corruption must give a valid token, so the
				// signature is the only defect.
				if _, err := rp.verifier.Verify(t.Context(), flipSignature(t, raw)); err != nil {
					t.Errorf("verify repaired token: %v", err)
				}
			},
		},
		{
			name:        "HMAC with public key",
			givenFaults: testop.IDTokenFaults{HMACWithPublicKey: true},
			expectToken: func(t *testing.T, raw string, header, _ map[string]any) {
				if header["alg"] != "HS256" || header["kid"] != p.KeyID() {
					t.Errorf("alg, kid = %v, %v, want HS256, %s", header["alg"], header["kid"], p.KeyID())
				}
				der, err := x509.MarshalPKIXPublicKey(publishedKey(t, p, p.KeyID()).Key)
				if err != nil {
					t.Fatalf("encode published key: %v", err)
				}
				secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
				i := strings.LastIndex(raw, ".")
				mac := hmac.New(sha256.New, secret)
				mac.Write([]byte(raw[:i]))
				if got, want := raw[i+1:], base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); got != want {
					t.Errorf("signature is not HMAC-SHA256 keyed with the public key PEM")
				}
			},
		},
		{
			name:        "RS384 with the RSA key",
			givenFaults: testop.IDTokenFaults{Algorithm: jose.RS384},
			expectToken: func(t *testing.T, raw string, header, _ map[string]any) {
				if header["alg"] != "RS384" || header["kid"] != p.KeyID() {
					t.Errorf("alg, kid = %v, %v, want RS384, %s", header["alg"], header["kid"], p.KeyID())
				}
				jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS384})
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				if _, err := jws.Verify(publishedKey(t, p, p.KeyID())); err != nil {
					t.Errorf("RS384 signature does not verify with the published key: %v", err)
				}
			},
		},
		{
			name:        "ES256 with a new published key",
			givenFaults: testop.IDTokenFaults{Algorithm: jose.ES256},
			expectToken: func(t *testing.T, raw string, header, _ map[string]any) {
				kid, _ := header["kid"].(string)
				set := fetchJWKS(t, p)
				keys := set.Key(kid)
				if header["alg"] != "ES256" || kid == p.KeyID() || len(keys) != 1 {
					t.Fatalf("alg, kid = %v, %q with %d published keys, want ES256 and a new kid in the JWKS", header["alg"], kid, len(keys))
				}
				jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				if _, err := jws.Verify(keys[0]); err != nil {
					t.Errorf("ES256 signature does not verify with the published key: %v", err)
				}
			},
		},
		{
			name:        "wrong issuer",
			givenFaults: testop.IDTokenFaults{Issuer: "http://127.0.0.1/other-issuer"},
			expectToken: func(t *testing.T, _ string, _, claims map[string]any) {
				if claims["iss"] != "http://127.0.0.1/other-issuer" {
					t.Errorf("iss = %v, want http://127.0.0.1/other-issuer", claims["iss"])
				}
			},
		},
		{
			name:        "audience without client",
			givenFaults: testop.IDTokenFaults{Audience: []string{"other-client"}},
			expectToken: func(t *testing.T, _ string, _, claims map[string]any) {
				if got := stringList(claims["aud"]); !slices.Equal(got, []string{"other-client"}) {
					t.Errorf("aud = %v, want [other-client]", got)
				}
			},
		},
		{
			name:           "several audiences without azp",
			givenFaults:    testop.IDTokenFaults{Audience: []string{p.ClientID(), "other-client"}},
			expectVerified: true,
			expectToken: func(t *testing.T, _ string, _, claims map[string]any) {
				if got := stringList(claims["aud"]); !slices.Equal(got, []string{p.ClientID(), "other-client"}) {
					t.Errorf("aud = %v", got)
				}
				if _, ok := claims["azp"]; ok {
					t.Errorf("azp = %v, want absent", claims["azp"])
				}
			},
		},
		{
			name:           "several audiences with azp",
			givenFaults:    testop.IDTokenFaults{Audience: []string{p.ClientID(), "other-client"}, AuthorizedParty: p.ClientID()},
			expectVerified: true,
			expectToken: func(t *testing.T, _ string, _, claims map[string]any) {
				if claims["azp"] != p.ClientID() {
					t.Errorf("azp = %v, want %s", claims["azp"], p.ClientID())
				}
			},
		},
		{
			name:           "azp of another client",
			givenFaults:    testop.IDTokenFaults{AuthorizedParty: "other-client"},
			expectVerified: true, // go-oidc leaves azp to the caller
			expectToken: func(t *testing.T, _ string, _, claims map[string]any) {
				if claims["azp"] != "other-client" {
					t.Errorf("azp = %v, want other-client", claims["azp"])
				}
			},
		},
		{
			name:        "expired",
			givenFaults: testop.IDTokenFaults{ExpiredFor: time.Hour},
			expectToken: func(t *testing.T, _ string, _, claims map[string]any) {
				if exp := claims["exp"].(float64); exp > float64(now-3500) {
					t.Errorf("exp = %v, want about an hour before %d", exp, now)
				}
			},
		},
		{
			name:           "issued in future",
			givenFaults:    testop.IDTokenFaults{IssuedInFuture: time.Hour},
			expectVerified: true, // go-oidc does not check iat
			expectToken: func(t *testing.T, _ string, _, claims map[string]any) {
				if iat := claims["iat"].(float64); iat < float64(now+3500) {
					t.Errorf("iat = %v, want about an hour after %d", iat, now)
				}
			},
		},
		{
			name:        "not valid before future",
			givenFaults: testop.IDTokenFaults{NotBeforeInFuture: time.Hour},
			expectToken: func(t *testing.T, _ string, _, claims map[string]any) {
				if nbf, _ := claims["nbf"].(float64); nbf < float64(now+3500) {
					t.Errorf("nbf = %v, want about an hour after %d", claims["nbf"], now)
				}
			},
		},
		{
			name:           "nonce missing",
			givenFaults:    testop.IDTokenFaults{OmitNonce: true},
			expectVerified: true, // go-oidc leaves the nonce to the caller
			expectToken: func(t *testing.T, _ string, _, claims map[string]any) {
				if _, ok := claims["nonce"]; ok {
					t.Errorf("nonce = %v, want absent", claims["nonce"])
				}
			},
		},
		{
			name:           "nonce wrong",
			givenFaults:    testop.IDTokenFaults{Nonce: "wrong-nonce"},
			expectVerified: true,
			expectToken: func(t *testing.T, _ string, _, claims map[string]any) {
				if claims["nonce"] != "wrong-nonce" {
					t.Errorf("nonce = %v, want wrong-nonce", claims["nonce"])
				}
			},
		},
		{
			name:           "no kid",
			givenFaults:    testop.IDTokenFaults{OmitKeyID: true},
			expectVerified: true, // go-oidc then tries every published key
			expectToken: func(t *testing.T, _ string, header, _ map[string]any) {
				if _, ok := header["kid"]; ok {
					t.Errorf("kid = %v, want absent", header["kid"])
				}
			},
		},
		{
			name:        "unknown kid",
			givenFaults: testop.IDTokenFaults{UnknownKeyID: true},
			expectToken: func(t *testing.T, _ string, header, _ map[string]any) {
				kid, _ := header["kid"].(string)
				set := fetchJWKS(t, p)
				if kid == "" || len(set.Key(kid)) != 0 {
					t.Errorf("kid = %q, want one that the JWKS lacks", kid)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.SetIDTokenFaults(tt.givenFaults)
			t.Cleanup(p.ResetFaults)

			_, raw := rp.signIn(t)

			_, err := rp.verifier.Verify(t.Context(), raw)
			if gotVerified := err == nil; gotVerified != tt.expectVerified {
				t.Errorf("verified = %v (err %v), want %v", gotVerified, err, tt.expectVerified)
			}
			header, claims := decodeJWT(t, raw)
			tt.expectToken(t, raw, header, claims)
		})
	}
}

func TestExpiredTokenError(t *testing.T) {
	p := newProvider(t)
	rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
	p.SetIDTokenFaults(testop.IDTokenFaults{ExpiredFor: time.Minute})

	_, raw := rp.signIn(t)
	_, err := rp.verifier.Verify(t.Context(), raw)

	var expired *oidc.TokenExpiredError
	if !errors.As(err, &expired) {
		t.Errorf("verify error = %v, want *oidc.TokenExpiredError", err)
	}
}

func TestSignIDTokenAppliesSigningFaults(t *testing.T) {
	p := newProvider(t)
	p.SetIDTokenFaults(testop.IDTokenFaults{Unsigned: true, Issuer: "http://127.0.0.1/ignored"})

	header, claims := decodeJWT(t, p.SignIDToken(map[string]any{"iss": "given", "sub": "s"}))

	if header["alg"] != "none" {
		t.Errorf("alg = %v, want none", header["alg"])
	}
	if claims["iss"] != "given" {
		t.Errorf("iss = %v, want the given claim", claims["iss"])
	}
}

func TestTokenFaults(t *testing.T) {
	tests := []struct {
		name         string
		givenFaults  testop.TokenFaults
		expectStatus int
		expectBody   func(t *testing.T, body []byte)
		expectCode   bool // whether the code survives for a later redemption
	}{
		{
			name:         "invalid grant with 200",
			givenFaults:  testop.TokenFaults{ErrorWithOK: true},
			expectStatus: http.StatusOK,
			expectBody: func(t *testing.T, body []byte) {
				if got := oauthErrorCode(t, body); got != "invalid_grant" {
					t.Errorf("error = %q, want invalid_grant", got)
				}
			},
			expectCode: true,
		},
		{
			name:         "no ID token",
			givenFaults:  testop.TokenFaults{OmitIDToken: true},
			expectStatus: http.StatusOK,
			expectBody: func(t *testing.T, body []byte) {
				fields := decodeFields(t, body)
				if _, ok := fields["id_token"]; ok {
					t.Errorf("id_token present, want absent")
				}
				if _, ok := fields["access_token"]; !ok {
					t.Errorf("access_token absent, want present")
				}
			},
		},
		{
			name:         "expires_in as string",
			givenFaults:  testop.TokenFaults{ExpiresInString: true},
			expectStatus: http.StatusOK,
			expectBody: func(t *testing.T, body []byte) {
				if got := string(decodeFields(t, body)["expires_in"]); got != `"3600"` {
					t.Errorf("expires_in = %s, want \"3600\"", got)
				}
			},
		},
		{
			name:         "server error",
			givenFaults:  testop.TokenFaults{Status: http.StatusInternalServerError},
			expectStatus: http.StatusInternalServerError,
			expectBody:   func(*testing.T, []byte) {},
			expectCode:   true,
		},
		{
			name:         "bad gateway",
			givenFaults:  testop.TokenFaults{Status: http.StatusBadGateway},
			expectStatus: http.StatusBadGateway,
			expectBody:   func(*testing.T, []byte) {},
			expectCode:   true,
		},
		{
			name:         "too many requests",
			givenFaults:  testop.TokenFaults{Status: http.StatusTooManyRequests},
			expectStatus: http.StatusTooManyRequests,
			expectBody:   func(*testing.T, []byte) {},
			expectCode:   true,
		},
		{
			name:         "garbage",
			givenFaults:  testop.TokenFaults{Garbage: true},
			expectStatus: http.StatusOK,
			expectBody: func(t *testing.T, body []byte) {
				if json.Valid(body) {
					t.Errorf("body %q is JSON, want garbage", body)
				}
			},
			expectCode: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
			verifier := oauth2.GenerateVerifier()
			form := tokenForm(rp.authorize(t, verifier), verifier)
			p.SetTokenFaults(tt.givenFaults)

			status, body := postToken(t, p, form, true)

			if status != tt.expectStatus {
				t.Errorf("status = %d, want %d; body %s", status, tt.expectStatus, body)
			}
			tt.expectBody(t, body)

			p.ResetFaults()
			status, _ = postToken(t, p, form, true)
			if gotCode := status == http.StatusOK; gotCode != tt.expectCode {
				t.Errorf("code redeemable after the fault = %v, want %v", gotCode, tt.expectCode)
			}
		})
	}
}

func decodeFields(t *testing.T, body []byte) map[string]json.RawMessage {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatalf("decode token body %q: %v", body, err)
	}
	return fields
}

func TestTokenFaultsSeenByOAuth2(t *testing.T) {
	tests := []struct {
		name         string
		givenFaults  testop.TokenFaults
		expectStatus int
		expectError  string
	}{
		{name: "invalid grant with 200", givenFaults: testop.TokenFaults{ErrorWithOK: true}, expectStatus: http.StatusOK, expectError: "invalid_grant"},
		{name: "service unavailable", givenFaults: testop.TokenFaults{Status: http.StatusServiceUnavailable}, expectStatus: http.StatusServiceUnavailable, expectError: "server_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
			verifier := oauth2.GenerateVerifier()
			code := rp.authorize(t, verifier)
			p.SetTokenFaults(tt.givenFaults)

			_, err := rp.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))

			var retrieveErr *oauth2.RetrieveError
			if !errors.As(err, &retrieveErr) {
				t.Fatalf("exchange error = %v, want *oauth2.RetrieveError", err)
			}
			if retrieveErr.Response.StatusCode != tt.expectStatus {
				t.Errorf("status = %d, want %d", retrieveErr.Response.StatusCode, tt.expectStatus)
			}
			if retrieveErr.ErrorCode != tt.expectError {
				t.Errorf("error code = %q, want %q", retrieveErr.ErrorCode, tt.expectError)
			}
		})
	}
}

func TestTokenDelayCausesTimeout(t *testing.T) {
	p := newProvider(t)
	rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
	verifier := oauth2.GenerateVerifier()
	code := rp.authorize(t, verifier)
	p.SetTokenFaults(testop.TokenFaults{Delay: 10 * time.Second})
	client := &http.Client{Timeout: 200 * time.Millisecond}
	ctx := oidc.ClientContext(t.Context(), client)

	start := time.Now()
	_, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	elapsed := time.Since(start)

	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("exchange error = %v, want a timeout", err)
	}
	if elapsed > 5*time.Second {
		t.Errorf("exchange took %v, want the client timeout of 200ms", elapsed)
	}
}

func TestUserinfoFaults(t *testing.T) {
	tests := []struct {
		name          string
		givenFaults   testop.UserinfoFaults
		expectError   bool
		expectSubject string
	}{
		{name: "other subject", givenFaults: testop.UserinfoFaults{Subject: "someone-else"}, expectSubject: "someone-else"},
		{name: "failing", givenFaults: testop.UserinfoFaults{Status: http.StatusInternalServerError}, expectError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
			token, _ := rp.signIn(t)
			p.SetUserinfoFaults(tt.givenFaults)

			info, err := rp.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(token))

			if tt.expectError {
				if err == nil || !strings.Contains(err.Error(), "500") {
					t.Errorf("userinfo error = %v, want a 500", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			if info.Subject != tt.expectSubject {
				t.Errorf("sub = %q, want %q", info.Subject, tt.expectSubject)
			}
		})
	}
}

func TestDiscoveryFailuresThenRecovery(t *testing.T) {
	p := newProvider(t)
	p.SetDiscoveryFaults(testop.DiscoveryFaults{Failures: 2})

	for i := range 2 {
		_, err := oidc.NewProvider(t.Context(), p.Issuer())
		if err == nil || !strings.Contains(err.Error(), "503") {
			t.Errorf("discovery attempt %d error = %v, want a 503", i+1, err)
		}
	}
	if _, err := oidc.NewProvider(t.Context(), p.Issuer()); err != nil {
		t.Errorf("discovery attempt 3: %v", err)
	}
	if n := p.Count(testop.EndpointDiscovery); n != 3 {
		t.Errorf("Count(discovery) = %d, want 3", n)
	}
}

func TestDiscoveryIssuerMismatch(t *testing.T) {
	p := newProvider(t)
	p.SetDiscoveryFaults(testop.DiscoveryFaults{Issuer: "http://127.0.0.1/not-this-one"})

	_, err := oidc.NewProvider(t.Context(), p.Issuer())

	if err == nil || !strings.Contains(err.Error(), "did not match") {
		t.Errorf("discovery error = %v, want an issuer mismatch", err)
	}
}

func TestAuthorizeForcedError(t *testing.T) {
	const description = `<script>alert("x")</script> & 'quotes'`
	p := newProvider(t)
	rp := newRelyingParty(t, p, oauth2.AuthStyleInHeader)
	p.SetAuthorizeFaults(testop.AuthorizeFaults{Error: "access_denied", ErrorDescription: description})

	query := redirectQuery(t, rp.oauth.AuthCodeURL(testState, oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))

	if got := query.Get("error"); got != "access_denied" {
		t.Errorf("error = %q, want access_denied", got)
	}
	if got := query.Get("error_description"); got != description {
		t.Errorf("error_description = %q, want %q", got, description)
	}
	if got := query.Get("state"); got != testState {
		t.Errorf("state = %q, want %q", got, testState)
	}
	if query.Has("code") {
		t.Errorf("redirect has a code next to an error")
	}
	if n := p.Count(testop.EndpointToken); n != 0 {
		t.Errorf("Count(token) = %d, want 0", n)
	}
}
