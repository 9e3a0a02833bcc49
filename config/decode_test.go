package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseDecodeProblems(t *testing.T) {
	tests := []struct {
		name        string
		old, new    string // edit of validYAML
		wantLine    int
		wantKey     string
		wantMessage string
	}{
		{
			name:        "unknown key with a near match",
			old:         `  project_id: "tb-test"`,
			new:         "  project_id: \"tb-test\"\n  token_expire: 60s",
			wantLine:    6,
			wantKey:     "appwrite.token_expire",
			wantMessage: "unknown key (did you mean token_expiry?)",
		},
		{
			name:        "unknown key in camel case",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    tokenAuthMethod: auto",
			wantLine:    17,
			wantKey:     "providers[0].tokenAuthMethod",
			wantMessage: "unknown key (did you mean token_auth_method?)",
		},
		{
			name:        "unknown key without a near match",
			old:         "return_urls:",
			new:         "logging: {}\nreturn_urls:",
			wantLine:    11,
			wantKey:     "logging",
			wantMessage: "unknown key (allowed keys: appwrite, flow, providers, return_urls, server)",
		},
		{
			name:        "duplicate key",
			old:         `  api_key: "${API_KEY}"`,
			new:         "  api_key: \"${API_KEY}\"\n  project_id: other",
			wantLine:    7,
			wantKey:     "appwrite.project_id",
			wantMessage: "duplicate key, first set on line 5 (keep one)",
		},
		{
			name:        "list where a map is expected",
			old:         "server:\n  public_url: \"http://127.0.0.1:8080\"",
			new:         "server:\n  - public_url: \"http://127.0.0.1:8080\"",
			wantLine:    2,
			wantKey:     "server",
			wantMessage: "is a list, want a map",
		},
		{
			name:        "single value where a list is expected",
			old:         "return_urls:\n  - \"http://127.0.0.1:3000/done\"",
			new:         "return_urls: \"http://127.0.0.1:3000/done\"",
			wantLine:    11,
			wantKey:     "return_urls",
			wantMessage: "is a single value, want a list",
		},
		{
			name:        "map where a string is expected",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: {a: b}",
			wantLine:    16,
			wantKey:     "providers[0].client_id",
			wantMessage: "is a map, want a string",
		},
		{
			name:        "word where a number is expected",
			old:         `  project_id: "tb-test"`,
			new:         "  project_id: \"tb-test\"\n  token_length: sixty",
			wantLine:    6,
			wantKey:     "appwrite.token_length",
			wantMessage: `"sixty" is not a whole number`,
		},
		{
			name:        "duration without a unit",
			old:         `  project_id: "tb-test"`,
			new:         "  project_id: \"tb-test\"\n  token_expiry: 60",
			wantLine:    6,
			wantKey:     "appwrite.token_expiry",
			wantMessage: "60 has no unit (write 60s",
		},
		{
			name:        "duration that does not parse",
			old:         `  project_id: "tb-test"`,
			new:         "  project_id: \"tb-test\"\n  timeout: 10 min",
			wantLine:    6,
			wantKey:     "appwrite.timeout",
			wantMessage: `"10 min" is not a duration (write it like 60s, 10m or 1h30m)`,
		},
		{
			name:        "boolean written as yes",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    userinfo: yes",
			wantLine:    17,
			wantKey:     "providers[0].userinfo",
			wantMessage: `"yes" is not a boolean (write true or false)`,
		},
		{
			name:        "unset variable",
			old:         `  api_key: "${API_KEY}"`,
			new:         `  api_key: "${MISSING_KEY}"`,
			wantLine:    6,
			wantKey:     "appwrite.api_key",
			wantMessage: "environment variable MISSING_KEY is not set (set it, or write ${MISSING_KEY:-default} to give a default)",
		},
		{
			name:        "unterminated reference",
			old:         `  api_key: "${API_KEY}"`,
			new:         `  api_key: "${API_KEY"`,
			wantLine:    6,
			wantKey:     "appwrite.api_key",
			wantMessage: "has a ${ without a closing }",
		},
		{
			name:        "invalid variable name",
			old:         `  api_key: "${API_KEY}"`,
			new:         `  api_key: "${1KEY}"`,
			wantLine:    6,
			wantKey:     "appwrite.api_key",
			wantMessage: `invalid variable name "1KEY"`,
		},
		{
			name:        "custom tag",
			old:         `  api_key: "${API_KEY}"`,
			new:         `  api_key: !vault "kv/appwrite"`,
			wantLine:    6,
			wantKey:     "appwrite.api_key",
			wantMessage: "has the unsupported tag !vault (remove it)",
		},
		{
			name:        "merge key",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    <<: {userinfo: true}",
			wantLine:    17,
			wantKey:     "providers[0].<<",
			wantMessage: "merge keys are not supported (write the keys out)",
		},
		{
			name:        "unset variable in a list entry",
			old:         `  - "http://127.0.0.1:3000/done"`,
			new:         `  - "${APP_URL}/done"`,
			wantLine:    12,
			wantKey:     "return_urls[0]",
			wantMessage: "environment variable APP_URL is not set",
		},
		{
			name:        "unset variable in an auth parameter",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    auth_params:\n      audience: ${API_AUDIENCE}",
			wantLine:    18,
			wantKey:     "providers[0].auth_params.audience",
			wantMessage: "environment variable API_AUDIENCE is not set",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := edit(t, validYAML, tt.old, tt.new)
			problems := parseProblems(t, text, testEnv())
			wantProblem(t, problems, tt.wantLine, tt.wantKey, tt.wantMessage)
		})
	}
}

