// Package providers connects tokenbridge to OpenID Connect providers.
//
// A Provider fetches the provider's discovery document once, builds the
// authorization request (state, nonce and an S256 PKCE code challenge),
// exchanges the authorization code, verifies the ID token and maps its claims
// to an Identity.
//
// Verification goes beyond go-oidc's IDTokenVerifier, which checks the
// signature, issuer and audience but leaves the nonce to the caller, applies no
// leeway to exp and allows five minutes on nbf. This package adds the nonce
// comparison, the authorized party (azp) rules, one configurable clock skew for
// exp, iat and nbf, and an algorithm allow-list intersected with discovery.
//
// The package returns errors and never logs; callers pick the HTTP status and
// error code with errors.Is against the sentinel errors in errors.go.
package providers
