package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// maxDiscoveryBytes caps the discovery document and JWKS sizes we read.
const maxDiscoveryBytes = 1 << 20

// discoveryDocument holds the discovery fields tokenbridge uses (OpenID
// Connect Discovery 1.0, section 3).
type discoveryDocument struct {
	Issuer                 string   `json:"issuer"`
	AuthorizationEndpoint  string   `json:"authorization_endpoint"`
	TokenEndpoint          string   `json:"token_endpoint"`
	UserinfoEndpoint       string   `json:"userinfo_endpoint"`
	JWKSURI                string   `json:"jwks_uri"`
	SigningAlgorithms      []string `json:"id_token_signing_alg_values_supported"`
	TokenAuthMethods       []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethods   []string `json:"code_challenge_methods_supported"`
	ResponseTypesSupported []string `json:"response_types_supported"`
}

// Discover fetches the discovery document, checks that its issuer equals
// the configured one and prepares the provider for logins. An issuer
// mismatch wraps ErrIssuerMismatch and names both values; a failed fetch
// wraps ErrUnavailable.
func (p *Provider) Discover(ctx context.Context) error {
	doc, err := p.loadDiscovery(ctx)
	if err != nil {
		return err
	}
	if doc.Issuer != p.cfg.Issuer {
		return fmt.Errorf("provider %q: %w: configured %q, discovery document says %q (set issuer to the discovered value if it is right)",
			p.cfg.ID, ErrIssuerMismatch, p.cfg.Issuer, doc.Issuer)
	}
	if doc.AuthorizationEndpoint == "" || doc.TokenEndpoint == "" || doc.JWKSURI == "" {
		return fmt.Errorf("provider %q: discovery document lacks authorization_endpoint, token_endpoint or jwks_uri", p.cfg.ID)
	}

	algorithms := allowedAlgorithms(p.cfg.Algorithms, doc.SigningAlgorithms)
	if len(algorithms) == 0 {
		return fmt.Errorf("provider %q: none of the allowed algorithms %v is among the provider's %v (adjust algorithms)",
			p.cfg.ID, p.cfg.Algorithms, doc.SigningAlgorithms)
	}
	if len(doc.CodeChallengeMethods) > 0 && !slices.Contains(doc.CodeChallengeMethods, "S256") {
		return fmt.Errorf("provider %q: discovery lists code challenge methods %v without S256, which tokenbridge requires",
			p.cfg.ID, doc.CodeChallengeMethods)
	}
	authStyle, err := p.authStyle(doc.TokenAuthMethods)
	if err != nil {
		return err
	}

	keys := newKeySet(doc.JWKSURI, p.client, algorithms)
	// The key set shares the provider's clock, so a test clock also moves
	// the JWKS refresh limit.
	keys.now = p.now
	verifier := oidc.NewVerifier(p.cfg.Issuer, keys, &oidc.Config{
		ClientID:             p.cfg.ClientID,
		SupportedSigningAlgs: algorithms,
		// Expiry, nbf and iat are checked with the configured skew in checkClaims.
		SkipExpiryCheck: true,
		// Issuer aliases and tenant templates are checked in tokenIssuer.
		SkipIssuerCheck: p.customIssuerCheck(),
	})
	d := &discovered{
		oauth2: oauth2.Config{
			ClientID:     p.cfg.ClientID,
			ClientSecret: p.cfg.ClientSecret,
			RedirectURL:  p.cfg.RedirectURL,
			Scopes:       p.cfg.Scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:  doc.AuthorizationEndpoint,
				TokenURL: doc.TokenEndpoint,
				// An explicit style: x/oauth2's auto-detection retries a failed
				// request with the other style and hides the first error.
				AuthStyle: authStyle,
			},
		},
		verifier:    verifier,
		keys:        keys,
		userinfoURL: doc.UserinfoEndpoint,
		algorithms:  algorithms,
	}
	if p.cfg.UserInfo && d.userinfoURL == "" {
		return fmt.Errorf("provider %q: userinfo is enabled but discovery lists no userinfo_endpoint", p.cfg.ID)
	}

	p.mu.Lock()
	p.ready = d
	p.mu.Unlock()
	return nil
}

func (p *Provider) fetchDiscovery(ctx context.Context) (*discoveryDocument, error) {
	wellKnown := p.discoveryURL()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, wellKnown, nil)
	if err != nil {
		return nil, fmt.Errorf("provider %q: build discovery request: %w", p.cfg.ID, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("provider %q: fetch %s: %w: %w", p.cfg.ID, wellKnown, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes))
	if err != nil {
		return nil, fmt.Errorf("provider %q: read %s: %w: %w", p.cfg.ID, wellKnown, ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("provider %q: fetch %s: %w: HTTP %d", p.cfg.ID, wellKnown, ErrUnavailable, resp.StatusCode)
	}
	var doc discoveryDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("provider %q: decode %s: %w: %w", p.cfg.ID, wellKnown, ErrUnavailable, err)
	}
	return &doc, nil
}

// authStyle picks how the client authenticates at the token endpoint.
func (p *Provider) authStyle(supported []string) (oauth2.AuthStyle, error) {
	method := p.cfg.TokenAuthMethod
	if method == "" || method == AuthMethodAuto {
		// RFC 8414: an absent list means client_secret_basic.
		switch {
		case p.cfg.ClientSecret == "":
			method = AuthMethodNone
		case len(supported) == 0 || slices.Contains(supported, AuthMethodBasic):
			method = AuthMethodBasic
		case slices.Contains(supported, AuthMethodPost):
			method = AuthMethodPost
		default:
			return 0, fmt.Errorf("provider %q: the token endpoint supports %v but tokenbridge needs client_secret_basic or client_secret_post",
				p.cfg.ID, supported)
		}
	}
	switch method {
	case AuthMethodBasic:
		return oauth2.AuthStyleInHeader, nil
	case AuthMethodPost, AuthMethodNone:
		// A public client sends only client_id in the form.
		return oauth2.AuthStyleInParams, nil
	default:
		return 0, fmt.Errorf("provider %q: unknown token_auth_method %q", p.cfg.ID, method)
	}
}

// allowedAlgorithms intersects the configured list with the provider's. An
// empty provider list means the provider only promises RS256 (OpenID
// Connect Discovery 1.0 makes RS256 mandatory).
func allowedAlgorithms(configured, discovered []string) []string {
	if len(discovered) == 0 {
		discovered = []string{"RS256"}
	}
	var out []string
	for _, alg := range configured {
		if slices.Contains(discovered, alg) {
			out = append(out, alg)
		}
	}
	return out
}

// Run calls Discover until it succeeds, waiting with exponential backoff
// (from one second up to one minute) between failed attempts. It returns
// nil on success, the error on an issuer mismatch or any other
// configuration problem, and ctx.Err() when ctx ends. onRetry, if not nil,
// is called with each failure that will be retried.
func (p *Provider) Run(ctx context.Context, onRetry func(err error, wait time.Duration)) error {
	wait := time.Second
	for {
		err := p.Discover(ctx)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrUnavailable) {
			return err
		}
		if onRetry != nil {
			onRetry(err, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Minute)
	}
}
