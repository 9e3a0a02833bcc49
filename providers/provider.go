package providers

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Token endpoint client authentication methods (RFC 8414 names).
const (
	AuthMethodAuto  = "auto"
	AuthMethodBasic = "client_secret_basic"
	AuthMethodPost  = "client_secret_post"
	AuthMethodNone  = "none"
)

// DefaultAlgorithms are the ID token signing algorithms accepted when the
// configuration names none.
var DefaultAlgorithms = []string{"RS256", "ES256"}

// DefaultClockSkew is the tolerance applied to exp, iat and nbf when the
// configuration names none.
const DefaultClockSkew = 2 * time.Minute

// Config describes one configured provider.
type Config struct {
	ID              string            // names the provider in /login/{id} and /callback/{id}
	Name            string            // display name on the chooser page
	Issuer          string            // expected issuer, compared byte for byte with discovery and tokens
	ClientID        string            // our client ID at the provider
	ClientSecret    string            // our client secret; empty for a public client
	Scopes          []string          // requested scopes; must contain openid
	AuthParams      map[string]string // extra authorization request parameters
	TokenAuthMethod string            // one of the AuthMethod constants; empty means auto
	Algorithms      []string          // allowed ID token algorithms; empty means DefaultAlgorithms
	ClockSkew       time.Duration     // tolerance for exp, iat and nbf; zero means none
	UserInfo        bool              // also call userinfo and merge its claims
	RedirectURL     string            // our callback URL, built from the public URL

	// DiscoveryURL is the discovery document's URL. Empty means
	// Issuer + "/.well-known/openid-configuration". Set it when the bridge
	// reaches the provider at an internal address while tokens carry the
	// public issuer; the document must still name Issuer.
	DiscoveryURL string
	// Endpoints replace the discovery document's endpoints. With the
	// authorization, token and JWKS URLs all set, no discovery document is
	// fetched at all.
	Endpoints Endpoints
	// IssuerAliases are further iss values accepted in ID tokens for Issuer.
	// Identities still carry Issuer, so user IDs do not depend on the form.
	IssuerAliases []string
	// TenantClaim, when set, makes Issuer a template holding
	// TenantPlaceholder: each ID token's iss must equal the template filled
	// with the token's own value of this claim (Entra's "tid").
	TenantClaim string
	// Claims names the claims the Identity is read from.
	Claims ClaimNames
	// Rules decide which verified identities may sign in.
	Rules Rules
}

// Endpoints are provider URLs set by configuration instead of discovery.
// An empty field keeps the discovered value.
type Endpoints struct {
	Authorization string
	Token         string
	Userinfo      string
	JWKS          string
}

// complete reports whether the endpoints suffice without discovery.
func (e Endpoints) complete() bool {
	return e.Authorization != "" && e.Token != "" && e.JWKS != ""
}

// Provider is one OpenID Connect provider. It is safe for concurrent use.
// Create it with New, then call Discover (or Run) before using it for logins.
type Provider struct {
	cfg    Config
	client *http.Client
	now    func() time.Time

	mu    sync.RWMutex
	ready *discovered // nil until discovery succeeded
}

// discovered holds everything derived from a successful discovery.
type discovered struct {
	oauth2      oauth2.Config
	verifier    *oidc.IDTokenVerifier
	keys        *keySet // the JWKS cache behind verifier
	userinfoURL string
	algorithms  []string
}

// Option changes how a Provider is built.
type Option func(*Provider)

// WithClock replaces the clock used for token time checks. Tests use it.
func WithClock(now func() time.Time) Option {
	return func(p *Provider) { p.now = now }
}

// New returns a Provider for cfg without contacting the provider. The HTTP
// client is used for discovery, JWKS, token and userinfo requests and should
// carry a timeout.
func New(cfg Config, client *http.Client, opts ...Option) (*Provider, error) {
	if cfg.ID == "" || cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, fmt.Errorf("provider %q: id, issuer, client ID and redirect URL are required", cfg.ID)
	}
	if !slices.Contains(cfg.Scopes, oidc.ScopeOpenID) {
		return nil, fmt.Errorf("provider %q: scopes must contain %q", cfg.ID, oidc.ScopeOpenID)
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = DefaultAlgorithms
	}
	if cfg.Name == "" {
		cfg.Name = cfg.ID
	}
	if cfg.TenantClaim != "" && !strings.Contains(cfg.Issuer, TenantPlaceholder) {
		return nil, fmt.Errorf("provider %q: tenant claim %q is set but issuer %q lacks %s", cfg.ID, cfg.TenantClaim, cfg.Issuer, TenantPlaceholder)
	}
	cfg.Claims = cfg.Claims.withDefaults()
	p := &Provider{cfg: cfg, client: client, now: time.Now}
	for _, opt := range opts {
		opt(p)
	}
	return p, nil
}

// ID returns the provider's configured ID.
func (p *Provider) ID() string { return p.cfg.ID }

// Name returns the provider's display name.
func (p *Provider) Name() string { return p.cfg.Name }

// Issuer returns the configured issuer.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// Ready reports whether discovery has completed.
func (p *Provider) Ready() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.ready != nil
}

func (p *Provider) state() (*discovered, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.ready == nil {
		return nil, fmt.Errorf("provider %q: %w", p.cfg.ID, ErrNotReady)
	}
	return p.ready, nil
}

// AuthCodeURL returns the provider's authorization URL for one flow. The
// nonce is sent as the OIDC nonce and the code verifier as an S256 code
// challenge; the caller stores all three values for the callback.
func (p *Provider) AuthCodeURL(state, nonce, verifier string) (string, error) {
	d, err := p.state()
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	for key, value := range p.cfg.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(key, value))
	}
	return d.oauth2.AuthCodeURL(state, opts...), nil
}
