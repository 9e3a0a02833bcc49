package bridge_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tokenbridge/tokenbridge/accounts"
	"github.com/tokenbridge/tokenbridge/appwrite"
	"github.com/tokenbridge/tokenbridge/bridge"
	"github.com/tokenbridge/tokenbridge/config"
	"github.com/tokenbridge/tokenbridge/internal/testop"
	"github.com/tokenbridge/tokenbridge/providers"
)

// Tenants of the fake Microsoft Entra ID.
const (
	tenantA = "11111111-2222-3333-4444-555555555555"
	tenantB = "99999999-8888-7777-6666-555555555555"
)

// presetStack starts a stack whose provider is configured by the YAML of
// one providers entry, as an admin writes it. In providerYAML, OP_URL is
// replaced by the test provider's base URL, and id, client_id and
// client_secret are added. prepare runs before discovery, to give the fake
// vendor its discovery document and token shapes.
func presetStack(t *testing.T, providerYAML string, opOptions []testop.Option, prepare func(op *testop.Provider)) (*stack, config.Provider) {
	t.Helper()
	var parsed config.Provider
	s := newStack(t, stackOptions{
		opOptions:     opOptions,
		skipDiscovery: true,
		providerConfig: func(c *providers.Config) {
			base, err := url.Parse(c.Issuer)
			if err != nil {
				t.Fatalf("parse issuer: %v", err)
			}
			opURL := base.Scheme + "://" + base.Host
			entry := "  - id: " + c.ID + "\n" +
				"    client_id: \"" + c.ClientID + "\"\n" +
				"    client_secret: \"" + c.ClientSecret + "\"\n" +
				strings.ReplaceAll(providerYAML, "OP_URL", opURL)
			parsed = parseProvider(t, entry)
			built, err := parsed.ProviderConfig(c.RedirectURL)
			if err != nil {
				t.Fatalf("provider config: %v", err)
			}
			*c = built
		},
	})
	if prepare != nil {
		prepare(s.op)
	}
	if err := s.provider.Discover(context.Background()); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	s.rebuild(t, func(o *bridge.Options) { o.Providers[0].Policy = parsed.Policy() })
	return s, parsed
}

// parseProvider parses a configuration holding the one providers entry.
func parseProvider(t *testing.T, entry string) config.Provider {
	t.Helper()
	key := base64.StdEncoding.EncodeToString(randomBytes(32))
	doc := "server:\n  public_url: \"http://127.0.0.1:8080\"\n" +
		"appwrite:\n  endpoint: \"http://127.0.0.1:8090/v1\"\n  project_id: \"tb-test\"\n  api_key: \"key\"\n" +
		"flow:\n  keys:\n    - hash_key: \"" + key + "\"\n      encryption_key: \"" + key + "\"\n" +
		"return_urls:\n  - \"http://127.0.0.1:3000/done\"\n" +
		"providers:\n" + entry
	cfg, err := config.Parse("presets_test.yaml", []byte(doc), nil)
	if err != nil {
		t.Fatalf("configuration does not parse:\n%v\n%s", err, doc)
	}
	return cfg.Providers[0]
}

// readUser reads the Appwrite user back through the API client.
func (s *stack) readUser(t *testing.T, userID string) *appwrite.User {
	t.Helper()
	user, err := s.appwrite.GetUser(context.Background(), userID)
	if err != nil {
		t.Fatalf("read user %s: %v", userID, err)
	}
	return user
}

// providerEntry returns the user's ProvidersPref entry for the test provider.
func providerEntry(t *testing.T, user *appwrite.User) map[string]any {
	t.Helper()
	all, _ := user.Prefs[accounts.ProvidersPref].(map[string]any)
	entry, ok := all[providerID].(map[string]any)
	if !ok {
		t.Fatalf("prefs lack the %s entry for %s: %v", accounts.ProvidersPref, providerID, user.Prefs)
	}
	return entry
}

// authorizationRequest starts a login and returns the query of the
// authorization request the bridge sends the browser to.
func (s *stack) authorizationRequest(t *testing.T) url.Values {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(s.loginURL(successURL, failureURL))
	if err != nil {
		t.Fatalf("start login: %v", err)
	}
	resp.Body.Close()
	location, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("login answered %d with Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return location.Query()
}

func expectLabels(t *testing.T, user *appwrite.User, want ...string) {
	t.Helper()
	got := slices.Clone(user.Labels)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("labels = %q, want %q", got, want)
	}
}

