package providers

import (
	"fmt"
	"slices"
	"strings"
)

// Identity describes a person after the ID token has been verified and
// the provider's access rules allowed them.
type Identity struct {
	Provider      string         // configured provider ID
	Issuer        string         // configured issuer, or the tenant's issuer under a tenant template
	Subject       string         // sub claim, unique per issuer
	Email         string         // email claim as sent; empty when absent
	EmailVerified bool           // true only when the email verified claim is true or "true"
	Name          string         // name claim, or given and family name joined; may be empty
	Groups        []string       // groups and roles from every configured groups claim, without duplicates
	Claims        map[string]any // every verified claim, userinfo merged in when enabled
}

// String keeps personal data out of logs: it shows only the provider and subject.
func (i *Identity) String() string {
	return fmt.Sprintf("identity{provider=%s subject=%s}", i.Provider, i.Subject)
}

// newIdentity checks the issuer of verified claims, maps them to an
// Identity with the configured claim names and applies the access rules.
// A failed rule returns an *AccessDeniedError.
func (p *Provider) newIdentity(claims map[string]any) (*Identity, error) {
	subject, _ := claims["sub"].(string)
	if subject == "" {
		return nil, fmt.Errorf("provider %q: %w: the sub claim is missing or not a string", p.cfg.ID, ErrInvalidIDToken)
	}
	// go-oidc has compared iss with Issuer already unless customIssuerCheck
	// turned that off. Checking again here costs nothing and keeps the
	// tenant and alias rules in one place.
	issuer, err := p.tokenIssuer(claims)
	if err != nil {
		return nil, err
	}

	names := p.cfg.Claims
	identity := &Identity{
		Provider:      p.cfg.ID,
		Issuer:        issuer,
		Subject:       subject,
		Email:         stringClaim(claims, names.Email),
		EmailVerified: parseEmailVerifiedAt(claims, names.EmailVerified),
		Name:          stringClaim(claims, names.Name),
		Claims:        claims,
	}
	if identity.Name == "" {
		given, family := stringClaim(claims, "given_name"), stringClaim(claims, "family_name")
		identity.Name = strings.TrimSpace(given + " " + family)
	}
	for _, path := range names.Groups {
		for _, group := range claimStrings(claims, path) {
			if !slices.Contains(identity.Groups, group) {
				identity.Groups = append(identity.Groups, group)
			}
		}
	}

	if err := p.cfg.Rules.check(identity); err != nil {
		return nil, err
	}
	return identity, nil
}

func parseEmailVerifiedAt(claims map[string]any, path string) bool {
	value, _ := LookupClaim(claims, path)
	return ParseEmailVerified(value)
}

// ParseEmailVerified reads an email_verified claim. Providers send a JSON
// boolean or, like Amazon Cognito, the strings "true" and "false" in any
// case. Anything else, including a missing claim, counts as unverified.
func ParseEmailVerified(value any) bool {
	switch v := value.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	default:
		return false
	}
}

// stringClaim returns the string claim at path, trimmed, or "" when it is
// absent or not a string.
func stringClaim(claims map[string]any, path string) string {
	value, _ := LookupClaim(claims, path)
	text, _ := value.(string)
	return strings.TrimSpace(text)
}
