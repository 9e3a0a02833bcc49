package config

import (
	"slices"
	"testing"
)

func TestExpandEnv(t *testing.T) {
	env := map[string]string{
		"HOST":  "127.0.0.1",
		"PORT":  "8090",
		"EMPTY": "",
	}
	tests := []struct {
		name        string
		given       string
		wantValue   string
		wantMissing []string
		wantSyntax  bool
	}{
		{name: "no reference", given: "plain $HOME text", wantValue: "plain $HOME text"},
		{name: "set variable", given: "${HOST}", wantValue: "127.0.0.1"},
		{name: "variables inside text", given: "http://${HOST}:${PORT}/v1", wantValue: "http://127.0.0.1:8090/v1"},
		{name: "set but empty", given: "a${EMPTY}b", wantValue: "ab"},
		{name: "unset variable", given: "${NOPE}", wantMissing: []string{"NOPE"}},
		{name: "two unset variables", given: "${NOPE}-${NADA}", wantMissing: []string{"NOPE", "NADA"}},
		{name: "default for unset", given: "${NOPE:-info}", wantValue: "info"},
		{name: "default for empty", given: "${EMPTY:-json}", wantValue: "json"},
		{name: "default ignored when set", given: "${HOST:-localhost}", wantValue: "127.0.0.1"},
		{name: "empty default", given: "x${NOPE:-}y", wantValue: "xy"},
		{name: "escaped reference", given: "$${HOST}", wantValue: "${HOST}"},
		{name: "escape next to reference", given: "$${HOST}=${HOST}", wantValue: "${HOST}=127.0.0.1"},
		{name: "lone dollars", given: "$$ and $", wantValue: "$$ and $"},
		{name: "unterminated", given: "${HOST", wantSyntax: true},
		{name: "empty name", given: "${}", wantSyntax: true},
		{name: "name with a space", given: "${MY VAR}", wantSyntax: true},
		{name: "name starting with a digit", given: "${9LIVES}", wantSyntax: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := expandEnv(tt.given, lookupIn(env))
			if (got.syntax != "") != tt.wantSyntax {
				t.Fatalf("syntax problem = %q, want one: %v", got.syntax, tt.wantSyntax)
			}
			if tt.wantSyntax {
				return
			}
			if !slices.Equal(got.missing, tt.wantMissing) {
				t.Errorf("missing = %q, want %q", got.missing, tt.wantMissing)
			}
			if len(tt.wantMissing) == 0 && got.value != tt.wantValue {
				t.Errorf("value = %q, want %q", got.value, tt.wantValue)
			}
		})
	}
}

func TestParseExpandsSpecialCharacters(t *testing.T) {
	// Expansion runs after YAML parsing, so these characters need no quoting
	// in the environment.
	special := `a: b #c, [d] {e} "f' &g *h | > ! % @ ` + "`"
	env := testEnv()
	env["API_KEY"] = special
	text := edit(t, validYAML, `  api_key: "${API_KEY}"`, `  api_key: ${API_KEY}`)
	cfg := mustParse(t, text, env)
	if got := cfg.Appwrite.APIKey.Reveal(); got != special {
		t.Errorf("api_key = %q, want %q", got, special)
	}
}

func TestParseExpandsTypedValues(t *testing.T) {
	env := testEnv()
	env["TOKEN_LENGTH"] = "32"
	env["TOKEN_EXPIRY"] = "5m"
	env["USERINFO"] = "true"
	text := edit(t, validYAML, `  project_id: "tb-test"`, `  project_id: "tb-test"`+"\n  token_length: ${TOKEN_LENGTH}\n  token_expiry: ${TOKEN_EXPIRY}\n  timeout: ${TIMEOUT:-3s}")
	text = edit(t, text, `    client_id: "tokenbridge"`, `    client_id: "tokenbridge"`+"\n    userinfo: ${USERINFO}")
	cfg := mustParse(t, text, env)
	if got := cfg.Appwrite.TokenLength; got != 32 {
		t.Errorf("token_length = %d, want 32", got)
	}
	if got := cfg.Appwrite.TokenExpiry.String(); got != "5m0s" {
		t.Errorf("token_expiry = %s, want 5m0s", got)
	}
	if got := cfg.Appwrite.Timeout.String(); got != "3s" {
		t.Errorf("timeout = %s, want the default 3s from the reference", got)
	}
	if !cfg.Providers[0].UserInfo {
		t.Error("userinfo = false, want true")
	}
}

func TestParseHidesExpandedValueInMessages(t *testing.T) {
	env := testEnv()
	env["LENGTH"] = testAPIKey
	text := edit(t, validYAML, `  project_id: "tb-test"`, `  project_id: "tb-test"`+"\n  token_length: ${LENGTH}")
	problems := parseProblems(t, text, env)
	wantProblem(t, problems, 6, "appwrite.token_length", `the expansion of "${LENGTH}" is not a whole number`)
}
