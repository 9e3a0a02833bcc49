package config

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// validYAML is the smallest valid configuration. Tests edit single lines of
// it, so its line numbers matter:
//
//	1 server, 2 public_url, 3 appwrite, 4 endpoint, 5 project_id, 6 api_key,
//	7 flow, 8 keys, 9 hash_key, 10 encryption_key, 11 return_urls, 12 entry,
//	13 providers, 14 id, 15 issuer, 16 client_id, 17 client_secret.
const validYAML = `server:
  public_url: "http://127.0.0.1:8080"
appwrite:
  endpoint: "http://127.0.0.1:8090/v1"
  project_id: "tb-test"
  api_key: "${API_KEY}"
flow:
  keys:
    - hash_key: "${HASH_KEY}"
      encryption_key: "${ENC_KEY}"
return_urls:
  - "http://127.0.0.1:3000/done"
providers:
  - id: dev
    issuer: "http://127.0.0.1:9998"
    client_id: "tokenbridge"
    client_secret: "${CLIENT_SECRET}"
`

// Secret values that tests look for in output that must not contain them.
const (
	testAPIKey       = "api-key-VALUE-7f3a9c"
	testClientSecret = "client-secret-VALUE-51b2e8"
)

var (
	testHashKey       = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("h", 32)))
	testEncryptionKey = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("e", 32)))
)

func testEnv() map[string]string {
	return map[string]string{
		"API_KEY":       testAPIKey,
		"HASH_KEY":      testHashKey,
		"ENC_KEY":       testEncryptionKey,
		"CLIENT_SECRET": testClientSecret,
	}
}

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		value, ok := env[name]
		return value, ok
	}
}

// edit replaces the one occurrence of old in text with replacement.
func edit(t *testing.T, text, old, replacement string) string {
	t.Helper()
	if n := strings.Count(text, old); n != 1 {
		t.Fatalf("edit: %q occurs %d times in the test YAML, want 1", old, n)
	}
	return strings.Replace(text, old, replacement, 1)
}

func mustParse(t *testing.T, text string, env map[string]string) *Config {
	t.Helper()
	cfg, err := Parse("test.yaml", []byte(text), lookupIn(env))
	if err != nil {
		t.Fatalf("Parse: unexpected error:\n%v", err)
	}
	return cfg
}

func parseProblems(t *testing.T, text string, env map[string]string) []Problem {
	t.Helper()
	cfg, err := Parse("test.yaml", []byte(text), lookupIn(env))
	if err == nil {
		t.Fatalf("Parse: no error, want problems")
	}
	if cfg != nil {
		t.Errorf("Parse returned a Config together with an error")
	}
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Parse error is %T, want *config.Error: %v", err, err)
	}
	return cerr.Problems
}

// wantProblem checks that problems hold exactly one problem, at line and
// key, whose message contains message.
func wantProblem(t *testing.T, problems []Problem, line int, key, message string) {
	t.Helper()
	if len(problems) != 1 {
		t.Fatalf("got %d problems, want 1:\n%s", len(problems), (&Error{Problems: problems}).Error())
	}
	p := problems[0]
	if p.Line != line {
		t.Errorf("line = %d, want %d (%s)", p.Line, line, p)
	}
	if p.Key != key {
		t.Errorf("key = %q, want %q (%s)", p.Key, key, p)
	}
	if !strings.Contains(p.Message, message) {
		t.Errorf("message = %q, want it to contain %q", p.Message, message)
	}
	if p.File != "test.yaml" {
		t.Errorf("file = %q, want test.yaml", p.File)
	}
}

// fieldType returns the type of the named field of Config.
func fieldType(t *testing.T, name string) reflect.Type {
	t.Helper()
	f, ok := reflect.TypeFor[Config]().FieldByName(name)
	if !ok {
		t.Fatalf("Config has no field %s", name)
	}
	return f.Type
}