// expectDenied checks a failure redirect with access_denied and the
// description of the failed rule, and a log line naming rule, provider and
// subject without any token.
func expectDenied(t *testing.T, s *stack, r result, rule, description, subject string) {
	t.Helper()
	expectFailure(t, r, "access_denied")
	if got := r.location.Query().Get("error_description"); got != description {
		t.Errorf("error_description = %q, want %q", got, description)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "by rule "+rule) || !strings.Contains(logs, `subject \"`+subject+`\"`) || !strings.Contains(logs, `"provider":"`+providerID+`"`) {
		t.Errorf("log does not name rule %s, subject %s and the provider:\n%s", rule, subject, logs)
	}
	if strings.Contains(logs, "eyJ") {
		t.Errorf("log contains what looks like a JWT:\n%s", logs)
	}
}

func TestPresetAuth0(t *testing.T) {
	yaml := `    preset: auth0
    domain: "OP_URL"
    audience: "https://api.example.com"
    connection: corporate
    organization: org_abc123
    claims:
      groups: ["https://tokenbridge.example/roles"]
    labels:
      sync: true
      prefix: auth0
    prefs:
      sync: true
      claims: [org_id]
`
	s, _ := presetStack(t, yaml, []testop.Option{testop.WithIssuerTrailingSlash()}, nil)
	if !strings.HasSuffix(s.provider.Issuer(), "/") {
		t.Fatalf("issuer %q lacks Auth0's trailing slash", s.provider.Issuer())
	}

	params := s.authorizationRequest(t)
	for name, want := range map[string]string{"audience": "https://api.example.com", "connection": "corporate", "organization": "org_abc123"} {
		if got := params.Get(name); got != want {
			t.Errorf("authorization request %s = %q, want %q", name, got, want)
		}
	}

	s.op.QueueIdentity(testop.Identity{
		Subject: "auth0|64f1c2", Email: "Ada@Example.com", EmailVerified: true, Name: "Ada",
		Extra: map[string]any{"org_id": "org_abc123", "https://tokenbridge.example/roles": []any{"admin", "billing-team"}},
	})
	userID, _ := expectSuccess(t, s.login(t))
	if want := accounts.DeriveUserID(s.op.Issuer(), "auth0|64f1c2"); userID != want {
		t.Errorf("userId = %q, want the ID derived from the issuer with its slash, %q", userID, want)
	}
	user := s.readUser(t, userID)
	if user.Email != "ada@example.com" || !user.EmailVerification || user.Name != "Ada" {
		t.Errorf("user = %q %q verified=%v", user.Name, user.Email, user.EmailVerification)
	}
	expectLabels(t, user, "auth0admin", "auth0billingteam")
	entry := providerEntry(t, user)
	if entry["issuer"] != s.op.Issuer() || entry["subject"] != "auth0|64f1c2" {
		t.Errorf("prefs entry = %v", entry)
	}
	if claims, _ := entry["claims"].(map[string]any); claims["org_id"] != "org_abc123" {
		t.Errorf("prefs claims = %v, want org_id", entry["claims"])
	}

	// A token for another organization is refused although it verifies.
	s.op.QueueIdentity(testop.Identity{Subject: "auth0|other", Extra: map[string]any{"org_id": "org_zzz"}})
	expectDenied(t, s, s.login(t), "organization", "The account did not sign in to the organization this app requires.", "auth0|other")
}

