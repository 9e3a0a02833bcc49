package providers

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestLookupClaim(t *testing.T) {
	claims := map[string]any{
		"email":                       "ada@example.com",
		"https://example.com/roles":   []any{"admin"},
		"realm_access":                map[string]any{"roles": []any{"user"}},
		"resource_access":             map[string]any{"my.app": map[string]any{"roles": []any{"editor"}}},
		"a":                           map[string]any{"b": "nested"},
		"a.b":                         "flat",
		"cognito:groups":              []any{"admins"},
		"empty":                       map[string]any{},
		"https://example.com/profile": map[string]any{"tier": "gold"},
	}
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"email", "ada@example.com", true},
		{"https://example.com/roles", []any{"admin"}, true},
		{"realm_access.roles", []any{"user"}, true},
		{"resource_access.my.app.roles", []any{"editor"}, true},
		{"a.b", "flat", true},
		{"cognito:groups", []any{"admins"}, true},
		{"https://example.com/profile.tier", "gold", true},
		{"realm_access.missing", nil, false},
		{"empty.x", nil, false},
		{"email.x", nil, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		got, ok := LookupClaim(claims, tt.path)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("LookupClaim(%q) = %v, %v; want %v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPresetApply(t *testing.T) {
	tests := []struct {
		preset  string
		inputs  PresetInputs
		issuer  string
		check   func(t *testing.T, cfg Config)
		wantErr []string // inputs named by the expected *InputError values
	}{
		{preset: "auth0", inputs: PresetInputs{Domain: "tenant.eu.auth0.com"}, issuer: "https://tenant.eu.auth0.com/"},
		{preset: "auth0", inputs: PresetInputs{Domain: "login.example.com", Organization: "Acme"}, issuer: "https://login.example.com/",
			check: func(t *testing.T, cfg Config) {
				if cfg.AuthParams["organization"] != "Acme" {
					t.Errorf("auth params = %v", cfg.AuthParams)
				}
				want := ClaimRule{Claim: "org_name", Values: []string{"acme"}, Name: "organization", Description: cfg.Rules.Claims[0].Description}
				if !reflect.DeepEqual(cfg.Rules.Claims, []ClaimRule{want}) {
					t.Errorf("rules = %+v, want an org_name rule", cfg.Rules.Claims)
				}
			}},
		{preset: "auth0", inputs: PresetInputs{}, wantErr: []string{"domain"}},
		{preset: "auth0", inputs: PresetInputs{Domain: "https://tenant.auth0.com/path?x=1"}, wantErr: []string{"domain"}},
		{preset: "auth0", inputs: PresetInputs{Domain: "t.auth0.com", Tenant: "common"}, wantErr: []string{"tenant"}},
		{preset: "google", issuer: "https://accounts.google.com",
			check: func(t *testing.T, cfg Config) {
				if !slices.Equal(cfg.IssuerAliases, []string{"accounts.google.com"}) {
					t.Errorf("aliases = %v", cfg.IssuerAliases)
				}
			}},
		{preset: "google", inputs: PresetInputs{HostedDomain: "not a domain"}, wantErr: []string{"hosted_domain"}},
		{preset: "microsoft", inputs: PresetInputs{Tenant: "11111111-2222-3333-4444-555555555555"}, issuer: "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
			check: func(t *testing.T, cfg Config) {
				if cfg.TenantClaim != "" || cfg.DiscoveryURL != "" || cfg.Claims.EmailVerified != "xms_edov" {
					t.Errorf("single tenant: claim %q, discovery %q, email verified claim %q", cfg.TenantClaim, cfg.DiscoveryURL, cfg.Claims.EmailVerified)
				}
			}},
		{preset: "microsoft", inputs: PresetInputs{Tenant: "organizations", AllowedTenants: []string{"11111111-2222-3333-4444-555555555555"}}, issuer: "https://login.microsoftonline.com/{tenantid}/v2.0",
			check: func(t *testing.T, cfg Config) {
				if cfg.TenantClaim != "tid" || cfg.DiscoveryURL != "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration" {
					t.Errorf("tenant claim %q, discovery %q", cfg.TenantClaim, cfg.DiscoveryURL)
				}
				if len(cfg.Rules.Claims) != 1 || cfg.Rules.Claims[0].Claim != "tid" {
					t.Errorf("rules = %+v, want a tid rule", cfg.Rules.Claims)
				}
			}},
		{preset: "microsoft", inputs: PresetInputs{Tenant: "consumers"}, issuer: "https://login.microsoftonline.com/" + consumersTenantID + "/v2.0"},
		{preset: "microsoft", inputs: PresetInputs{Tenant: "contoso.onmicrosoft.com"}, wantErr: []string{"tenant"}},
		{preset: "microsoft", inputs: PresetInputs{Tenant: "11111111-2222-3333-4444-555555555555", AllowedTenants: []string{"x"}}, wantErr: []string{"allowed_tenants"}},
		{preset: "microsoft", inputs: PresetInputs{Tenant: "common", BaseURL: "https://login.microsoftonline.us"}, issuer: "https://login.microsoftonline.us/{tenantid}/v2.0"},
		{preset: "okta", inputs: PresetInputs{Domain: "acme.okta.com"}, issuer: "https://acme.okta.com"},
		{preset: "okta", inputs: PresetInputs{Domain: "acme.okta.com", AuthorizationServer: "default"}, issuer: "https://acme.okta.com/oauth2/default"},
		{preset: "okta", inputs: PresetInputs{Domain: "acme.okta.com", AuthorizationServer: "a/b"}, wantErr: []string{"authorization_server"}},
		{preset: "keycloak", inputs: PresetInputs{RealmURL: "https://sso.example.com/realms/main/"}, issuer: "https://sso.example.com/realms/main",
			check: func(t *testing.T, cfg Config) {
				if !slices.Contains(cfg.Claims.Groups, "resource_access.client-1.roles") {
					t.Errorf("groups claims = %v, want the client's roles", cfg.Claims.Groups)
				}
			}},
		{preset: "keycloak", inputs: PresetInputs{RealmURL: "https://sso.example.com/auth"}, wantErr: []string{"realm_url"}},
		{preset: "keycloak", inputs: PresetInputs{RealmURL: "http://sso.example.com/realms/main"}, wantErr: []string{"realm_url"}},
		{preset: "gitlab", issuer: "https://gitlab.com"},
		{preset: "gitlab", inputs: PresetInputs{BaseURL: "https://git.example.com/"}, issuer: "https://git.example.com"},
		{preset: "cognito", inputs: PresetInputs{Region: "eu-west-1", UserPoolID: "eu-west-1_AbC123"}, issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"},
		{preset: "cognito", inputs: PresetInputs{Region: "eu-west-1", UserPoolID: "us-east-1_AbC123"}, wantErr: []string{"user_pool_id"}},
		{preset: "cognito", inputs: PresetInputs{}, wantErr: []string{"region", "user_pool_id"}},
		{preset: "oidc", issuer: "https://idp.example.com"},
		{preset: "oidc", inputs: PresetInputs{Domain: "x.example.com"}, wantErr: []string{"domain"}},
	}
	for _, tt := range tests {
		t.Run(tt.preset+" "+tt.issuer+strings.Join(tt.wantErr, ","), func(t *testing.T) {
			preset, ok := LookupPreset(tt.preset)
			if !ok {
				t.Fatalf("no preset %q", tt.preset)
			}
			cfg := Config{ClientID: "client-1"}
			if tt.preset == "oidc" {
				cfg.Issuer = "https://idp.example.com"
			}
			err := preset.Apply(&cfg, tt.inputs)

			var got []string
			for _, one := range unjoinForTest(err) {
				var input *InputError
				if !errors.As(one, &input) {
					t.Fatalf("error %v is not an *InputError", one)
				}
				got = append(got, input.Input)
			}
			if !slices.Equal(got, tt.wantErr) {
				t.Fatalf("problems with %v, want %v (error: %v)", got, tt.wantErr, err)
			}
			if err != nil {
				return
			}
			if cfg.Issuer != tt.issuer {
				t.Errorf("issuer = %q, want %q", cfg.Issuer, tt.issuer)
			}
			if !slices.Contains(cfg.Scopes, "openid") {
				t.Errorf("scopes %v lack openid", cfg.Scopes)
			}
			if tt.check != nil {
				tt.check(t, cfg)
			}
		})
	}
}

func unjoinForTest(err error) []error {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		return joined.Unwrap()
	}
	return []error{err}
}

func TestPresetQuirksHaveReasons(t *testing.T) {
	for _, preset := range Presets {
		for i, quirk := range preset.Quirks {
			if strings.TrimSpace(quirk.Reason) == "" {
				t.Errorf("preset %s quirk %d has no reason", preset.Name, i)
			}
		}
	}
}

func TestTokenIssuer(t *testing.T) {
	const tenant = "11111111-2222-3333-4444-555555555555"
	tests := []struct {
		name    string
		cfg     Config
		iss     any
		tid     any
		want    string
		wantErr bool
	}{
		{name: "exact", cfg: Config{Issuer: "https://a.example"}, iss: "https://a.example", want: "https://a.example"},
		{name: "other issuer", cfg: Config{Issuer: "https://a.example"}, iss: "https://b.example", wantErr: true},
		{name: "missing iss", cfg: Config{Issuer: "https://a.example"}, iss: nil, wantErr: true},
		{name: "alias keeps configured issuer", cfg: Config{Issuer: "https://accounts.google.com", IssuerAliases: []string{"accounts.google.com"}},
			iss: "accounts.google.com", want: "https://accounts.google.com"},
		{name: "tenant filled", cfg: Config{Issuer: "https://login.example/{tenantid}/v2.0", TenantClaim: "tid"},
			iss: "https://login.example/" + tenant + "/v2.0", tid: tenant, want: "https://login.example/" + tenant + "/v2.0"},
		{name: "tenant mismatch", cfg: Config{Issuer: "https://login.example/{tenantid}/v2.0", TenantClaim: "tid"},
			iss: "https://login.example/" + tenant + "/v2.0", tid: "99999999-2222-3333-4444-555555555555", wantErr: true},
		{name: "template itself", cfg: Config{Issuer: "https://login.example/{tenantid}/v2.0", TenantClaim: "tid"},
			iss: "https://login.example/{tenantid}/v2.0", tid: "{tenantid}", wantErr: true},
		{name: "tid not a GUID", cfg: Config{Issuer: "https://login.example/{tenantid}/v2.0", TenantClaim: "tid"},
			iss: "https://login.example/x/../v2.0", tid: "x/..", wantErr: true},
		{name: "tid missing", cfg: Config{Issuer: "https://login.example/{tenantid}/v2.0", TenantClaim: "tid"},
			iss: "https://login.example/" + tenant + "/v2.0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Provider{cfg: tt.cfg}
			claims := map[string]any{}
			if tt.iss != nil {
				claims["iss"] = tt.iss
			}
			if tt.tid != nil {
				claims["tid"] = tt.tid
			}
			got, err := p.tokenIssuer(claims)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidIDToken) {
					t.Fatalf("err = %v, want ErrInvalidIDToken", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("tokenIssuer = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestRulesCheck(t *testing.T) {
	identity := &Identity{
		Provider: "p", Subject: "s", Email: "ada@Example.COM", EmailVerified: true,
		Groups: []string{"staff"},
		Claims: map[string]any{"level": float64(3), "admin": true, "teams": []any{"red", "blue"}},
	}
	tests := []struct {
		name  string
		rules Rules
		fail  string // rule name expected to fail; empty for a pass
	}{
		{"zero rules allow", Rules{}, ""},
		{"domain case-insensitive", Rules{EmailDomains: []string{"example.com"}}, ""},
		{"domain not listed", Rules{EmailDomains: []string{"example.org"}}, "email_domains"},
		{"verified", Rules{EmailVerified: true}, ""},
		{"any of", Rules{GroupsAnyOf: []string{"x", "staff"}}, ""},
		{"any of none", Rules{GroupsAnyOf: []string{"x"}}, "groups_any_of"},
		{"all of", Rules{GroupsAllOf: []string{"staff"}}, ""},
		{"all of missing one", Rules{GroupsAllOf: []string{"staff", "ops"}}, "groups_all_of"},
		{"number claim", Rules{Claims: []ClaimRule{{Claim: "level", Values: []string{"3"}}}}, ""},
		{"bool claim", Rules{Claims: []ClaimRule{{Claim: "admin", Values: []string{"true"}}}}, ""},
		{"list claim member", Rules{Claims: []ClaimRule{{Claim: "teams", Values: []string{"blue"}}}}, ""},
		{"list claim no member", Rules{Claims: []ClaimRule{{Claim: "teams", Values: []string{"green"}}}}, "claims[0]"},
		{"named claim rule", Rules{Claims: []ClaimRule{{Claim: "missing", Values: []string{"x"}, Name: "hosted_domain"}}}, "hosted_domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.check(identity)
			if tt.fail == "" {
				if err != nil {
					t.Fatalf("check = %v, want a pass", err)
				}
				return
			}
			var denied *AccessDeniedError
			if !errors.As(err, &denied) || !errors.Is(err, ErrAccessDenied) {
				t.Fatalf("check = %v, want an *AccessDeniedError", err)
			}
			if denied.Rule != tt.fail || denied.Description == "" || denied.Subject != "s" {
				t.Errorf("denied = %+v, want rule %s with a description", denied, tt.fail)
			}
		})
	}

	unverified := *identity
	unverified.EmailVerified = false
	if err := (Rules{EmailVerified: true}).check(&unverified); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("unverified email passed email_verified: %v", err)
	}
}
