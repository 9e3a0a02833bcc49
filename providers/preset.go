package providers

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Names of the preset inputs, equal to their configuration keys.
const (
	InputDomain              = "domain"
	InputAudience            = "audience"
	InputConnection          = "connection"
	InputOrganization        = "organization"
	InputHostedDomain        = "hosted_domain"
	InputBaseURL             = "base_url"
	InputTenant              = "tenant"
	InputAllowedTenants      = "allowed_tenants"
	InputAuthorizationServer = "authorization_server"
	InputRealmURL            = "realm_url"
	InputRegion              = "region"
	InputUserPoolID          = "user_pool_id"
)

// Microsoft Entra tenant names that stand for several tenants.
const (
	TenantCommon        = "common"        // work, school and personal accounts
	TenantOrganizations = "organizations" // work and school accounts
	TenantConsumers     = "consumers"     // personal Microsoft accounts
)

// consumersTenantID is the tenant of every personal Microsoft account, as
// Microsoft's identity platform documentation gives it.
//
// NOTE: the consumers endpoint is expected to publish this tenant's issuer
// rather than the {tenantid} template; this was not checked against a live
// discovery document.
const consumersTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// PresetInputs are the preset settings of one provider. Each preset reads
// the inputs it lists in Required and Optional and rejects any other.
type PresetInputs struct {
	Domain              string   // auth0, okta: a host name, or an http(s) URL for tests and proxies
	Audience            string   // auth0: API identifier sent as audience
	Connection          string   // auth0: connection name sent as connection
	Organization        string   // auth0: organization ID (org_…) or name
	HostedDomain        string   // google: Google Workspace domain
	BaseURL             string   // gitlab: self-managed URL; microsoft: national cloud; google, cognito: tests only
	Tenant              string   // microsoft: tenant ID, common, organizations or consumers
	AllowedTenants      []string // microsoft: tenant IDs allowed with a multi-tenant endpoint
	AuthorizationServer string   // okta: custom authorization server ID, such as default
	RealmURL            string   // keycloak: https://host/realms/name
	Region              string   // cognito: AWS region, such as eu-west-1
	UserPoolID          string   // cognito: user pool ID, such as eu-west-1_AbC123
}

// Preset describes one vendor as data.
type Preset struct {
	Name  string // value of the preset configuration key
	About string // one line for documentation and error messages
	// Issuers are the issuer patterns, tried in order; the first whose
	// When input is set (or whose When is empty) is used. Placeholders
	// name inputs, as {domain}; {base_url} falls back to DefaultBase. The
	// oidc preset has none and takes the configured issuer.
	Issuers     []IssuerPattern
	DefaultBase string   // value of {base_url} when base_url is not set; may hold placeholders
	Required    []string // inputs that must be set
	Optional    []string // inputs that may be set
	Scopes      []string // default scopes
	Claims      ClaimNames
	Quirks      []Quirk
}

// IssuerPattern is one issuer form of a preset.
type IssuerPattern struct {
	When    string // input that must be set for this pattern to apply; empty always applies
	Pattern string
}

// Quirk is one vendor behaviour that the preset works around. Reason gives
// the cause, and exactly one of the other fields sets the remedy.
type Quirk struct {
	Reason string
	// IssuerWithoutScheme also accepts the issuer without "https://" in
	// the iss claim.
	IssuerWithoutScheme bool
	// TenantIssuer turns the multi-tenant names of InputTenant into an
	// issuer template checked against each token's tid claim.
	TenantIssuer bool
	// AuthParam sends an input as an authorization request parameter.
	AuthParam *InputParam
	// InputRule adds an access rule requiring a claim to equal an input.
	InputRule *InputRule
}

// InputParam names an authorization request parameter filled from an input.
type InputParam struct {
	Param string
	Input string
}

// InputRule requires the token's Claim to equal the input's value (or one
// of its values, for a list input). With NameClaim and IDPrefix set, a
// value without the prefix is a name and is compared, lower-cased, with
// NameClaim instead.
type InputRule struct {
	Input       string
	Claim       string
	NameClaim   string
	IDPrefix    string
	Description string
}