func TestPresetGoogle(t *testing.T) {
	yaml := `    preset: google
    base_url: "OP_URL"
    hosted_domain: example.com
`
	s, _ := presetStack(t, yaml, nil, nil)
	if got := s.authorizationRequest(t).Get("hd"); got != "example.com" {
		t.Errorf("authorization request hd = %q, want example.com", got)
	}

	person := testop.Identity{Subject: "10769150350006150715113082367", Email: "ada@example.com", EmailVerified: true, Extra: map[string]any{"hd": "example.com"}}
	s.op.QueueIdentity(person)
	withScheme, _ := expectSuccess(t, s.login(t))

	// Google also writes the issuer without https://; the user must not change.
	s.op.SetIDTokenFaults(testop.IDTokenFaults{Issuer: strings.TrimPrefix(s.op.Issuer(), "http://")})
	s.op.QueueIdentity(person)
	withoutScheme, _ := expectSuccess(t, s.login(t))
	if withScheme != withoutScheme {
		t.Errorf("the two issuer forms gave two users: %s and %s", withScheme, withoutScheme)
	}
	if want := accounts.DeriveUserID(s.op.Issuer(), person.Subject); withScheme != want {
		t.Errorf("userId = %q, want the ID derived from the configured issuer, %q", withScheme, want)
	}
	s.op.ResetFaults()

	// hd is a hint to Google's chooser; the token's claim decides.
	s.op.QueueIdentity(testop.Identity{Subject: "1234", Email: "eve@gmail.com", EmailVerified: true})
	expectDenied(t, s, s.login(t), "hosted_domain", "The account does not belong to the Google Workspace domain this app requires.", "1234")

	// Any other issuer is still refused.
	s.op.SetIDTokenFaults(testop.IDTokenFaults{Issuer: "accounts.example.org"})
	s.op.QueueIdentity(person)
	expectFailure(t, s.login(t), "invalid_token")
}

func TestPresetMicrosoftCommon(t *testing.T) {
	yaml := `    preset: microsoft
    base_url: "OP_URL"
    tenant: common
    allowed_tenants: ["` + tenantA + `"]
    labels:
      sync: true
      prefix: entra
`
	var opURL string
	s, _ := presetStack(t, yaml, []testop.Option{testop.WithIssuerPath("/common/v2.0")}, func(op *testop.Provider) {
		opURL = op.URL()
		// Entra's common endpoint publishes a template as its issuer.
		op.SetDiscoveryFaults(testop.DiscoveryFaults{Issuer: op.URL() + "/{tenantid}/v2.0"})
	})
	tokenFrom := func(tenant string) {
		s.op.SetIDTokenFaults(testop.IDTokenFaults{Issuer: opURL + "/" + tenant + "/v2.0"})
	}

	tokenFrom(tenantA)
	s.op.QueueIdentity(testop.Identity{
		Subject: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", Email: "ada@contoso.example", Name: "Ada",
		Extra: map[string]any{"tid": tenantA, "xms_edov": true, "roles": []any{"Task.Admin"}},
	})
	userID, _ := expectSuccess(t, s.login(t))
	if want := accounts.DeriveUserID(opURL+"/"+tenantA+"/v2.0", "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"); userID != want {
		t.Errorf("userId = %q, want the ID derived from the tenant's issuer, %q", userID, want)
	}
	user := s.readUser(t, userID)
	if !user.EmailVerification {
		t.Errorf("email not verified although xms_edov is true")
	}
	expectLabels(t, user, "entraTaskAdmin")

	// Without xms_edov the email is stored but not verified.
	s.op.QueueIdentity(testop.Identity{Subject: "second-person", Email: "bob@contoso.example", EmailVerified: true, Extra: map[string]any{"tid": tenantA}})
	second, _ := expectSuccess(t, s.login(t))
	if user := s.readUser(t, second); user.Email != "bob@contoso.example" || user.EmailVerification {
		t.Errorf("user %q verified=%v, want an unverified email", user.Email, user.EmailVerification)
	}

	// A tenant that is not allowed is refused.
	tokenFrom(tenantB)
	s.op.QueueIdentity(testop.Identity{Subject: "stranger", Extra: map[string]any{"tid": tenantB}})
	expectDenied(t, s, s.login(t), "allowed_tenants", "The account's Microsoft Entra tenant is not allowed to sign in to this app.", "stranger")

	// A token whose iss names another tenant than its tid is invalid.
	tokenFrom(tenantB)
	s.op.QueueIdentity(testop.Identity{Subject: "mixed", Extra: map[string]any{"tid": tenantA}})
	expectFailure(t, s.login(t), "invalid_token")
}

func TestPresetMicrosoftSingleTenant(t *testing.T) {
	yaml := `    preset: microsoft
    base_url: "OP_URL"
    tenant: "` + tenantA + `"
`
	s, _ := presetStack(t, yaml, []testop.Option{testop.WithIssuerPath("/" + tenantA + "/v2.0")}, nil)
	s.op.QueueIdentity(testop.Identity{Subject: "entra-sub", Email: "ada@contoso.example", EmailVerified: true, Extra: map[string]any{"tid": tenantA}})
	userID, _ := expectSuccess(t, s.login(t))
	// Entra sends no email_verified; a claim of that name is not trusted.
	if user := s.readUser(t, userID); user.EmailVerification {
		t.Errorf("email verified from email_verified, want only xms_edov to count")
	}
}

