package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/tokenbridge/tokenbridge/accounts"
	"github.com/tokenbridge/tokenbridge/providers"
)

// Claims names the claims an identity is read from. Each is a claim name,
// or a dotted path into nested claims; a name that itself contains dots,
// such as https://example.com/roles, also works. Empty fields take the
// preset's names, then email, email_verified, name and [groups].
type Claims struct {
	Email         string   `yaml:"email"`
	EmailVerified string   `yaml:"email_verified"`
	Name          string   `yaml:"name"`
	Groups        []string `yaml:"groups"`
}

// UserID is the user ID strategy, written as derived, subject or
// {namespace: NAME}.
type UserID struct {
	// Strategy is derived, subject or namespace. Empty means derived.
	Strategy string
	// Namespace replaces the issuer in the derived ID; set with namespace.
	Namespace string
}

// Rules are a provider's access rules. An identity must pass all that are set.
type Rules struct {
	// EmailDomains allows only emails of these domains.
	EmailDomains []string `yaml:"email_domains"`
	// EmailVerified requires the provider to state that the email is verified.
	EmailVerified bool `yaml:"email_verified"`
	// RequireEmail refuses identities without an email. Default false.
	RequireEmail bool `yaml:"require_email"`
	// RequireName refuses identities without a name. Default false.
	RequireName bool `yaml:"require_name"`
	// GroupsAnyOf requires at least one of these groups or roles.
	GroupsAnyOf []string `yaml:"groups_any_of"`
	// GroupsAllOf requires every one of these groups or roles.
	GroupsAllOf []string `yaml:"groups_all_of"`
	// Claims are rules on single claims.
	Claims []ClaimRule `yaml:"claims"`
}

// ClaimRule requires a claim to equal a value (equals) or one of several
// (one_of). A list claim passes when any entry does.
type ClaimRule struct {
	Claim  string   `yaml:"claim"`
	Equals string   `yaml:"equals"`
	OneOf  []string `yaml:"one_of"`
}

// Labels syncs groups and roles to Appwrite labels on every login.
type Labels struct {
	// Sync turns label sync on. Default false.
	Sync bool `yaml:"sync"`
	// Map gives the label for a group or role: group: label.
	Map map[string]string `yaml:"map"`
	// MappedOnly skips groups that map does not name. Default false.
	MappedOnly bool `yaml:"mapped_only"`
	// Prefix starts labels made from unmapped groups. Default none.
	Prefix string `yaml:"prefix"`
}

// Prefs records the identity in the user's preferences on every login.
type Prefs struct {
	// Sync records the provider, issuer and subject. Default false.
	Sync bool `yaml:"sync"`
	// Claims are claim paths whose values are recorded too.
	Claims []string `yaml:"claims"`
}

