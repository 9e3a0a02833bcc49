// Package testop runs an OpenID provider on 127.0.0.1 for tests. It signs
// real JWTs, and tests can make it misbehave on demand.
//
// New starts the provider and stops it when the test ends. The provider
// serves these routes below its URL:
//
//	GET  /.well-known/openid-configuration  discovery document
//	GET  /authorize                         authorization code request (GET or POST)
//	POST /token                             code redemption with PKCE (S256)
//	GET  /userinfo                          claims for a Bearer access token (GET or POST)
//	GET  /jwks                              public signing keys
//
// There is no login page. The authorization endpoint redirects at once with
// a code for the next queued Identity, or for the default one when the queue
// is empty. PKCE is mandatory, so a client that omits the code challenge
// receives an invalid_request error.
//
// Faults are grouped by endpoint (IDTokenFaults, TokenFaults,
// UserinfoFaults, DiscoveryFaults, AuthorizeFaults). Each group has a setter
// that replaces the whole group and takes effect from the next request.
// ResetFaults returns the provider to normal behaviour. Every method of
// Provider is safe for concurrent use.
//
// The package is meant for tests only. Its error descriptions name the
// failed rule so that a failing test explains itself.
package testop