func TestPresetOkta(t *testing.T) {
	yaml := `    preset: okta
    domain: "OP_URL"
    authorization_server: default
    rules:
      groups_any_of: [Everyone]
    labels:
      sync: true
      map: {Everyone: member, "App Admins": admin}
      mapped_only: true
`
	s, _ := presetStack(t, yaml, []testop.Option{testop.WithIssuerPath("/oauth2/default")}, nil)
	s.op.QueueIdentity(testop.Identity{Subject: "00u1abcd", Email: "ada@example.com", EmailVerified: true, Groups: []string{"Everyone", "App Admins", "Unmapped"}})
	userID, _ := expectSuccess(t, s.login(t))
	expectLabels(t, s.readUser(t, userID), "admin", "member")

	s.op.QueueIdentity(testop.Identity{Subject: "00u2efgh", Groups: []string{"Contractors"}})
	expectDenied(t, s, s.login(t), "groups_any_of", "The account is in none of the groups allowed to sign in.", "00u2efgh")
}

func TestPresetKeycloak(t *testing.T) {
	// A client ID with dots exercises claim paths through resource_access.
	yaml := `    preset: keycloak
    realm_url: "OP_URL/realms/main"
    rules:
      claims:
        - claim: realm_access.roles
          one_of: [app-user, app-admin]
    labels:
      sync: true
      prefix: kc
      map: {app-admin: admin}
`
	s, _ := presetStack(t, yaml, []testop.Option{testop.WithIssuerPath("/realms/main"), testop.WithClient("my.web.app", "keycloak-secret")}, nil)
	s.op.QueueIdentity(testop.Identity{
		Subject: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", Email: "ada@example.com", EmailVerified: true,
		Extra: map[string]any{
			"realm_access":    map[string]any{"roles": []any{"app-admin", "offline_access"}},
			"resource_access": map[string]any{"my.web.app": map[string]any{"roles": []any{"editor"}}, "other": map[string]any{"roles": []any{"ignored"}}},
		},
	})
	userID, _ := expectSuccess(t, s.login(t))
	expectLabels(t, s.readUser(t, userID), "admin", "kcofflineaccess", "kceditor")

	s.op.QueueIdentity(testop.Identity{Subject: "no-roles", Extra: map[string]any{"realm_access": map[string]any{"roles": []any{"offline_access"}}}})
	expectDenied(t, s, s.login(t), "claims[0]", "The account does not have a claim value allowed to sign in.", "no-roles")
}

func TestPresetGitLab(t *testing.T) {
	yaml := `    preset: gitlab
    base_url: "OP_URL"
    userinfo: true
    user_id: subject
    labels:
      sync: true
      map: {acme: staff}
      mapped_only: true
`
	s, _ := presetStack(t, yaml, nil, nil)
	s.op.QueueIdentity(testop.Identity{
		Subject: "4217", Email: "ada@example.com", EmailVerified: true, Name: "Ada",
		Groups: []string{"acme", "acme/web"},
		Extra:  map[string]any{"groups_direct": []any{"acme/web"}, "sub_legacy": "2ab0b5e8d9e2b47fce35f8a7d6e9c1c4b7a0f7c6e1d2b3a4f5e6d7c8b9a0f1e2"},
	})
	userID, _ := expectSuccess(t, s.login(t))
	if userID != "4217" {
		t.Errorf("userId = %q, want the subject 4217 (never sub_legacy)", userID)
	}
	expectLabels(t, s.readUser(t, userID), "staff")
}

