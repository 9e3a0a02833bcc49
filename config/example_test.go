package config

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"
)

// TestExampleConfig keeps config.example.yaml in step with the schema: it
// must parse, warn about nothing and spell out every default.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"APPWRITE_API_KEY":           "example-api-key",
		"TOKENBRIDGE_HASH_KEY":       base64.StdEncoding.EncodeToString([]byte(strings.Repeat("h", 32))),
		"TOKENBRIDGE_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString([]byte(strings.Repeat("e", 32))),
		"DEV_CLIENT_SECRET":          "example-client-secret",
	}
	cfg, err := Parse("config.example.yaml", data, lookupIn(env))
	if err != nil {
		t.Fatalf("config.example.yaml does not parse:\n%v", err)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("config.example.yaml gives warnings: %q", w)
	}

	// Every key of the schema appears in the example.
	for _, key := range []string{
		"server.listen", "server.public_url", "server.log_format", "server.log_level",
		"server.shutdown_timeout", "server.trusted_proxies", "server.rate_limit.requests_per_minute",
		"server.rate_limit.burst", "appwrite.endpoint", "appwrite.project_id", "appwrite.api_key",
		"appwrite.token_length", "appwrite.token_expiry", "appwrite.timeout", "flow.cookie_name",
		"flow.lifetime", "flow.max_pending", "flow.keys[0].hash_key", "flow.keys[0].encryption_key",
		"return_urls[0]", "providers[0].id", "providers[0].name", "providers[0].issuer",
		"providers[0].client_id", "providers[0].client_secret", "providers[0].scopes",
		"providers[0].auth_params", "providers[0].token_auth_method", "providers[0].algorithms",
		"providers[0].clock_skew", "providers[0].userinfo", "providers[0].link_by_email",
		"providers[0].preset", "providers[0].discovery_url", "providers[0].authorization_url",
		"providers[0].token_url", "providers[0].userinfo_url", "providers[0].jwks_url",
		"providers[0].claims.email", "providers[0].claims.email_verified", "providers[0].claims.name",
		"providers[0].claims.groups", "providers[0].user_id", "providers[0].rules.email_domains",
		"providers[0].rules.email_verified", "providers[0].rules.groups_any_of",
		"providers[0].rules.groups_all_of", "providers[0].rules.claims", "providers[0].labels.sync",
		"providers[0].labels.map", "providers[0].labels.mapped_only", "providers[0].labels.prefix",
		"providers[0].prefs.sync", "providers[0].prefs.claims",
	} {
		if cfg.Line(key) == 0 {
			t.Errorf("config.example.yaml does not set %s", key)
		}
	}

	// The example's values equal the defaults wherever one exists, so it
	// documents them truthfully.
	defaults := mustParse(t, validYAML, testEnv())
	checks := []struct {
		key              string
		example, builtin any
	}{
		{"server.listen", cfg.Server.Listen, defaults.Server.Listen},
		{"server.log_format", cfg.Server.LogFormat, defaults.Server.LogFormat},
		{"server.log_level", cfg.Server.LogLevel, defaults.Server.LogLevel},
		{"server.shutdown_timeout", cfg.Server.ShutdownTimeout, defaults.Server.ShutdownTimeout},
		{"server.rate_limit", cfg.Server.RateLimit, defaults.Server.RateLimit},
		{"appwrite.token_length", cfg.Appwrite.TokenLength, defaults.Appwrite.TokenLength},
		{"appwrite.token_expiry", cfg.Appwrite.TokenExpiry, defaults.Appwrite.TokenExpiry},
		{"appwrite.timeout", cfg.Appwrite.Timeout, defaults.Appwrite.Timeout},
		{"flow.cookie_name", cfg.Flow.CookieName, defaults.Flow.CookieName},
		{"flow.lifetime", cfg.Flow.Lifetime, defaults.Flow.Lifetime},
		{"flow.max_pending", cfg.Flow.MaxPending, defaults.Flow.MaxPending},
		{"providers[0].scopes", strings.Join(cfg.Providers[0].Scopes, " "), strings.Join(defaults.Providers[0].Scopes, " ")},
		{"providers[0].token_auth_method", cfg.Providers[0].TokenAuthMethod, defaults.Providers[0].TokenAuthMethod},
		{"providers[0].algorithms", strings.Join(cfg.Providers[0].Algorithms, " "), strings.Join(defaults.Providers[0].Algorithms, " ")},
		{"providers[0].clock_skew", cfg.Providers[0].ClockSkew, defaults.Providers[0].ClockSkew},
		{"providers[0].preset", cfg.Providers[0].Preset, defaults.Providers[0].Preset},
	}
	for _, c := range checks {
		if c.example != c.builtin {
			t.Errorf("config.example.yaml sets %s to %v, but the default is %v", c.key, c.example, c.builtin)
		}
	}

	// Every value aims at loopback.
	for _, u := range []string{cfg.Server.PublicURL, cfg.Appwrite.Endpoint, cfg.Providers[0].Issuer, cfg.ReturnURLs[0]} {
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Errorf("config.example.yaml aims at %s, want 127.0.0.1", u)
		}
	}
}

// TestExamplePresets uncomments the preset examples at the end of
// config.example.yaml and checks that each is a valid provider.
func TestExamplePresets(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	const marker = "  # Presets, one per vendor."
	start := strings.Index(text, marker)
	if start < 0 {
		t.Fatalf("config.example.yaml lacks the line %q", marker)
	}
	var uncommented []string
	for _, line := range strings.Split(text[start:], "\n") {
		if rest, ok := strings.CutPrefix(line, "  # "); ok && (strings.HasPrefix(rest, "- ") || strings.HasPrefix(rest, "  ")) {
			uncommented = append(uncommented, "  "+rest)
		}
	}
	withPresets := text[:start] + strings.Join(uncommented, "\n") + "\n"

	env := map[string]string{
		"APPWRITE_API_KEY":           "example-api-key",
		"TOKENBRIDGE_HASH_KEY":       base64.StdEncoding.EncodeToString([]byte(strings.Repeat("h", 32))),
		"TOKENBRIDGE_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString([]byte(strings.Repeat("e", 32))),
		"DEV_CLIENT_SECRET":          "example-client-secret",
	}
	for _, name := range []string{"AUTH0", "GOOGLE", "ENTRA", "OKTA", "KEYCLOAK", "GITLAB", "COGNITO"} {
		env[name+"_CLIENT_SECRET"] = "example-secret"
	}
	cfg, err := Parse("config.example.yaml", []byte(withPresets), lookupIn(env))
	if err != nil {
		t.Fatalf("the uncommented preset examples do not parse:\n%v", err)
	}
	var presets []string
	for _, p := range cfg.Providers[1:] {
		presets = append(presets, p.Preset)
	}
	if got, want := strings.Join(presets, " "), "auth0 google microsoft okta keycloak gitlab cognito"; got != want {
		t.Errorf("preset examples = %s, want %s", got, want)
	}
}
