package testop

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Endpoint names one route of the provider for Count.
type Endpoint string

// The endpoints that Count tracks.
const (
	EndpointDiscovery Endpoint = "discovery"
	EndpointAuthorize Endpoint = "authorize"
	EndpointToken     Endpoint = "token"
	EndpointUserinfo  Endpoint = "userinfo"
	EndpointJWKS      Endpoint = "jwks"
)

// AuthMethod is a client authentication method of the token endpoint, named
// as in the token_endpoint_auth_methods_supported discovery field.
type AuthMethod string

// The client authentication methods the provider can accept.
const (
	AuthMethodBasic AuthMethod = "client_secret_basic"
	AuthMethodPost  AuthMethod = "client_secret_post"
)

// Lifetimes of what the provider issues, measured on the provider's clock.
const (
	CodeLifetime        = time.Minute
	IDTokenLifetime     = 5 * time.Minute
	AccessTokenLifetime = time.Hour
)

// Identity is the person the provider signs in. Empty fields are left out
// of the ID token and userinfo, except Subject.
type Identity struct {
	Subject string
	Email   string
	// EmailVerified becomes the email_verified claim as given. A bool is
	// the normal form, and a string such as "true" imitates providers that
	// send one. Nil leaves the claim out.
	EmailVerified any
	Name          string
	Groups        []string
	// Extra holds more claims. They cannot replace the protocol claims
	// (iss, sub, aud, exp, iat, nbf, nonce, azp, auth_time) but do replace
	// email, email_verified, name and groups.
	Extra map[string]any
}

// clone returns a copy that shares no slice or map with id. Nested values
// inside Extra are still shared.
func (id Identity) clone() Identity {
	id.Groups = slices.Clone(id.Groups)
	id.Extra = maps.Clone(id.Extra)
	return id
}

// Provider is a running test OpenID provider. Create it with New.
type Provider struct {
	t      testing.TB
	server *httptest.Server
	// closing is closed when the test ends, so that delayed responses stop
	// waiting before the server shuts down.
	closing chan struct{}

	// These fields are set by New and never change.
	issuer       string
	clientID     string
	clientSecret string
	authMethods  []AuthMethod
	algorithm    jose.SignatureAlgorithm

	mu              sync.Mutex
	redirectURIs    map[string]bool    // guarded by mu
	defaultIdentity Identity           // guarded by mu
	queue           []Identity         // guarded by mu
	codes           map[string]grant   // guarded by mu; key is the code
	accessTokens    map[string]session // guarded by mu; key is the access token
	counts          map[Endpoint]int   // guarded by mu
	clockOffset     time.Duration      // guarded by mu; added to time.Now
	keys            keyring            // guarded by mu
	faults          faults             // guarded by mu
}

// settings collects what the options choose before New starts the server.
type settings struct {
	clientID        string
	clientSecret    string
	redirectURIs    []string
	trailingSlash   bool
	issuerPath      string
	algorithm       jose.SignatureAlgorithm
	authMethods     []AuthMethod
	defaultIdentity *Identity
}

// Option changes a setting of New.
type Option func(*settings)

// WithClient sets the registered client ID and secret. The default client ID
// is "testop-client" and the default secret is random.
func WithClient(id, secret string) Option {
	return func(s *settings) {
		s.clientID = id
		s.clientSecret = secret
	}
}

// WithRedirectURIs registers redirect URIs in addition to those added later
// with AddRedirectURI. The authorization endpoint compares them as exact
// strings.
func WithRedirectURIs(uris ...string) Option {
	return func(s *settings) { s.redirectURIs = append(s.redirectURIs, uris...) }
}

// WithIssuerTrailingSlash makes the issuer end in "/", as Auth0 issuers do.
// The endpoint URLs stay below URL and do not change.
func WithIssuerTrailingSlash() Option {
	return func(s *settings) { s.trailingSlash = true }
}

// WithIssuerPath puts the issuer below URL at path, such as
// "/common/v2.0", as vendors with one host for many issuers do. The
// discovery document is then also served at path +
// "/.well-known/openid-configuration". The other endpoints stay below URL.
func WithIssuerPath(path string) Option {
	return func(s *settings) { s.issuerPath = strings.TrimSuffix(path, "/") }
}

