package providers

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// TenantPlaceholder is the part of a multi-tenant issuer template that each
// token's own tenant ID replaces. Microsoft Entra ID publishes issuers such
// as https://login.microsoftonline.com/{tenantid}/v2.0 in the discovery
// documents of its common and organizations endpoints.
const TenantPlaceholder = "{tenantid}"

// tenantIDPattern is the form of an Entra tenant ID: a GUID in lower case.
// Holding the tid claim to it keeps a token from filling the template with
// text that changes the issuer's shape.
var tenantIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// customIssuerCheck reports whether the ID token's iss claim needs this
// package's check because go-oidc's exact comparison with Issuer would
// reject valid tokens.
func (p *Provider) customIssuerCheck() bool {
	return len(p.cfg.IssuerAliases) > 0 || p.cfg.TenantClaim != ""
}

// tokenIssuer checks the iss claim of a verified ID token and returns the
// issuer the identity is keyed on. That is the configured issuer, also for
// an accepted alias, so one person never becomes two users, except under a
// tenant template, where it is the template filled with the token's tenant.
func (p *Provider) tokenIssuer(claims map[string]any) (string, error) {
	iss, _ := claims["iss"].(string)
	if iss == "" {
		return "", fmt.Errorf("provider %q: %w: the iss claim is missing", p.cfg.ID, ErrInvalidIDToken)
	}

	if p.cfg.TenantClaim != "" {
		tenant, _ := claims[p.cfg.TenantClaim].(string)
		if !tenantIDPattern.MatchString(tenant) {
			return "", fmt.Errorf("provider %q: %w: the %s claim is missing or not a tenant ID", p.cfg.ID, ErrInvalidIDToken, p.cfg.TenantClaim)
		}
		want := strings.ReplaceAll(p.cfg.Issuer, TenantPlaceholder, tenant)
		if iss != want {
			return "", fmt.Errorf("provider %q: %w: iss %q is not the issuer of tenant %s", p.cfg.ID, ErrInvalidIDToken, iss, tenant)
		}
		return iss, nil
	}

	if iss == p.cfg.Issuer || slices.Contains(p.cfg.IssuerAliases, iss) {
		return p.cfg.Issuer, nil
	}
	return "", fmt.Errorf("provider %q: %w: iss %q is not the configured issuer", p.cfg.ID, ErrInvalidIDToken, iss)
}
