package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseAppliesDefaults(t *testing.T) {
	cfg := mustParse(t, validYAML, testEnv())
	tests := []struct {
		key  string
		got  any
		want any
	}{
		{"server.listen", cfg.Server.Listen, "127.0.0.1:8080"},
		{"server.log_format", cfg.Server.LogFormat, "text"},
		{"server.log_level", cfg.Server.LogLevel, "info"},
		{"server.shutdown_timeout", cfg.Server.ShutdownTimeout, 15 * time.Second},
		{"server.trusted_proxies", len(cfg.Server.TrustedProxies), 0},
		{"server.rate_limit.requests_per_minute", cfg.Server.RateLimit.RequestsPerMinute, 60},
		{"server.rate_limit.burst", cfg.Server.RateLimit.Burst, 20},
		{"appwrite.token_length", cfg.Appwrite.TokenLength, 64},
		{"appwrite.token_expiry", cfg.Appwrite.TokenExpiry, 60 * time.Second},
		{"appwrite.timeout", cfg.Appwrite.Timeout, 10 * time.Second},
		{"flow.cookie_name", cfg.Flow.CookieName, "tb_flow"},
		{"flow.lifetime", cfg.Flow.Lifetime, 10 * time.Minute},
		{"flow.max_pending", cfg.Flow.MaxPending, 5},
		{"providers[0].name", cfg.Providers[0].Name, "dev"},
		{"providers[0].scopes", strings.Join(cfg.Providers[0].Scopes, " "), "openid email profile"},
		{"providers[0].token_auth_method", cfg.Providers[0].TokenAuthMethod, "auto"},
		{"providers[0].algorithms", strings.Join(cfg.Providers[0].Algorithms, " "), "RS256 ES256"},
		{"providers[0].clock_skew", cfg.Providers[0].ClockSkew, 2 * time.Minute},
		{"providers[0].userinfo", cfg.Providers[0].UserInfo, false},
		{"providers[0].link_by_email", cfg.Providers[0].LinkByEmail, false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.key, tt.got, tt.want)
		}
	}
}

func TestParseKeepsExplicitValues(t *testing.T) {
	text := edit(t, validYAML, `  public_url: "http://127.0.0.1:8080"`, `  public_url: "http://127.0.0.1:8080/auth/"`+
		"\n  log_format: \"\"\n  rate_limit: {requests_per_minute: 0, burst: 0}")
	text = edit(t, text, `  endpoint: "http://127.0.0.1:8090/v1"`, `  endpoint: "http://127.0.0.1:8090/v1/"`)
	text = edit(t, text, `    client_id: "tokenbridge"`, `    client_id: "tokenbridge"`+"\n    clock_skew: 0s\n    name: Dev IdP")
	cfg := mustParse(t, text, testEnv())

	if got := cfg.Server.PublicURL; got != "http://127.0.0.1:8080/auth" {
		t.Errorf("public_url = %q, want the trailing slash trimmed", got)
	}
	if got := cfg.Appwrite.Endpoint; got != "http://127.0.0.1:8090/v1" {
		t.Errorf("endpoint = %q, want the trailing slash trimmed", got)
	}
	if got := cfg.Server.LogFormat; got != "text" {
		t.Errorf("log_format = %q, want the default text for an empty string", got)
	}
	if got := cfg.Server.RateLimit.RequestsPerMinute; got != 0 {
		t.Errorf("requests_per_minute = %d, want the explicit 0", got)
	}
	if got := cfg.Providers[0].ClockSkew; got != 0 {
		t.Errorf("clock_skew = %s, want the explicit 0s", got)
	}
	if got := cfg.Providers[0].Name; got != "Dev IdP" {
		t.Errorf("name = %q, want Dev IdP", got)
	}
}

func TestConfigLine(t *testing.T) {
	cfg := mustParse(t, validYAML, testEnv())
	tests := []struct {
		key  string
		want int
	}{
		{"server", 1},
		{"server.public_url", 2},
		{"appwrite.api_key", 6},
		{"flow.keys[0]", 9},
		{"flow.keys[0].encryption_key", 10},
		{"return_urls[0]", 12},
		{"providers[0]", 14},
		{"providers[0].issuer", 15},
		{"server.listen", 0},       // filled by a default
		{"providers[1].issuer", 0}, // no such provider
		{"", 1},
	}
	for _, tt := range tests {
		if got := cfg.Line(tt.key); got != tt.want {
			t.Errorf("Line(%q) = %d, want %d", tt.key, got, tt.want)
		}
	}
}