// WithSigningAlgorithm sets the algorithm of the signing key and the only
// value of id_token_signing_alg_values_supported. The default is RS256 with
// an RSA 2048-bit key. ES256 uses a P-256 key, and RS384, RS512, PS256,
// PS384, PS512, ES384, ES512 and EdDSA also work.
func WithSigningAlgorithm(alg jose.SignatureAlgorithm) Option {
	return func(s *settings) { s.algorithm = alg }
}

// WithTokenAuthMethods sets which client authentication methods the token
// endpoint accepts and advertises. The default is both AuthMethodBasic and
// AuthMethodPost.
func WithTokenAuthMethods(methods ...AuthMethod) Option {
	return func(s *settings) { s.authMethods = slices.Clone(methods) }
}

// WithDefaultIdentity sets the identity signed in when the queue is empty.
func WithDefaultIdentity(id Identity) Option {
	return func(s *settings) { s.defaultIdentity = &id }
}

// DefaultIdentity returns the identity a new Provider signs in unless
// WithDefaultIdentity or SetDefaultIdentity chose another.
func DefaultIdentity() Identity {
	return Identity{
		Subject:       "testop-user-1",
		Email:         "ada@example.com",
		EmailVerified: true,
		Name:          "Ada Lovelace",
		Groups:        []string{"engineers"},
	}
}

// New starts a provider on 127.0.0.1 and registers its shutdown with
// t.Cleanup. It fails the test when an option is invalid or a key cannot be
// generated.
func New(t testing.TB, opts ...Option) *Provider {
	t.Helper()

	s := settings{
		clientID:     "testop-client",
		clientSecret: rand.Text(),
		algorithm:    jose.RS256,
		authMethods:  []AuthMethod{AuthMethodBasic, AuthMethodPost},
	}
	for _, opt := range opts {
		opt(&s)
	}
	if err := s.validate(); err != nil {
		t.Fatalf("testop: %v", err)
	}

	key, err := generateKey(s.algorithm)
	if err != nil {
		t.Fatalf("testop: generate signing key: %v", err)
	}

	p := &Provider{
		t:               t,
		closing:         make(chan struct{}),
		clientID:        s.clientID,
		clientSecret:    s.clientSecret,
		authMethods:     s.authMethods,
		algorithm:       s.algorithm,
		redirectURIs:    make(map[string]bool),
		defaultIdentity: DefaultIdentity(),
		codes:           make(map[string]grant),
		accessTokens:    make(map[string]session),
		counts:          make(map[Endpoint]int),
		keys:            keyring{current: key, published: []signingKey{key}},
	}
	for _, uri := range s.redirectURIs {
		p.redirectURIs[uri] = true
	}
	if s.defaultIdentity != nil {
		p.defaultIdentity = s.defaultIdentity.clone()
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", p.counted(EndpointDiscovery, p.handleDiscovery))
	if s.issuerPath != "" {
		mux.HandleFunc(s.issuerPath+"/.well-known/openid-configuration", p.counted(EndpointDiscovery, p.handleDiscovery))
	}
	mux.HandleFunc("/authorize", p.counted(EndpointAuthorize, p.handleAuthorize))
	mux.HandleFunc("/token", p.counted(EndpointToken, p.handleToken))
	mux.HandleFunc("/userinfo", p.counted(EndpointUserinfo, p.handleUserinfo))
	mux.HandleFunc("/jwks", p.counted(EndpointJWKS, p.handleJWKS))

	// httptest.NewServer listens on 127.0.0.1, or on ::1 when IPv4 is absent.
	p.server = httptest.NewServer(mux)
	p.issuer = p.server.URL + s.issuerPath
	if s.trailingSlash {
		p.issuer += "/"
	}
	t.Cleanup(func() {
		close(p.closing)
		p.server.Close()
	})
	return p
}

func (s settings) validate() error {
	if s.clientID == "" {
		return fmt.Errorf("client ID is empty")
	}
	if s.clientSecret == "" {
		return fmt.Errorf("client secret is empty")
	}
	if len(s.authMethods) == 0 {
		return fmt.Errorf("no token endpoint auth method is set (use %s or %s)", AuthMethodBasic, AuthMethodPost)
	}
	for _, m := range s.authMethods {
		if m != AuthMethodBasic && m != AuthMethodPost {
			return fmt.Errorf("token endpoint auth method %q is not supported (use %s or %s)", m, AuthMethodBasic, AuthMethodPost)
		}
	}
	return nil
}

// URL returns the base URL of the server, without a trailing slash.
func (p *Provider) URL() string { return p.server.URL }

// Issuer returns the issuer identifier: URL followed by the path of
// WithIssuerPath, with a trailing slash when WithIssuerTrailingSlash was
// given.
func (p *Provider) Issuer() string { return p.issuer }

// ClientID returns the registered client ID.
func (p *Provider) ClientID() string { return p.clientID }

// ClientSecret returns the registered client secret.
func (p *Provider) ClientSecret() string { return p.clientSecret }

// AddRedirectURI registers one more redirect URI for the client.
func (p *Provider) AddRedirectURI(uri string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redirectURIs[uri] = true
}

// SetDefaultIdentity sets the identity signed in when the queue is empty.
func (p *Provider) SetDefaultIdentity(id Identity) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.defaultIdentity = id.clone()
}