func TestParseFileProblems(t *testing.T) {
	// The schema has no recursive types, so an alias bomb works by
	// repeating an aliased node: here 3000 providers of 51 nodes each.
	var bomb strings.Builder
	bomb.WriteString("providers:\n  - &p\n    id: dev\n    auth_params:\n")
	for i := range 50 {
		fmt.Fprintf(&bomb, "      k%d: v\n", i)
	}
	for range 3000 {
		bomb.WriteString("  - *p\n")
	}

	tests := []struct {
		name        string
		text        string
		wantLine    int // -1: not checked
		wantMessage string
	}{
		{
			name:        "empty file",
			text:        "",
			wantLine:    0,
			wantMessage: "file is empty",
		},
		{
			name:        "only comments",
			text:        "# nothing yet\n",
			wantLine:    0,
			wantMessage: "file is empty",
		},
		{
			name:        "null document",
			text:        "~\n",
			wantLine:    1,
			wantMessage: "file holds no settings",
		},
		{
			name:        "list at the top",
			text:        "- server\n",
			wantLine:    1,
			wantMessage: "is a list, want a map",
		},
		{
			name:        "two documents",
			text:        validYAML + "---\nserver: {}\n",
			wantLine:    18,
			wantMessage: "file holds more than one YAML document (keep one and remove the --- separator)",
		},
		{
			name:        "syntax error",
			text:        "server: {}\nappwrite: {}\nflow\nproviders: []\n",
			wantLine:    3,
			wantMessage: "invalid YAML: ",
		},
		{
			name:        "alias bomb",
			text:        bomb.String(),
			wantLine:    -1,
			wantMessage: "aliases expand to more than 100000 YAML nodes (write the values out instead of nesting aliases)",
		},
		{
			name:        "file over 1 MiB",
			text:        validYAML + "#" + strings.Repeat("x", MaxFileSize) + "\n",
			wantLine:    0,
			wantMessage: "file is larger than 1048576 bytes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := parseProblems(t, tt.text, testEnv())
			if len(problems) == 0 {
				t.Fatal("got no problems")
			}
			// A file problem comes with no key. Other problems may follow it,
			// such as unknown keys next to the alias bomb.
			var found bool
			for _, p := range problems {
				if p.Key == "" && strings.Contains(p.Message, tt.wantMessage) {
					found = true
					if tt.wantLine >= 0 && p.Line != tt.wantLine {
						t.Errorf("line = %d, want %d (%s)", p.Line, tt.wantLine, p)
					}
				}
			}
			if !found {
				t.Errorf("no file problem containing %q in:\n%s", tt.wantMessage, (&Error{Problems: problems}).Error())
			}
		})
	}
}

func TestParseNullTakesDefault(t *testing.T) {
	text := edit(t, validYAML, `    client_id: "tokenbridge"`, "    client_id: \"tokenbridge\"\n    scopes: ~\n    clock_skew:")
	cfg := mustParse(t, text, testEnv())
	p := cfg.Providers[0]
	if got := strings.Join(p.Scopes, " "); got != "openid email profile" {
		t.Errorf("scopes = %q, want the default openid email profile", got)
	}
	if p.ClockSkew != defaultClockSkew {
		t.Errorf("clock_skew = %s, want the default %s", p.ClockSkew, defaultClockSkew)
	}
}

func TestParseAliasesWithinBudget(t *testing.T) {
	text := edit(t, validYAML, `    issuer: "http://127.0.0.1:9998"`, `    issuer: &iss "http://127.0.0.1:9998"`)
	text += `  - id: second
    issuer: *iss
    client_id: other
    client_secret: "${CLIENT_SECRET}"
`
	cfg := mustParse(t, text, testEnv())
	if got := cfg.Providers[1].Issuer; got != "http://127.0.0.1:9998" {
		t.Errorf("providers[1].issuer = %q, want the aliased http://127.0.0.1:9998", got)
	}
}

func TestSuggestKey(t *testing.T) {
	tests := []struct {
		given string
		want  string
	}{
		{given: "listn", want: "did you mean listen?"},
		{given: "public-url", want: "did you mean public_url?"},
		{given: "LOG_LEVEL", want: "did you mean log_level?"},
		{given: "trusted_proxys", want: "did you mean trusted_proxies?"},
		{given: "port", want: "allowed keys: listen, log_format, log_level, public_url, rate_limit, shutdown_timeout, trusted_proxies"},
	}
	serverType := fieldType(t, "Server")
	for _, tt := range tests {
		t.Run(tt.given, func(t *testing.T) {
			if got := suggestKey(tt.given, serverType); got != tt.want {
				t.Errorf("suggestKey(%q) = %q, want %q", tt.given, got, tt.want)
			}
		})
	}
}