func TestConfigWarnings(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{
			name: "http public_url on a public host",
			old:  `  public_url: "http://127.0.0.1:8080"`,
			new:  `  public_url: "http://auth.example.test"`,
			want: "test.yaml:2: server.public_url: uses http on a non-loopback host",
		},
		{
			name: "trusting every proxy",
			old:  "server:\n",
			new:  "server:\n  trusted_proxies: [\"::/0\"]\n",
			want: "test.yaml:2: server.trusted_proxies[0]: ::/0 trusts X-Forwarded-For from every address",
		},
		{
			name: "rate limit off",
			old:  "server:\n",
			new:  "server:\n  rate_limit:\n    requests_per_minute: 0\n",
			want: "test.yaml:3: server.rate_limit.requests_per_minute: is 0, so /login and /callback have no rate limit",
		},
		{
			name: "endpoint without /v1",
			old:  `  endpoint: "http://127.0.0.1:8090/v1"`,
			new:  `  endpoint: "http://127.0.0.1:8090"`,
			want: "test.yaml:4: appwrite.endpoint: does not end in /v1",
		},
		{
			name: "http endpoint on a public host",
			old:  `  endpoint: "http://127.0.0.1:8090/v1"`,
			new:  `  endpoint: "http://appwrite.example.test/v1"`,
			want: "test.yaml:4: appwrite.endpoint: uses http on a non-loopback host, so the API key",
		},
		{
			name: "link_by_email on",
			old:  `    client_id: "tokenbridge"`,
			new:  "    client_id: \"tokenbridge\"\n    link_by_email: true",
			want: "test.yaml:17: providers[0].link_by_email: is on",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, edit(t, validYAML, tt.old, tt.new), testEnv())
			warnings := cfg.Warnings()
			if len(warnings) != 1 {
				t.Fatalf("got %d warnings, want 1: %q", len(warnings), warnings)
			}
			if !strings.HasPrefix(warnings[0], tt.want) {
				t.Errorf("warning = %q, want it to start with %q", warnings[0], tt.want)
			}
		})
	}
}

func TestConfigWarningsNoneForLoopback(t *testing.T) {
	cfg := mustParse(t, validYAML, testEnv())
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("Warnings() = %q, want none", w)
	}
}

func TestLoad(t *testing.T) {
	for name, value := range testEnv() {
		t.Setenv(name, value)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "tokenbridge.yaml")
	if err := os.WriteFile(path, []byte(validYAML), 0o600); err != nil {
		t.Fatal(err)
	}

	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := cfg.Appwrite.APIKey.Reveal(); got != testAPIKey {
		t.Errorf("api_key = %q, want the value of $API_KEY", got)
	}
}

func TestLoadProblems(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", MaxFileSize+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("server: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want fs.ErrNotExist", err)
	}

	_, err := Load(big)
	var cerr *Error
	if !errors.As(err, &cerr) || !strings.Contains(err.Error(), big+": file is larger than") {
		t.Errorf("Load(big) error = %v, want a *config.Error about the size", err)
	}

	_, err = Load(broken)
	if !errors.As(err, &cerr) || !strings.HasPrefix(err.Error(), broken+":") {
		t.Errorf("Load(broken) error = %v, want a *config.Error naming the file", err)
	}
}

func TestErrorSortsByLine(t *testing.T) {
	err := newError([]Problem{
		{File: "f.yaml", Line: 9, Key: "b", Message: "second"},
		{File: "f.yaml", Line: 0, Message: "whole file"},
		{File: "f.yaml", Line: 2, Key: "a", Message: "first"},
	})
	want := "f.yaml: whole file\nf.yaml:2: a: first\nf.yaml:9: b: second"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	keys := []string{err.Problems[0].Key, err.Problems[1].Key, err.Problems[2].Key}
	if !slices.Equal(keys, []string{"", "a", "b"}) {
		t.Errorf("problem keys = %q, want sorted by line", keys)
	}
}