// LookupPreset returns the preset called name.
func LookupPreset(name string) (*Preset, bool) {
	for _, p := range Presets {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// PresetNames returns the names of every preset, in documentation order.
func PresetNames() []string {
	names := make([]string, len(Presets))
	for i, p := range Presets {
		names[i] = p.Name
	}
	return names
}

// InputError is a problem with one preset input. Input is the
// configuration key, so callers can point at its line.
type InputError struct {
	Input   string
	Message string
}

func (e *InputError) Error() string { return e.Input + " " + e.Message }

// Apply fills cfg from the preset and its inputs. It sets Issuer (except
// for the oidc preset), DiscoveryURL when the vendor needs one and cfg has
// none, IssuerAliases and TenantClaim. It sets Scopes and each claim name
// only where cfg leaves them empty, and adds the quirks' authorization
// parameters and access rules. cfg.ClientID must be set, since some claim
// paths contain it. Problems with inputs are returned joined, each an
// *InputError; cfg is then left partly filled and must not be used.
func (p *Preset) Apply(cfg *Config, in PresetInputs) error {
	values := in.values()
	var errs []error
	problem := func(input, format string, args ...any) {
		errs = append(errs, &InputError{Input: input, Message: fmt.Sprintf(format, args...)})
	}

	for _, name := range inputNames {
		set := values[name] != ""
		switch {
		case slices.Contains(p.Required, name) && !set:
			problem(name, "is required by preset %s (%s)", p.Name, inputHints[name])
		case set && !slices.Contains(p.Required, name) && !slices.Contains(p.Optional, name):
			problem(name, "is not used by preset %s (remove it)", p.Name)
		case set:
			if msg := checkInput(name, in); msg != "" {
				problem(name, "%s", msg)
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	if err := p.applyIssuer(cfg, in, values); err != nil {
		return err
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = slices.Clone(p.Scopes)
	}
	p.applyClaims(cfg)
	return p.applyQuirks(cfg, in, values)
}

func (p *Preset) applyIssuer(cfg *Config, in PresetInputs, values map[string]string) error {
	if len(p.Issuers) == 0 {
		return nil
	}
	if values[InputBaseURL] == "" {
		values[InputBaseURL] = p.DefaultBase
	}
	for _, name := range []string{InputDomain, InputBaseURL, InputRealmURL} {
		values[name] = baseURL(values[name])
	}

	for _, pattern := range p.Issuers {
		if pattern.When != "" && values[pattern.When] == "" {
			continue
		}
		cfg.Issuer = fill(fill(pattern.Pattern, values), values)
		break
	}

	if !slices.ContainsFunc(p.Quirks, func(q Quirk) bool { return q.TenantIssuer }) {
		return nil
	}
	switch in.Tenant {
	case TenantCommon, TenantOrganizations:
		cfg.DiscoveryURL = cmp.Or(cfg.DiscoveryURL, cfg.Issuer+"/.well-known/openid-configuration")
		cfg.Issuer = strings.Replace(cfg.Issuer, "/"+in.Tenant+"/", "/"+TenantPlaceholder+"/", 1)
		cfg.TenantClaim = "tid"
	case TenantConsumers:
		cfg.DiscoveryURL = cmp.Or(cfg.DiscoveryURL, cfg.Issuer+"/.well-known/openid-configuration")
		cfg.Issuer = strings.Replace(cfg.Issuer, "/"+in.Tenant+"/", "/"+consumersTenantID+"/", 1)
	}
	return nil
}

func (p *Preset) applyClaims(cfg *Config) {
	if cfg.Claims.Email == "" {
		cfg.Claims.Email = p.Claims.Email
	}
	if cfg.Claims.EmailVerified == "" {
		cfg.Claims.EmailVerified = p.Claims.EmailVerified
	}
	if cfg.Claims.Name == "" {
		cfg.Claims.Name = p.Claims.Name
	}
	if len(cfg.Claims.Groups) == 0 {
		for _, path := range p.Claims.Groups {
			cfg.Claims.Groups = append(cfg.Claims.Groups, strings.ReplaceAll(path, "{client_id}", cfg.ClientID))
		}
	}
}

func (p *Preset) applyQuirks(cfg *Config, in PresetInputs, values map[string]string) error {
	for _, q := range p.Quirks {
		switch {
		case q.IssuerWithoutScheme:
			if alias, ok := strings.CutPrefix(cfg.Issuer, "https://"); ok {
				cfg.IssuerAliases = append(cfg.IssuerAliases, alias)
			} else if alias, ok := strings.CutPrefix(cfg.Issuer, "http://"); ok {
				// Only a loopback test issuer uses http.
				cfg.IssuerAliases = append(cfg.IssuerAliases, alias)
			}
		case q.AuthParam != nil && values[q.AuthParam.Input] != "":
			if _, taken := cfg.AuthParams[q.AuthParam.Param]; taken {
				return &InputError{Input: q.AuthParam.Input, Message: fmt.Sprintf("sets the %s parameter, which auth_params also sets (remove it from auth_params)", q.AuthParam.Param)}
			}
			if cfg.AuthParams == nil {
				cfg.AuthParams = map[string]string{}
			}
			cfg.AuthParams[q.AuthParam.Param] = values[q.AuthParam.Input]
		case q.InputRule != nil && values[q.InputRule.Input] != "":
			cfg.Rules.Claims = append(cfg.Rules.Claims, q.InputRule.rule(in))
		}
	}
	return nil
}

// rule builds the access rule from the input's value.
func (r *InputRule) rule(in PresetInputs) ClaimRule {
	rule := ClaimRule{Claim: r.Claim, Name: r.Input, Description: r.Description}
	if r.Input == InputAllowedTenants {
		rule.Values = slices.Clone(in.AllowedTenants)
		return rule
	}
	value := in.values()[r.Input]
	if r.NameClaim != "" && !strings.HasPrefix(value, r.IDPrefix) {
		rule.Claim = r.NameClaim
		value = strings.ToLower(value)
	}
	rule.Values = []string{value}
	return rule
}

// inputNames lists every input in a fixed order, for stable messages.
var inputNames = []string{
	InputDomain, InputAudience, InputConnection, InputOrganization, InputHostedDomain, InputBaseURL,
	InputTenant, InputAllowedTenants, InputAuthorizationServer, InputRealmURL, InputRegion, InputUserPoolID,
}

// inputHints tell admins where to find each required input.
var inputHints = map[string]string{
	InputDomain:     "set it to the tenant domain, such as example.eu.auth0.com or example.okta.com",
	InputTenant:     "set it to the directory (tenant) ID from the app registration's overview, or to common, organizations or consumers",
	InputRealmURL:   "set it to the realm's URL, such as https://sso.example.com/realms/main",
	InputRegion:     "set it to the user pool's AWS region, such as eu-west-1",
	InputUserPoolID: "set it to the user pool ID, such as eu-west-1_AbC123",
}

// values returns the inputs by name; a list input is joined with commas
// only to tell whether it is set.
func (in PresetInputs) values() map[string]string {
	return map[string]string{
		InputDomain:              in.Domain,
		InputAudience:            in.Audience,
		InputConnection:          in.Connection,
		InputOrganization:        in.Organization,
		InputHostedDomain:        in.HostedDomain,
		InputBaseURL:             in.BaseURL,
		InputTenant:              in.Tenant,
		InputAllowedTenants:      strings.Join(in.AllowedTenants, ","),
		InputAuthorizationServer: in.AuthorizationServer,
		InputRealmURL:            in.RealmURL,
		InputRegion:              in.Region,
		InputUserPoolID:          in.UserPoolID,
	}
}

var (
	hostnamePattern  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	userPoolPattern  = regexp.MustCompile(`^([a-z]{2}(-[a-z]+)+-[0-9])_[A-Za-z0-9]+$`)
	serverIDPattern  = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	realmPathPattern = regexp.MustCompile(`/realms/[^/]+$`)
)

// checkInput returns a problem with one set input, or "".
func checkInput(name string, in PresetInputs) string {
	switch name {
	case InputDomain:
		return checkHostOrURL(in.Domain, "a host name such as example.eu.auth0.com")
	case InputBaseURL:
		return checkURL(in.BaseURL)
	case InputRealmURL:
		if msg := checkURL(in.RealmURL); msg != "" {
			return msg
		}
		if !realmPathPattern.MatchString(strings.TrimSuffix(in.RealmURL, "/")) {
			return fmt.Sprintf("%q does not end in /realms/<realm name> (copy the realm's URL from the Keycloak console)", in.RealmURL)
		}
	case InputHostedDomain:
		if !hostnamePattern.MatchString(in.HostedDomain) {
			return fmt.Sprintf("%q is not a domain name (write the Workspace domain, such as example.com)", in.HostedDomain)
		}
	case InputTenant:
		if in.Tenant != TenantCommon && in.Tenant != TenantOrganizations && in.Tenant != TenantConsumers && !tenantIDPattern.MatchString(in.Tenant) {
			return fmt.Sprintf("%q is not a tenant ID (write the directory (tenant) ID, a lower-case GUID, or common, organizations or consumers)", in.Tenant)
		}
	case InputAllowedTenants:
		if in.Tenant != TenantCommon && in.Tenant != TenantOrganizations {
			return "needs tenant common or organizations, because a single tenant allows only itself (remove it)"
		}
		for _, tenant := range in.AllowedTenants {
			if !tenantIDPattern.MatchString(tenant) {
				return fmt.Sprintf("entry %q is not a tenant ID (write lower-case GUIDs)", tenant)
			}
		}
	case InputAuthorizationServer:
		if !serverIDPattern.MatchString(in.AuthorizationServer) {
			return fmt.Sprintf("%q is not an authorization server ID (write default or the ID from Security > API)", in.AuthorizationServer)
		}
	case InputRegion:
		if !regionPattern.MatchString(in.Region) {
			return fmt.Sprintf("%q is not an AWS region (write it like eu-west-1)", in.Region)
		}
	case InputUserPoolID:
		m := userPoolPattern.FindStringSubmatch(in.UserPoolID)
		switch {
		case m == nil:
			return fmt.Sprintf("%q is not a user pool ID (write it like eu-west-1_AbC123)", in.UserPoolID)
		case in.Region != "" && m[1] != in.Region:
			return fmt.Sprintf("%q belongs to region %s, not to region %s (check region)", in.UserPoolID, m[1], in.Region)
		}
	}
	return ""
}

// checkHostOrURL accepts a bare host name or an http(s) URL.
func checkHostOrURL(value, example string) string {
	if strings.Contains(value, "://") {
		return checkURL(value)
	}
	if !hostnamePattern.MatchString(value) {
		return fmt.Sprintf("%q is not a host name (write %s, without https:// or a path)", value, example)
	}
	return ""
}

// checkURL accepts an absolute http(s) URL without query or fragment, with
// http only for loopback hosts.
func checkURL(value string) string {
	u, err := url.Parse(value)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return fmt.Sprintf("%q is not an absolute URL (write it like https://host.example.com)", value)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("%q has the scheme %s, want https", value, u.Scheme)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Sprintf("%q uses http on a non-loopback host (use https)", value)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Sprintf("%q has user info, a query or a fragment (remove them)", value)
	}
	return ""
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// baseURL turns a host name into an https URL and drops a trailing slash.
func baseURL(value string) string {
	if value == "" {
		return ""
	}
	if !strings.Contains(value, "://") && !strings.HasPrefix(value, "{") {
		value = "https://" + value
	}
	return strings.TrimSuffix(value, "/")
}

// fill replaces each {input} placeholder with its value.
func fill(pattern string, values map[string]string) string {
	for name, value := range values {
		pattern = strings.ReplaceAll(pattern, "{"+name+"}", value)
	}
	return pattern
}
