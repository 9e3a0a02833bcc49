package config

import (
	"strings"
	"testing"
)

// presetYAML replaces the provider's issuer line (line 15 of validYAML)
// with replacement, so provider keys added there start at line 15.
func presetYAML(t *testing.T, replacement string) string {
	t.Helper()
	return edit(t, validYAML, "    issuer: \"http://127.0.0.1:9998\"\n", replacement)
}

func TestProviderSettingsProblems(t *testing.T) {
	tests := []struct {
		name    string
		given   string
		line    int
		key     string
		message string
	}{
		{"unknown preset", "    issuer: \"http://127.0.0.1:9998\"\n    preset: okta2\n", 16, "providers[0].preset", `"okta2" is not a preset`},
		{"issuer with a vendor preset", "    preset: google\n    issuer: \"https://accounts.google.com\"\n", 16, "providers[0].issuer", "builds the issuer"},
		{"missing input", "    preset: auth0\n", 14, "providers[0].domain", "is required by preset auth0"},
		{"unused input", "    preset: google\n    tenant: common\n", 16, "providers[0].tenant", "is not used by preset google"},
		{"bad tenant", "    preset: microsoft\n    tenant: contoso.com\n", 16, "providers[0].tenant", "is not a tenant ID"},
		{"oidc needs an issuer", "    preset: oidc\n", 14, "providers[0].issuer", "is empty"},
		{"http endpoint", "    issuer: \"http://127.0.0.1:9998\"\n    token_url: \"http://idp.example.com/token\"\n", 16, "providers[0].token_url", "non-loopback"},
		{"userinfo without a URL", "    issuer: \"http://127.0.0.1:9998\"\n    userinfo: true\n    authorization_url: \"http://127.0.0.1:9998/a\"\n    token_url: \"http://127.0.0.1:9998/t\"\n    jwks_url: \"http://127.0.0.1:9998/k\"\n", 14, "providers[0].userinfo_url", "userinfo is on"},
		{"unknown strategy", "    issuer: \"http://127.0.0.1:9998\"\n    user_id: random\n", 16, "providers[0].user_id", "is not a strategy"},
		{"bare namespace", "    issuer: \"http://127.0.0.1:9998\"\n    user_id: namespace\n", 16, "providers[0].user_id", "namespace needs a name"},
		{"empty namespace", "    issuer: \"http://127.0.0.1:9998\"\n    user_id:\n      namespace: \"\"\n", 16, "providers[0].user_id", "has an empty namespace"},
		{"unknown key in namespace map", "    issuer: \"http://127.0.0.1:9998\"\n    user_id: {name: x}\n", 16, "providers[0].user_id.name", "unknown key"},
		{"claim rule with both", "    issuer: \"http://127.0.0.1:9998\"\n    rules:\n      claims:\n        - claim: hd\n          equals: a\n          one_of: [b]\n", 18, "providers[0].rules.claims[0]", "both equals and one_of"},
		{"claim rule with neither", "    issuer: \"http://127.0.0.1:9998\"\n    rules:\n      claims:\n        - claim: hd\n", 18, "providers[0].rules.claims[0]", "neither equals nor one_of"},
		{"email domain with at", "    issuer: \"http://127.0.0.1:9998\"\n    rules:\n      email_domains: [\"@example.com\"]\n", 17, "providers[0].rules.email_domains[0]", "is not a domain"},
		{"label map value", "    issuer: \"http://127.0.0.1:9998\"\n    labels:\n      map: {admins: \"team-admin\"}\n", 17, "providers[0].labels.map.admins", "is not an Appwrite label"},
		{"label prefix", "    issuer: \"http://127.0.0.1:9998\"\n    labels:\n      prefix: \"a-b\"\n", 17, "providers[0].labels.prefix", "is not allowed in a label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := parseProblems(t, presetYAML(t, tt.given), testEnv())
			wantProblem(t, problems, tt.line, tt.key, tt.message)
		})
	}
}

func TestProviderSettingsParse(t *testing.T) {
	text := presetYAML(t, `    preset: microsoft
    tenant: common
    allowed_tenants: ["11111111-2222-3333-4444-555555555555"]
    user_id: {namespace: entra}
    claims:
      groups: [roles]
    rules:
      email_verified: true
      claims:
        - claim: "https://example.com/plan"
          equals: pro
    labels:
      sync: true
      prefix: ms
    prefs:
      sync: true
      claims: [tid]
`)
	cfg := mustParse(t, text, testEnv())
	p := cfg.Providers[0]
	if p.UserID != (UserID{Strategy: "namespace", Namespace: "entra"}) {
		t.Errorf("user_id = %+v", p.UserID)
	}

	built, err := p.ProviderConfig("http://127.0.0.1:8080/callback/dev")
	if err != nil {
		t.Fatalf("ProviderConfig: %v", err)
	}
	if built.Issuer != "https://login.microsoftonline.com/{tenantid}/v2.0" || built.TenantClaim != "tid" {
		t.Errorf("issuer %q, tenant claim %q", built.Issuer, built.TenantClaim)
	}
	if strings.Join(built.Claims.Groups, ",") != "roles" || built.Claims.EmailVerified != "xms_edov" {
		t.Errorf("claims = %+v: the configured groups must win and the preset fill the rest", built.Claims)
	}
	if len(built.Rules.Claims) != 2 || built.Rules.Claims[0].Values[0] != "pro" || built.Rules.Claims[1].Claim != "tid" {
		t.Errorf("rules = %+v, want the configured rule and the tenant rule", built.Rules.Claims)
	}

	policy := p.Policy()
	if !policy.Labels.Enabled || policy.Labels.Prefix != "ms" || !policy.Prefs.Enabled || policy.UserID.Namespace != "entra" {
		t.Errorf("policy = %+v", policy)
	}
}

func TestLabelSyncWithoutPrefixWarns(t *testing.T) {
	cfg := mustParse(t, presetYAML(t, "    issuer: \"http://127.0.0.1:9998\"\n    labels:\n      sync: true\n"), testEnv())
	warnings := cfg.Warnings()
	if len(warnings) != 1 || !strings.Contains(warnings[0], "labels.sync") {
		t.Errorf("warnings = %q, want one about labels.sync", warnings)
	}
}