func TestPresetCognito(t *testing.T) {
	yaml := `    preset: cognito
    base_url: "OP_URL"
    region: eu-west-1
    user_pool_id: eu-west-1_AbC123
    rules:
      email_verified: true
    labels:
      sync: true
      prefix: pool
    prefs:
      sync: true
      claims: ["cognito:username"]
`
	s, _ := presetStack(t, yaml, []testop.Option{testop.WithIssuerPath("/eu-west-1_AbC123")}, nil)
	s.op.QueueIdentity(testop.Identity{
		Subject: "5a3c7e2d-0b1f-4e6a-9c8d-7f6e5d4c3b2a", Email: "ada@example.com", EmailVerified: "true",
		Extra: map[string]any{"cognito:groups": []any{"admins"}, "cognito:username": "ada"},
	})
	userID, _ := expectSuccess(t, s.login(t))
	user := s.readUser(t, userID)
	if !user.EmailVerification {
		t.Errorf("email_verified \"true\" (a string) did not verify the email")
	}
	expectLabels(t, user, "pooladmins")
	if claims, _ := providerEntry(t, user)["claims"].(map[string]any); claims["cognito:username"] != "ada" {
		t.Errorf("prefs claims = %v, want cognito:username", claims)
	}

	s.op.QueueIdentity(testop.Identity{Subject: "unverified", Email: "eve@example.com", EmailVerified: "false"})
	expectDenied(t, s, s.login(t), "email_verified", "The sign-in provider has not verified the account's email address.", "unverified")
}

func TestPresetOIDCExplicitEndpoints(t *testing.T) {
	yaml := `    issuer: "OP_URL"
    authorization_url: "OP_URL/authorize"
    token_url: "OP_URL/token"
    jwks_url: "OP_URL/jwks"
`
	s, _ := presetStack(t, yaml, nil, nil)
	expectSuccess(t, s.login(t))
	if n := s.op.Count(testop.EndpointDiscovery); n != 0 {
		t.Errorf("discovery was fetched %d times, want none with explicit endpoints", n)
	}
}

func TestPresetOIDCBackChannelDiscovery(t *testing.T) {
	// Tokens and the discovery document name a public issuer that the
	// bridge never contacts; it reaches the provider at OP_URL instead.
	const public = "https://login.tokenbridge.invalid"
	yaml := `    issuer: "` + public + `"
    discovery_url: "OP_URL/.well-known/openid-configuration"
`
	s, _ := presetStack(t, yaml, nil, func(op *testop.Provider) {
		op.SetDiscoveryFaults(testop.DiscoveryFaults{Issuer: public})
		op.SetIDTokenFaults(testop.IDTokenFaults{Issuer: public})
	})
	userID, _ := expectSuccess(t, s.login(t))
	if want := accounts.DeriveUserID(public, testop.DefaultIdentity().Subject); userID != want {
		t.Errorf("userId = %q, want the ID derived from the public issuer, %q", userID, want)
	}
}

// TestAccessRules runs each access rule through a whole login: one person
// passes every rule, and each row fails exactly one.
func TestAccessRules(t *testing.T) {
	yaml := `    issuer: "OP_URL"
    rules:
      email_domains: [example.com]
      email_verified: true
      require_email: true
      require_name: true
      groups_any_of: [staff, contractors]
      groups_all_of: [staff, vpn]
      claims:
        - claim: department
          equals: engineering
        - claim: "https://tokenbridge.example/plan"
          one_of: [pro, team]
`
	s, _ := presetStack(t, yaml, nil, nil)
	pass := testop.Identity{
		Subject: "passes", Email: "ada@EXAMPLE.com", EmailVerified: true, Name: "Ada", Groups: []string{"staff", "vpn"},
		Extra: map[string]any{"department": "engineering", "https://tokenbridge.example/plan": []any{"free", "team"}},
	}
	s.op.QueueIdentity(pass)
	expectSuccess(t, s.login(t))

	tests := []struct {
		name        string
		change      func(*testop.Identity)
		rule        string
		description string
	}{
		{"no email", func(id *testop.Identity) { id.Email = "" }, "require_email",
			"The sign-in provider did not share an email address for the account."},
		{"no name", func(id *testop.Identity) { id.Name = "" }, "require_name",
			"The sign-in provider did not share a name for the account."},
		{"email domain", func(id *testop.Identity) { id.Email = "ada@example.org" }, "email_domains",
			"The account's email domain is not allowed to sign in."},
		{"unverified email", func(id *testop.Identity) { id.EmailVerified = false }, "email_verified",
			"The sign-in provider has not verified the account's email address."},
		{"no allowed group", func(id *testop.Identity) { id.Groups = []string{"vpn"} }, "groups_any_of",
			"The account is in none of the groups allowed to sign in."},
		{"missing required group", func(id *testop.Identity) { id.Groups = []string{"staff"} }, "groups_all_of",
			"The account is not in every group required to sign in."},
		{"claim not equal", func(id *testop.Identity) { id.Extra["department"] = "sales" }, "claims[0]",
			"The account does not have a claim value allowed to sign in."},
		{"claim missing", func(id *testop.Identity) { delete(id.Extra, "https://tokenbridge.example/plan") }, "claims[1]",
			"The account does not have a claim value allowed to sign in."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := pass
			id.Subject = "fails-" + strings.ReplaceAll(tt.name, " ", "-")
			id.Extra = map[string]any{"department": "engineering", "https://tokenbridge.example/plan": "pro"}
			tt.change(&id)
			before := s.upstream.calls()
			s.op.QueueIdentity(id)
			expectDenied(t, s, s.login(t), tt.rule, tt.description, id.Subject)
			if after := s.upstream.calls(); after != before {
				t.Errorf("a denied login made %d Appwrite calls, want none", after-before)
			}
		})
	}
}

