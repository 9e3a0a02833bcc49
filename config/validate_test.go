package config

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestParseValidationProblems(t *testing.T) {
	shortKey := base64.StdEncoding.EncodeToString(make([]byte, 16))
	tests := []struct {
		name        string
		old, new    string // edit of validYAML
		env         map[string]string
		wantLine    int
		wantKey     string
		wantMessage string
	}{
		// server
		{
			name:        "public_url missing",
			old:         `  public_url: "http://127.0.0.1:8080"`,
			new:         `  listen: "127.0.0.1:8080"`,
			wantLine:    1,
			wantKey:     "server.public_url",
			wantMessage: "is empty (set the URL browsers use to reach tokenbridge",
		},
		{
			name:        "public_url relative",
			old:         `  public_url: "http://127.0.0.1:8080"`,
			new:         `  public_url: "/auth"`,
			wantLine:    2,
			wantKey:     "server.public_url",
			wantMessage: `"/auth" is not an absolute URL`,
		},
		{
			name:        "public_url with another scheme",
			old:         `  public_url: "http://127.0.0.1:8080"`,
			new:         `  public_url: "ftp://127.0.0.1:8080"`,
			wantLine:    2,
			wantKey:     "server.public_url",
			wantMessage: `has the scheme "ftp", want http or https`,
		},
		{
			name:        "public_url with a query",
			old:         `  public_url: "http://127.0.0.1:8080"`,
			new:         `  public_url: "http://127.0.0.1:8080/?x=1"`,
			wantLine:    2,
			wantKey:     "server.public_url",
			wantMessage: "has a query string",
		},
		{
			name:        "public_url with a fragment",
			old:         `  public_url: "http://127.0.0.1:8080"`,
			new:         `  public_url: "http://127.0.0.1:8080/#top"`,
			wantLine:    2,
			wantKey:     "server.public_url",
			wantMessage: "has a fragment",
		},
		{
			name:        "public_url with user info",
			old:         `  public_url: "http://127.0.0.1:8080"`,
			new:         `  public_url: "http://admin@127.0.0.1:8080"`,
			wantLine:    2,
			wantKey:     "server.public_url",
			wantMessage: "contains user info",
		},
		{
			name:        "listen without a port",
			old:         "server:\n",
			new:         "server:\n  listen: 127.0.0.1\n",
			wantLine:    2,
			wantKey:     "server.listen",
			wantMessage: `"127.0.0.1" is not host:port`,
		},
		{
			name:        "listen on a host name",
			old:         "server:\n",
			new:         "server:\n  listen: example.test:8080\n",
			wantLine:    2,
			wantKey:     "server.listen",
			wantMessage: `host "example.test" is not an IP address or localhost`,
		},
		{
			name:        "listen on a port out of range",
			old:         "server:\n",
			new:         "server:\n  listen: 127.0.0.1:70000\n",
			wantLine:    2,
			wantKey:     "server.listen",
			wantMessage: `port "70000" is not a number from 0 to 65535`,
		},
		{
			name:        "log_format unknown",
			old:         "server:\n",
			new:         "server:\n  log_format: xml\n",
			wantLine:    2,
			wantKey:     "server.log_format",
			wantMessage: `"xml" is not allowed (use text or json)`,
		},
		{
			name:        "log_level unknown",
			old:         "server:\n",
			new:         "server:\n  log_level: verbose\n",
			wantLine:    2,
			wantKey:     "server.log_level",
			wantMessage: `"verbose" is not allowed (use debug, info, warn or error)`,
		},
		{
			name:        "shutdown_timeout zero",
			old:         "server:\n",
			new:         "server:\n  shutdown_timeout: 0s\n",
			wantLine:    2,
			wantKey:     "server.shutdown_timeout",
			wantMessage: "is 0s, want more than 0",
		},
		{
			name:        "trusted proxy not an address",
			old:         "server:\n",
			new:         "server:\n  trusted_proxies: [10.0.0.0/8, proxy.internal]\n",
			wantLine:    2,
			wantKey:     "server.trusted_proxies[1]",
			wantMessage: `"proxy.internal" is not an IP address or CIDR prefix`,
		},
		{
			name:        "negative rate",
			old:         "server:\n",
			new:         "server:\n  rate_limit: {requests_per_minute: -1}\n",
			wantLine:    2,
			wantKey:     "server.rate_limit.requests_per_minute",
			wantMessage: "is -1, want 0 or more",
		},
		{
			name:        "burst zero",
			old:         "server:\n",
			new:         "server:\n  rate_limit:\n    burst: 0\n",
			wantLine:    3,
			wantKey:     "server.rate_limit.burst",
			wantMessage: "is 0, want 1 or more while the rate limit is on",
		},

		// appwrite
		{
			name:        "endpoint missing",
			old:         `  endpoint: "http://127.0.0.1:8090/v1"` + "\n",
			new:         "",
			wantLine:    3,
			wantKey:     "appwrite.endpoint",
			wantMessage: "is empty (set the Appwrite API URL",
		},
		{
			name:        "project_id with a leading underscore",
			old:         `  project_id: "tb-test"`,
			new:         `  project_id: "_tb"`,
			wantLine:    5,
			wantKey:     "appwrite.project_id",
			wantMessage: `"_tb" is not an Appwrite ID`,
		},
		{
			name:        "project_id too long",
			old:         `  project_id: "tb-test"`,
			new:         `  project_id: "` + strings.Repeat("p", 37) + `"`,
			wantLine:    5,
			wantKey:     "appwrite.project_id",
			wantMessage: "is not an Appwrite ID (use 1 to 36",
		},
		{
			name:        "project_id empty",
			old:         `  project_id: "tb-test"`,
			new:         `  project_id: ""`,
			wantLine:    5,
			wantKey:     "appwrite.project_id",
			wantMessage: "is empty (copy the project ID",
		},
		{
			name:        "api_key empty from the environment",
			env:         map[string]string{"API_KEY": ""},
			wantLine:    6,
			wantKey:     "appwrite.api_key",
			wantMessage: "is empty (create an API key with the users.read and users.write scopes",
		},
		{
			name:        "token_length too small",
			old:         `  project_id: "tb-test"`,
			new:         "  project_id: \"tb-test\"\n  token_length: 3",
			wantLine:    6,
			wantKey:     "appwrite.token_length",
			wantMessage: "is 3, want 4 to 128",
		},
		{
			name:        "token_length too large",
			old:         `  project_id: "tb-test"`,
			new:         "  project_id: \"tb-test\"\n  token_length: 129",
			wantLine:    6,
			wantKey:     "appwrite.token_length",
			wantMessage: "is 129, want 4 to 128",
		},
		{
			name:        "token_expiry too short",
			old:         `  project_id: "tb-test"`,
			new:         "  project_id: \"tb-test\"\n  token_expiry: 59s",
			wantLine:    6,
			wantKey:     "appwrite.token_expiry",
			wantMessage: "is 59s, want 60s to 8760h",
		},
		{
			name:        "token_expiry too long",
			old:         `  project_id: "tb-test"`,
			new:         "  project_id: \"tb-test\"\n  token_expiry: 8761h",
			wantLine:    6,
			wantKey:     "appwrite.token_expiry",
			wantMessage: "is 8761h0m0s, want 60s to 8760h",
		},
		{
			name:        "token_expiry with a fraction of a second",
			old:         `  project_id: "tb-test"`,
			new:         "  project_id: \"tb-test\"\n  token_expiry: 90500ms",
			wantLine:    6,
			wantKey:     "appwrite.token_expiry",
			wantMessage: "is 1m30.5s, want whole seconds",
		},
		{
			name:        "timeout negative",
			old:         `  project_id: "tb-test"`,
			new:         "  project_id: \"tb-test\"\n  timeout: -1s",
			wantLine:    6,
			wantKey:     "appwrite.timeout",
			wantMessage: "is -1s, want more than 0",
		},

		// flow
		{
			name:        "cookie name with a space",
			old:         "flow:\n",
			new:         "flow:\n  cookie_name: tb flow\n",
			wantLine:    8,
			wantKey:     "flow.cookie_name",
			wantMessage: `"tb flow" is not a cookie name`,
		},
		{
			name:        "__Host- cookie over http",
			old:         "flow:\n",
			new:         "flow:\n  cookie_name: __Host-tb\n",
			wantLine:    8,
			wantKey:     "flow.cookie_name",
			wantMessage: `"__Host-tb" needs an https public_url`,
		},
		{
			name:        "lifetime too short",
			old:         "flow:\n",
			new:         "flow:\n  lifetime: 30s\n",
			wantLine:    8,
			wantKey:     "flow.lifetime",
			wantMessage: "is 30s, want 1m to 1h",
		},
		{
			name:        "max_pending zero",
			old:         "flow:\n",
			new:         "flow:\n  max_pending: 0\n",
			wantLine:    8,
			wantKey:     "flow.max_pending",
			wantMessage: "is 0, want 1 to 20",
		},
		{
			name:        "max_pending too large",
			old:         "flow:\n",
			new:         "flow:\n  max_pending: 21\n",
			wantLine:    8,
			wantKey:     "flow.max_pending",
			wantMessage: "is 21, want 1 to 20",
		},
		{
			name:        "no keys",
			old:         "  keys:\n    - hash_key: \"${HASH_KEY}\"\n      encryption_key: \"${ENC_KEY}\"\n",
			new:         "  keys: []\n",
			wantLine:    8,
			wantKey:     "flow.keys",
			wantMessage: "is empty (add a pair of hash_key and encryption_key",
		},
		{
			name:        "hash key too short",
			env:         map[string]string{"HASH_KEY": shortKey},
			wantLine:    9,
			wantKey:     "flow.keys[0].hash_key",
			wantMessage: "decodes to 16 bytes, want 32 or 64 (generate one with: openssl rand -base64 32)",
		},
		{
			name:        "hash key not base64",
			env:         map[string]string{"HASH_KEY": "not*base64"},
			wantLine:    9,
			wantKey:     "flow.keys[0].hash_key",
			wantMessage: "is not valid base64",
		},
		{
			name:        "encryption key of 20 bytes",
			env:         map[string]string{"ENC_KEY": base64.StdEncoding.EncodeToString(make([]byte, 20))},
			wantLine:    10,
			wantKey:     "flow.keys[0].encryption_key",
			wantMessage: "decodes to 20 bytes, want 16, 24 or 32",
		},
		{
			name:        "encryption key empty",
			env:         map[string]string{"ENC_KEY": ""},
			wantLine:    10,
			wantKey:     "flow.keys[0].encryption_key",
			wantMessage: "is empty",
		},

		// return_urls
		{
			name:        "return_urls empty",
			old:         "return_urls:\n  - \"http://127.0.0.1:3000/done\"\n",
			new:         "return_urls: []\n",
			wantLine:    11,
			wantKey:     "return_urls",
			wantMessage: "is empty (list the success and failure URLs of your app",
		},
		{
			name:        "return_urls entry empty",
			old:         `  - "http://127.0.0.1:3000/done"`,
			new:         "  - \"http://127.0.0.1:3000/done\"\n  - \"\"",
			wantLine:    13,
			wantKey:     "return_urls[1]",
			wantMessage: "is empty (write a URL of your app or remove the entry)",
		},

		// providers
		{
			name:        "providers empty",
			old:         "providers:\n  - id: dev\n    issuer: \"http://127.0.0.1:9998\"\n    client_id: \"tokenbridge\"\n    client_secret: \"${CLIENT_SECRET}\"\n",
			new:         "providers: []\n",
			wantLine:    13,
			wantKey:     "providers",
			wantMessage: "is empty (add at least one provider",
		},
		{
			name:        "provider id missing",
			old:         "  - id: dev\n    issuer:",
			new:         "  - issuer:",
			wantLine:    14,
			wantKey:     "providers[0].id",
			wantMessage: "is empty (choose a short name",
		},
		{
			name:        "provider id in upper case",
			old:         "  - id: dev",
			new:         "  - id: Dev",
			wantLine:    14,
			wantKey:     "providers[0].id",
			wantMessage: `"Dev" is not allowed (use 1 to 32 of a-z, 0-9, _ and -`,
		},
		{
			name:        "issuer missing",
			old:         `    issuer: "http://127.0.0.1:9998"` + "\n",
			new:         "",
			wantLine:    14,
			wantKey:     "providers[0].issuer",
			wantMessage: "is empty (set the issuer URL",
		},
		{
			name:        "issuer over http on a public host",
			old:         `    issuer: "http://127.0.0.1:9998"`,
			new:         `    issuer: "http://idp.example.test/"`,
			wantLine:    15,
			wantKey:     "providers[0].issuer",
			wantMessage: "uses http on a non-loopback host (use https",
		},
		{
			name:        "client_id missing",
			old:         `    client_id: "tokenbridge"` + "\n",
			new:         "",
			wantLine:    14,
			wantKey:     "providers[0].client_id",
			wantMessage: "is empty (copy it from the provider's application settings)",
		},
		{
			name:        "client_secret empty with auto",
			env:         map[string]string{"CLIENT_SECRET": ""},
			wantLine:    17,
			wantKey:     "providers[0].client_secret",
			wantMessage: "is empty (copy it from the provider's application settings, or set token_auth_method: none",
		},
		{
			name:        "client_secret set for a public client",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    token_auth_method: none",
			wantLine:    18,
			wantKey:     "providers[0].client_secret",
			wantMessage: "is set, but token_auth_method none sends no secret",
		},
		{
			name:        "token_auth_method unknown",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    token_auth_method: private_key_jwt",
			wantLine:    17,
			wantKey:     "providers[0].token_auth_method",
			wantMessage: `"private_key_jwt" is not allowed (use auto, client_secret_basic, client_secret_post or none)`,
		},
		{
			name:        "scopes without openid",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    scopes: [email, profile]",
			wantLine:    17,
			wantKey:     "providers[0].scopes",
			wantMessage: "does not contain openid (add openid",
		},
		{
			name:        "scopes as one string",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    scopes: [\"openid email\", openid]",
			wantLine:    17,
			wantKey:     "providers[0].scopes[0]",
			wantMessage: `"openid email" contains a space or quote`,
		},
		{
			name:        "auth_params overriding state",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    auth_params:\n      audience: api\n      state: fixed",
			wantLine:    19,
			wantKey:     "providers[0].auth_params.state",
			wantMessage: "overrides state, which tokenbridge sets itself (remove it)",
		},
		{
			name:        "auth_params overriding scope in another case",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    auth_params: {Scope: admin}",
			wantLine:    17,
			wantKey:     "providers[0].auth_params.Scope",
			wantMessage: "overrides scope",
		},
		{
			name:        "auth_params setting response_mode",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    auth_params: {response_mode: form_post}",
			wantLine:    17,
			wantKey:     "providers[0].auth_params.response_mode",
			wantMessage: "overrides response_mode",
		},
		{
			name:        "algorithm HS256",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    algorithms: [RS256, HS256]",
			wantLine:    17,
			wantKey:     "providers[0].algorithms[1]",
			wantMessage: `"HS256" would verify ID tokens with the client secret`,
		},
		{
			name:        "algorithm none",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    algorithms:\n      - RS256\n      - none",
			wantLine:    19,
			wantKey:     "providers[0].algorithms[1]",
			wantMessage: `"none" means an unsigned ID token`,
		},
		{
			name:        "algorithm unknown",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    algorithms: [rs256]",
			wantLine:    17,
			wantKey:     "providers[0].algorithms[0]",
			wantMessage: `"rs256" is not allowed (use RS256, RS384`,
		},
		{
			name:        "algorithms empty",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    algorithms: []",
			wantLine:    17,
			wantKey:     "providers[0].algorithms",
			wantMessage: "is empty (list the algorithms",
		},
		{
			name:        "clock_skew too large",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    clock_skew: 11m",
			wantLine:    17,
			wantKey:     "providers[0].clock_skew",
			wantMessage: "is 11m0s, want 0s to 10m",
		},
		{
			name:        "clock_skew negative",
			old:         `    client_id: "tokenbridge"`,
			new:         "    client_id: \"tokenbridge\"\n    clock_skew: -1s",
			wantLine:    17,
			wantKey:     "providers[0].clock_skew",
			wantMessage: "is -1s, want 0s to 10m",
		},
		{
			name:        "duplicate provider id",
			old:         `    client_secret: "${CLIENT_SECRET}"`,
			new:         "    client_secret: \"${CLIENT_SECRET}\"\n  - id: dev\n    issuer: \"http://127.0.0.1:9999\"\n    client_id: other\n    client_secret: other",
			wantLine:    18,
			wantKey:     "providers[1].id",
			wantMessage: `"dev" is already the id of providers[0] (give each provider its own id)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := validYAML
			if tt.old != "" {
				text = edit(t, text, tt.old, tt.new)
			}
			env := testEnv()
			for name, value := range tt.env {
				env[name] = value
			}
			problems := parseProblems(t, text, env)
			wantProblem(t, problems, tt.wantLine, tt.wantKey, tt.wantMessage)
		})
	}
}

func TestParseListsEveryProblem(t *testing.T) {
	text := validYAML
	text = edit(t, text, `  public_url: "http://127.0.0.1:8080"`, `  public_url: "http://127.0.0.1:8080"`+"\n  log_level: loud")
	text = edit(t, text, `  project_id: "tb-test"`, `  project_id: "tb-test"`+"\n  token_expiry: 60")
	text = edit(t, text, `  api_key: "${API_KEY}"`, `  api_kye: "${API_KEY}"`)
	text = edit(t, text, `    client_id: "tokenbridge"`+"\n", "")
	env := testEnv()
	env["HASH_KEY"] = base64.StdEncoding.EncodeToString(make([]byte, 8))

	_, err := Parse("test.yaml", []byte(text), lookupIn(env))
	if err == nil {
		t.Fatal("Parse: no error, want several problems")
	}
	want := strings.Join([]string{
		`test.yaml:3: server.log_level: "loud" is not allowed (use debug, info, warn or error)`,
		"test.yaml:4: appwrite.api_key: is empty (create an API key with the users.read and users.write scopes in the Appwrite console)",
		"test.yaml:7: appwrite.token_expiry: 60 has no unit (write 60s, or another unit such as m or h)",
		"test.yaml:8: appwrite.api_kye: unknown key (did you mean api_key?)",
		"test.yaml:11: flow.keys[0].hash_key: decodes to 8 bytes, want 32 or 64 (generate one with: openssl rand -base64 32)",
		"test.yaml:16: providers[0].client_id: is empty (copy it from the provider's application settings)",
	}, "\n")
	if got := err.Error(); got != want {
		t.Errorf("Parse error:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseReportsValueOnce(t *testing.T) {
	// A value that failed to decode is not reported again as empty or out
	// of range by validation.
	text := edit(t, validYAML, `  api_key: "${API_KEY}"`, `  api_key: "${UNSET_KEY}"`)
	text = edit(t, text, `  project_id: "tb-test"`, `  project_id: "tb-test"`+"\n  token_length: many")
	problems := parseProblems(t, text, testEnv())
	if len(problems) != 2 {
		t.Fatalf("got %d problems, want 2:\n%s", len(problems), (&Error{Problems: problems}).Error())
	}
	if problems[0].Key != "appwrite.token_length" || problems[1].Key != "appwrite.api_key" {
		t.Errorf("problem keys = %q, %q, want appwrite.token_length, appwrite.api_key", problems[0].Key, problems[1].Key)
	}
}

func TestParseCapsProblemCount(t *testing.T) {
	var b strings.Builder
	b.WriteString(validYAML)
	// Each extra provider repeats the id dev, one problem each.
	for range maxProblems + 5 {
		b.WriteString("  - id: dev\n    issuer: \"http://127.0.0.1:9998\"\n    client_id: x\n    client_secret: y\n")
	}
	problems := parseProblems(t, b.String(), testEnv())
	if len(problems) != maxProblems+1 {
		t.Fatalf("got %d problems, want %d", len(problems), maxProblems+1)
	}
	if last := problems[maxProblems].Message; last != "5 more problems not shown (fix the ones above first)" {
		t.Errorf("last problem = %q, want the count of problems left out", last)
	}
}