// labelPattern is Appwrite's rule for a label.
var labelPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,36}$`)

// PresetInputs returns the provider's preset settings.
func (p Provider) PresetInputs() providers.PresetInputs {
	return providers.PresetInputs{
		Domain:              p.Domain,
		Audience:            p.Audience,
		Connection:          p.Connection,
		Organization:        p.Organization,
		HostedDomain:        p.HostedDomain,
		BaseURL:             p.BaseURL,
		Tenant:              p.Tenant,
		AllowedTenants:      p.AllowedTenants,
		AuthorizationServer: p.AuthorizationServer,
		RealmURL:            p.RealmURL,
		Region:              p.Region,
		UserPoolID:          p.UserPoolID,
	}
}

// ProviderConfig returns the providers.Config of p with its preset
// applied. The error joins one *providers.InputError per bad preset
// setting; Parse has already reported them for a loaded Config.
func (p Provider) ProviderConfig(redirectURL string) (providers.Config, error) {
	cfg := providers.Config{
		ID:              p.ID,
		Name:            p.Name,
		Issuer:          p.Issuer,
		ClientID:        p.ClientID,
		ClientSecret:    p.ClientSecret.Reveal(),
		Scopes:          append([]string(nil), p.Scopes...),
		AuthParams:      copyMap(p.AuthParams),
		TokenAuthMethod: p.TokenAuthMethod,
		Algorithms:      p.Algorithms,
		ClockSkew:       p.ClockSkew,
		UserInfo:        p.UserInfo,
		RedirectURL:     redirectURL,
		DiscoveryURL:    p.DiscoveryURL,
		Endpoints: providers.Endpoints{
			Authorization: p.AuthorizationURL,
			Token:         p.TokenURL,
			Userinfo:      p.UserinfoURL,
			JWKS:          p.JWKSURL,
		},
		Claims: providers.ClaimNames{
			Email:         p.Claims.Email,
			EmailVerified: p.Claims.EmailVerified,
			Name:          p.Claims.Name,
			Groups:        append([]string(nil), p.Claims.Groups...),
		},
		Rules: providers.Rules{
			EmailDomains:  p.Rules.EmailDomains,
			EmailVerified: p.Rules.EmailVerified,
			RequireEmail:  p.Rules.RequireEmail,
			RequireName:   p.Rules.RequireName,
			GroupsAnyOf:   p.Rules.GroupsAnyOf,
			GroupsAllOf:   p.Rules.GroupsAllOf,
		},
	}
	for _, rule := range p.Rules.Claims {
		values := rule.OneOf
		if rule.Equals != "" {
			values = []string{rule.Equals}
		}
		cfg.Rules.Claims = append(cfg.Rules.Claims, providers.ClaimRule{Claim: rule.Claim, Values: values})
	}

	preset, ok := providers.LookupPreset(p.Preset)
	if !ok {
		return cfg, fmt.Errorf("unknown preset %q", p.Preset)
	}
	return cfg, preset.Apply(&cfg, p.PresetInputs())
}

// Policy returns the resolver's settings for p: linking by email, the user
// ID strategy, and label and prefs sync.
func (p Provider) Policy() accounts.Policy {
	return accounts.Policy{
		LinkByEmail: p.LinkByEmail,
		UserID: accounts.UserIDStrategy{
			Kind:      accounts.UserIDKind(p.UserID.Strategy),
			Namespace: p.UserID.Namespace,
		},
		Labels: accounts.LabelSync{
			Enabled:    p.Labels.Sync,
			Map:        p.Labels.Map,
			MappedOnly: p.Labels.MappedOnly,
			Prefix:     p.Labels.Prefix,
		},
		Prefs: accounts.PrefsSync{Enabled: p.Prefs.Sync, Claims: p.Prefs.Claims},
	}
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// validatePreset checks the preset and its inputs, and the issuer, which
// only the oidc preset takes from the file.
func (v *validator) validatePreset(path string, p Provider) {
	if _, ok := providers.LookupPreset(p.Preset); !ok {
		v.problem(path+".preset", "%q is not a preset (use %s)", p.Preset, joinAlternatives(providers.PresetNames()))
		return
	}
	if p.Preset == "oidc" {
		v.checkIssuer(path+".issuer", p.Issuer)
	} else if p.Issuer != "" {
		v.problem(path+".issuer", "is set, but preset %s builds the issuer from its own keys (remove issuer)", p.Preset)
	}

	_, err := p.ProviderConfig("")
	for _, one := range unjoin(err) {
		var input *providers.InputError
		if errors.As(one, &input) {
			v.problem(path+"."+input.Input, "%s", input.Message)
			continue
		}
		v.problem(path+".preset", "%v", one)
	}
}

// unjoin splits an errors.Join result into its parts.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		return joined.Unwrap()
	}
	return []error{err}
}

// validateEndpoints checks the discovery and endpoint URLs.
func (v *validator) validateEndpoints(path string, p Provider) {
	for _, field := range []struct{ key, value string }{
		{"discovery_url", p.DiscoveryURL},
		{"authorization_url", p.AuthorizationURL},
		{"token_url", p.TokenURL},
		{"userinfo_url", p.UserinfoURL},
		{"jwks_url", p.JWKSURL},
	} {
		if field.value == "" {
			continue
		}
		if u, ok := v.checkBaseURL(path+"."+field.key, field.value, "an http(s) URL"); ok && u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
			v.problem(path+"."+field.key, "uses http on a non-loopback host (use https)")
		}
	}
	explicit := p.AuthorizationURL != "" && p.TokenURL != "" && p.JWKSURL != ""
	if p.UserInfo && explicit && p.DiscoveryURL == "" && p.UserinfoURL == "" {
		v.problem(path+".userinfo_url", "is empty, but userinfo is on and no discovery document is fetched (set userinfo_url or turn userinfo off)")
	}
}

// validateMapping checks claims, user_id, rules, labels and prefs.
func (v *validator) validateMapping(path string, p Provider) {
	for i, group := range p.Claims.Groups {
		if strings.TrimSpace(group) == "" {
			v.problem(fmt.Sprintf("%s.claims.groups[%d]", path, i), "is empty (remove the entry)")
		}
	}

	switch p.UserID.Strategy {
	case "", "derived", "subject":
	case "namespace":
		if strings.TrimSpace(p.UserID.Namespace) == "" {
			v.problem(path+".user_id", "has an empty namespace (choose a fixed name for this provider's users, such as the old issuer URL)")
		}
	default:
		v.problem(path+".user_id", "%q is not a strategy (use derived, subject or {namespace: NAME})", p.UserID.Strategy)
	}

	for i, domain := range p.Rules.EmailDomains {
		if domain == "" || strings.ContainsAny(domain, "@ /") {
			v.problem(fmt.Sprintf("%s.rules.email_domains[%d]", path, i), "%q is not a domain (write it like example.com, without @)", domain)
		}
	}
	for i, rule := range p.Rules.Claims {
		rulePath := fmt.Sprintf("%s.rules.claims[%d]", path, i)
		if rule.Claim == "" {
			v.problem(rulePath+".claim", "is empty (name the claim to check, such as hd or realm_access.roles)")
		}
		switch {
		case rule.Equals == "" && len(rule.OneOf) == 0:
			v.problem(rulePath, "has neither equals nor one_of (set one)")
		case rule.Equals != "" && len(rule.OneOf) > 0:
			v.problem(rulePath, "has both equals and one_of (keep one)")
		}
	}

	for group, label := range p.Labels.Map {
		if !labelPattern.MatchString(label) {
			v.problem(path+".labels.map."+group, "%q is not an Appwrite label (use 1 to 36 letters and digits)", label)
		}
	}
	switch {
	case p.Labels.Prefix != "" && !labelPattern.MatchString(p.Labels.Prefix):
		v.problem(path+".labels.prefix", "%q is not allowed in a label (use up to 35 letters and digits)", p.Labels.Prefix)
	case len(p.Labels.Prefix) > 35:
		v.problem(path+".labels.prefix", "is %d characters, which leaves no room in Appwrite's 36 (shorten it)", len(p.Labels.Prefix))
	case p.Labels.Sync && !p.Labels.MappedOnly && p.Labels.Prefix == "":
		v.warn(path+".labels.sync", "turns every group into a label without a prefix, so anyone who can create or join a group at the provider can give themselves a label such as admin (set labels.prefix or labels.mapped_only)")
	}
	for i, claim := range p.Prefs.Claims {
		if strings.TrimSpace(claim) == "" {
			v.problem(fmt.Sprintf("%s.prefs.claims[%d]", path, i), "is empty (remove the entry)")
		}
	}
}
