package providers

import (
	"errors"
	"fmt"
)

// Sentinel errors that callers match with errors.Is to choose an outcome.
var (
	// ErrNotReady means the discovery document has not been loaded yet.
	ErrNotReady = errors.New("provider discovery has not completed")

	// ErrIssuerMismatch means the discovery document names another issuer
	// than the configured one. Retrying does not help: the configuration is wrong.
	ErrIssuerMismatch = errors.New("discovered issuer differs from the configured issuer")

	// ErrUnavailable means the provider could not be reached or responded
	// with a server error, garbage or nothing in time.
	ErrUnavailable = errors.New("provider unavailable")

	// ErrExchangeRejected means the token endpoint rejected the authorization
	// code with an OAuth error such as invalid_grant.
	ErrExchangeRejected = errors.New("token endpoint rejected the authorization code")

	// ErrInvalidIDToken means the ID token is missing, malformed, or failed
	// a verification rule (signature, algorithm, issuer, audience, azp,
	// expiry, iat, nbf or nonce).
	ErrInvalidIDToken = errors.New("invalid ID token")

	// ErrUserInfo means the userinfo response could not be used, for example
	// because its subject differs from the ID token's.
	ErrUserInfo = errors.New("invalid userinfo response")
)

// TokenError describes an OAuth error response from the token endpoint. It
// keeps the status and the error code but never the response body, which
// may carry data that must not reach logs or pages.
type TokenError struct {
	Status int    // HTTP status of the token response
	Code   string // OAuth "error" value, such as invalid_grant; empty if none was sent
}

func (e *TokenError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("token endpoint returned HTTP %d without an OAuth error code", e.Status)
	}
	return fmt.Sprintf("token endpoint returned HTTP %d with error %q", e.Status, e.Code)
}