// QueueIdentity appends an identity to the queue. Each successful
// authorization request takes the first queued identity, in order.
func (p *Provider) QueueIdentity(id Identity) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queue = append(p.queue, id.clone())
}

// nextIdentityLocked takes the first queued identity, or the default one.
func (p *Provider) nextIdentityLocked() Identity {
	if len(p.queue) == 0 {
		return p.defaultIdentity.clone()
	}
	id := p.queue[0]
	p.queue = p.queue[1:]
	return id
}

// Count returns how many requests reached an endpoint, whatever their
// method, outcome or fault.
func (p *Provider) Count(e Endpoint) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[e]
}

func (p *Provider) counted(e Endpoint, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.counts[e]++
		p.mu.Unlock()
		next(w, r)
	}
}

// AdvanceClock moves the provider's clock forward by d. The clock decides
// code and access token expiry and the time claims of new ID tokens.
func (p *Provider) AdvanceClock(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clockOffset += d
}

func (p *Provider) nowLocked() time.Time {
	return time.Now().Add(p.clockOffset)
}

// discoveryDocument is the subset of OpenID Connect Discovery 1.0 metadata
// the provider publishes.
type discoveryDocument struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
}

func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}

	p.mu.Lock()
	f := &p.faults.discovery
	fail := f.Failures > 0
	if fail {
		f.Failures--
	}
	issuer := p.issuer
	if f.Issuer != "" {
		issuer = f.Issuer
	}
	p.mu.Unlock()

	if fail {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "discovery is temporarily unavailable", http.StatusServiceUnavailable)
		return
	}

	methods := make([]string, len(p.authMethods))
	for i, m := range p.authMethods {
		methods[i] = string(m)
	}
	writeJSON(w, http.StatusOK, discoveryDocument{
		Issuer:                            issuer,
		AuthorizationEndpoint:             p.URL() + "/authorize",
		TokenEndpoint:                     p.URL() + "/token",
		UserinfoEndpoint:                  p.URL() + "/userinfo",
		JWKSURI:                           p.URL() + "/jwks",
		ResponseTypesSupported:            []string{"code"},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{string(p.algorithm)},
		CodeChallengeMethodsSupported:     []string{"S256"},
		TokenEndpointAuthMethodsSupported: methods,
		ScopesSupported:                   []string{"openid", "email", "profile", "groups"},
		ClaimsSupported: []string{
			"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp",
			"email", "email_verified", "name", "groups",
		},
		GrantTypesSupported: []string{"authorization_code"},
	})
}

// allowMethods sends 405 and returns false unless r uses one of methods.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// An encoding error means the client disconnected, so it cannot be
	// reported to the client.
	_ = json.NewEncoder(w).Encode(v)
}

// internalError fails the test and sends 500. It is for faults of the
// provider itself, never for bad client requests.
func (p *Provider) internalError(w http.ResponseWriter, err error) {
	p.t.Errorf("testop: %v", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{
		"error":             "server_error",
		"error_description": "the test provider failed",
	})
}
