package providers

import (
	"fmt"
	"strings"
)

// Identity is what tokenbridge knows of a person after the ID token has
// been verified.
type Identity struct {
	Provider      string         // configured provider ID
	Issuer        string         // configured issuer, which the token's iss equals
	Subject       string         // sub claim, unique per issuer
	Email         string         // email claim as sent; empty when absent
	EmailVerified bool           // true only when email_verified is true or "true"
	Name          string         // name claim, or given and family name joined; may be empty
	Groups        []string       // groups claim; empty when absent
	Claims        map[string]any // every verified claim, userinfo merged in when enabled
}

// String keeps personal data out of logs: it shows only the provider and subject.
func (i *Identity) String() string {
	return fmt.Sprintf("identity{provider=%s subject=%s}", i.Provider, i.Subject)
}

// newIdentity maps verified claims to an Identity.
func (p *Provider) newIdentity(claims map[string]any) (*Identity, error) {
	subject, _ := claims["sub"].(string)
	if subject == "" {
		return nil, fmt.Errorf("provider %q: %w: the sub claim is missing or not a string", p.cfg.ID, ErrInvalidIDToken)
	}
	identity := &Identity{
		Provider:      p.cfg.ID,
		Issuer:        p.cfg.Issuer,
		Subject:       subject,
		Email:         stringClaim(claims, "email"),
		EmailVerified: ParseEmailVerified(claims["email_verified"]),
		Name:          stringClaim(claims, "name"),
		Groups:        stringsClaim(claims["groups"]),
		Claims:        claims,
	}
	if identity.Name == "" {
		given, family := stringClaim(claims, "given_name"), stringClaim(claims, "family_name")
		identity.Name = strings.TrimSpace(given + " " + family)
	}
	return identity, nil
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

func stringClaim(claims map[string]any, name string) string {
	value, _ := claims[name].(string)
	return strings.TrimSpace(value)
}

// stringsClaim reads a claim holding a list of strings or one string.
// Non-string entries are skipped.
func stringsClaim(value any) []string {
	switch v := value.(type) {
	case string:
		if v == "" {
			return nil
		}
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			if s, ok := item.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	default:
		return nil
	}
}