func TestUserIDStrategies(t *testing.T) {
	t.Run("namespace", func(t *testing.T) {
		s, _ := presetStack(t, "    issuer: \"OP_URL\"\n    user_id: {namespace: legacy-idp}\n", nil, nil)
		userID, _ := expectSuccess(t, s.login(t))
		if want := accounts.DeriveUserID("legacy-idp", testop.DefaultIdentity().Subject); userID != want {
			t.Errorf("userId = %q, want %q", userID, want)
		}
	})
	t.Run("subject rejected", func(t *testing.T) {
		s, _ := presetStack(t, "    issuer: \"OP_URL\"\n    user_id: subject\n", nil, nil)
		s.op.QueueIdentity(testop.Identity{Subject: "auth0|not-an-id"})
		expectFailure(t, s.login(t), "server_error")
		if logs := s.logs.String(); !strings.Contains(logs, "is not a valid Appwrite user ID") {
			t.Errorf("log does not explain the rejected subject:\n%s", logs)
		}
	})
}

// TestLabelSyncKeepsOtherLabels checks that later logins remove only the
// labels this provider added, and write nothing when nothing changed.
func TestLabelSyncKeepsOtherLabels(t *testing.T) {
	yaml := `    issuer: "OP_URL"
    labels:
      sync: true
      prefix: idp
    prefs:
      sync: true
`
	s, _ := presetStack(t, yaml, nil, nil)
	ctx := context.Background()
	s.op.QueueIdentity(testop.Identity{Subject: "ada", Groups: []string{"red", "blue", "team/with-a-very-long-name-beyond-the-label-limit"}})
	userID, _ := expectSuccess(t, s.login(t))
	expectLabels(t, s.readUser(t, userID), "idpred", "idpblue")
	if !strings.Contains(s.logs.String(), "cannot become an Appwrite label") {
		t.Errorf("the skipped group was not logged")
	}

	// The app adds labels of its own, one equal to a provider label.
	if _, err := s.appwrite.UpdateLabels(ctx, userID, []string{"idpred", "idpblue", "vip", "idpgreen"}); err != nil {
		t.Fatal(err)
	}
	s.op.QueueIdentity(testop.Identity{Subject: "ada", Groups: []string{"green"}})
	expectSuccess(t, s.login(t))
	user := s.readUser(t, userID)
	expectLabels(t, user, "vip", "idpgreen")
	if got := providerEntry(t, user)["labels"]; !reflect.DeepEqual(got, []any{}) {
		t.Errorf("managed labels = %v, want none: idpgreen was the app's before the provider sent it", got)
	}

	// The same groups again: one read, no writes.
	s.upstream.reset()
	s.op.QueueIdentity(testop.Identity{Subject: "ada", Groups: []string{"green"}})
	expectSuccess(t, s.login(t))
	if n := s.upstream.calls(); n != 2 {
		t.Errorf("unchanged login made %d Appwrite calls, want 2 (read the user, create the token)", n)
	}

	// Dropping the group keeps idpgreen, which the provider did not add.
	s.op.QueueIdentity(testop.Identity{Subject: "ada"})
	expectSuccess(t, s.login(t))
	expectLabels(t, s.readUser(t, userID), "vip", "idpgreen")
}
