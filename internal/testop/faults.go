package testop

import (
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// faults holds every fault group. The zero value is a well-behaved provider.
type faults struct {
	idToken   IDTokenFaults
	token     TokenFaults
	userinfo  UserinfoFaults
	discovery DiscoveryFaults
	authorize AuthorizeFaults
}

// IDTokenFaults change the ID tokens the token endpoint issues. The zero
// value changes nothing, and several fields can be combined.
type IDTokenFaults struct {
	// Unsigned sends an unsecured JWT: header alg "none" and an empty
	// signature. It overrides every other signing fault.
	Unsigned bool
	// BadSignature corrupts the signature after signing.
	BadSignature bool
	// HMACWithPublicKey signs with HS256, using as the secret the PEM
	// "PUBLIC KEY" block of the signing key's public key, and keeps that
	// key's kid. A verifier that takes the alg header on trust and feeds the
	// published key to HMAC accepts the token.
	HMACWithPublicKey bool
	// Algorithm signs with this algorithm instead of the advertised one,
	// for example RS384 or RS512. The current key is used when it fits
	// (any RSA algorithm for an RSA key), otherwise a new key is made and
	// published in the JWKS so that only the algorithm check can fail.
	Algorithm jose.SignatureAlgorithm

	// Issuer replaces the iss claim.
	Issuer string
	// Audience replaces the aud claim, sent as a JSON array. Use a list
	// without ClientID for a foreign audience, or ClientID and others for
	// several audiences.
	Audience []string
	// AuthorizedParty sets the azp claim, which is otherwise absent.
	AuthorizedParty string
	// ExpiredFor sets exp to this long before now instead of 5 minutes after.
	ExpiredFor time.Duration
	// IssuedInFuture sets iat to this long after now.
	IssuedInFuture time.Duration
	// NotBeforeInFuture adds an nbf claim this long after now.
	NotBeforeInFuture time.Duration
	// OmitNonce leaves the nonce claim out even when the request had one.
	OmitNonce bool
	// Nonce replaces the nonce claim, for a wrong nonce.
	Nonce string

	// OmitKeyID leaves the kid header out.
	OmitKeyID bool
	// UnknownKeyID sets a kid header that no published key has, while the
	// signature is still made with the current key.
	UnknownKeyID bool
}

// TokenFaults change the responses of the token endpoint. Delay applies
// first. Then Status, Garbage and ErrorWithOK, in that order, replace the
// response before the request is checked, so they consume no code. The other
// fields change a successful response.
type TokenFaults struct {
	// Delay holds each response back this long. The wait ends early when the
	// client disconnects or the test ends, and no response is written then.
	Delay time.Duration
	// Status sends this HTTP status (a 5xx or 429) with the body
	// {"error":"server_error"}. 429 and 503 carry "Retry-After: 1".
	Status int
	// Garbage sends 200 with a Content-Type of application/json and a body
	// that is not JSON.
	Garbage bool
	// ErrorWithOK sends 200 with {"error":"invalid_grant"} and no token.
	ErrorWithOK bool
	// OmitIDToken leaves id_token out of a successful response.
	OmitIDToken bool
	// ExpiresInString sends expires_in as the JSON string "3600".
	ExpiresInString bool
}

// UserinfoFaults change the responses of the userinfo endpoint.
type UserinfoFaults struct {
	// Status sends this HTTP status with an error body, whatever the access
	// token.
	Status int
	// Subject replaces sub, so it differs from the ID token's.
	Subject string
}

// DiscoveryFaults change the discovery document.
type DiscoveryFaults struct {
	// Failures is how many of the next discovery requests get 503. Each
	// failed request lowers it by one.
	Failures int
	// Issuer replaces the issuer field of the document.
	Issuer string
}

// AuthorizeFaults change the responses of the authorization endpoint.
type AuthorizeFaults struct {
	// Error, when set, is sent to the redirect URI as the error parameter,
	// with ErrorDescription and the state, in place of a code. The client ID
	// and redirect URI are still checked first. Use OAuth 2.0 codes such as
	// access_denied, and put HTML characters into ErrorDescription to test
	// escaping.
	Error            string
	ErrorDescription string
}

// SetIDTokenFaults replaces the ID token faults for the next tokens.
func (p *Provider) SetIDTokenFaults(f IDTokenFaults) {
	f.Audience = slices.Clone(f.Audience)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults.idToken = f
}

// SetTokenFaults replaces the token endpoint faults for the next requests.
func (p *Provider) SetTokenFaults(f TokenFaults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults.token = f
}

// SetUserinfoFaults replaces the userinfo faults for the next requests.
func (p *Provider) SetUserinfoFaults(f UserinfoFaults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults.userinfo = f
}

// SetDiscoveryFaults replaces the discovery faults for the next requests,
// including the count of remaining failures.
func (p *Provider) SetDiscoveryFaults(f DiscoveryFaults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults.discovery = f
}

// SetAuthorizeFaults replaces the authorization endpoint faults for the next
// requests.
func (p *Provider) SetAuthorizeFaults(f AuthorizeFaults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults.authorize = f
}

// ResetFaults clears every fault. Keys, identities and counters stay.
func (p *Provider) ResetFaults() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = faults{}
}
