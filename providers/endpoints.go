package providers

import (
	"context"
	"slices"
	"strings"
)

// discoveryURL returns where the discovery document is fetched.
func (p *Provider) discoveryURL() string {
	if p.cfg.DiscoveryURL != "" {
		return p.cfg.DiscoveryURL
	}
	return strings.TrimSuffix(p.cfg.Issuer, "/") + "/.well-known/openid-configuration"
}

// loadDiscovery returns the discovery document with the configured
// endpoints applied. With a complete set of endpoints it builds the
// document from the configuration and makes no request, for providers that
// publish no discovery document.
func (p *Provider) loadDiscovery(ctx context.Context) (*discoveryDocument, error) {
	e := p.cfg.Endpoints
	if e.complete() && p.cfg.DiscoveryURL == "" {
		return &discoveryDocument{
			Issuer:                p.cfg.Issuer,
			AuthorizationEndpoint: e.Authorization,
			TokenEndpoint:         e.Token,
			UserinfoEndpoint:      e.Userinfo,
			JWKSURI:               e.JWKS,
			// Without a document, the configured algorithms are all the
			// provider is known to use.
			SigningAlgorithms: slices.Clone(p.cfg.Algorithms),
		}, nil
	}

	doc, err := p.fetchDiscovery(ctx)
	if err != nil {
		return nil, err
	}
	override := func(field *string, value string) {
		if value != "" {
			*field = value
		}
	}
	override(&doc.AuthorizationEndpoint, e.Authorization)
	override(&doc.TokenEndpoint, e.Token)
	override(&doc.UserinfoEndpoint, e.Userinfo)
	override(&doc.JWKSURI, e.JWKS)
	return doc, nil
}
