package config

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// secretValues lists every secret in testEnv, in forms that would reveal it.
func secretValues() []string {
	return []string{testAPIKey, testClientSecret, testHashKey, testEncryptionKey, "hhhhhhhh", "eeeeeeee"}
}

func assertNoSecret(t *testing.T, what, output string) {
	t.Helper()
	for _, secret := range secretValues() {
		if strings.Contains(output, secret) {
			t.Errorf("%s contains the secret %q:\n%s", what, secret, output)
		}
	}
}

func TestSecretRedactsInFmt(t *testing.T) {
	cfg := mustParse(t, validYAML, testEnv())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		t.Run(verb, func(t *testing.T) {
			assertNoSecret(t, "fmt "+verb+" of Config", fmt.Sprintf(verb, cfg))
			assertNoSecret(t, "fmt "+verb+" of *Config", fmt.Sprintf(verb, *cfg))
		})
	}
	if got := fmt.Sprint(cfg.Appwrite.APIKey); got != "[redacted]" {
		t.Errorf("fmt.Sprint(api_key) = %q, want [redacted]", got)
	}
	if got := fmt.Sprint(Secret("")); got != "[empty]" {
		t.Errorf("fmt.Sprint(empty secret) = %q, want [empty]", got)
	}
}

func TestSecretRedactsInSlog(t *testing.T) {
	cfg := mustParse(t, validYAML, testEnv())
	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	}
	for name, newHandler := range handlers {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			logger := slog.New(newHandler(&out))
			logger.Info("loaded", "config", cfg, "appwrite", cfg.Appwrite, "key", cfg.Appwrite.APIKey, "flow_key", cfg.Flow.Keys[0])
			assertNoSecret(t, name+" log", out.String())
			if !strings.Contains(out.String(), "[redacted]") {
				t.Errorf("%s log shows no [redacted] marker:\n%s", name, out.String())
			}
		})
	}
}

func TestSecretRedactsInMarshal(t *testing.T) {
	cfg := mustParse(t, validYAML, testEnv())
	asJSON, err := json.Marshal(cfg)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	assertNoSecret(t, "JSON", string(asJSON))

	asYAML, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatalf("yaml.Marshal: %v", err)
	}
	assertNoSecret(t, "YAML", string(asYAML))
}

func TestSecretReveal(t *testing.T) {
	cfg := mustParse(t, validYAML, testEnv())
	if got := cfg.Appwrite.APIKey.Reveal(); got != testAPIKey {
		t.Errorf("api_key.Reveal() = %q, want %q", got, testAPIKey)
	}
	if got := cfg.Providers[0].ClientSecret.Reveal(); got != testClientSecret {
		t.Errorf("client_secret.Reveal() = %q, want %q", got, testClientSecret)
	}
}

func TestParseErrorsHideSecrets(t *testing.T) {
	// Secrets that are wrong for every check they meet, including a
	// duplicate key and a hash key of the wrong length.
	env := testEnv()
	env["HASH_KEY"] = base64.StdEncoding.EncodeToString([]byte("hhhhhhhhhhhhhhhhhhhh"))
	env["ENC_KEY"] = "eeeeeeee" + "*"
	text := edit(t, validYAML, `    client_id: "tokenbridge"`, `    client_id: "tokenbridge"`+"\n    token_auth_method: none")
	text = edit(t, text, `  api_key: "${API_KEY}"`, `  api_key: "${API_KEY}"`+"\n  api_key: \"${API_KEY}\"\n  token_length: ${API_KEY}")

	_, err := Parse("test.yaml", []byte(text), lookupIn(env))
	if err == nil {
		t.Fatal("Parse: no error, want problems")
	}
	assertNoSecret(t, "error", err.Error())
	var cerr *Error
	if !errors.As(err, &cerr) || len(cerr.Problems) < 4 {
		t.Errorf("want at least 4 problems, got:\n%v", err)
	}
}

func TestCookieKeyDecode(t *testing.T) {
	raw32 := bytes.Repeat([]byte{0xfb, 0xff, 0x3e}, 11)[:32] // uses + and / in standard base64
	raw16 := raw32[:16]
	tests := []struct {
		name     string
		given    CookieKey
		wantErr  string
		wantHash []byte
	}{
		{
			name:     "standard alphabet with padding",
			given:    CookieKey{HashKey: Secret(base64.StdEncoding.EncodeToString(raw32)), EncryptionKey: Secret(base64.StdEncoding.EncodeToString(raw16))},
			wantHash: raw32,
		},
		{
			name:     "URL alphabet without padding",
			given:    CookieKey{HashKey: Secret(base64.RawURLEncoding.EncodeToString(raw32)), EncryptionKey: Secret(base64.RawURLEncoding.EncodeToString(raw16))},
			wantHash: raw32,
		},
		{
			name:     "surrounding whitespace",
			given:    CookieKey{HashKey: Secret(base64.StdEncoding.EncodeToString(raw32) + "\n"), EncryptionKey: Secret(base64.StdEncoding.EncodeToString(raw16))},
			wantHash: raw32,
		},
		{
			name:    "hash key of 48 bytes",
			given:   CookieKey{HashKey: Secret(base64.StdEncoding.EncodeToString(make([]byte, 48))), EncryptionKey: Secret(base64.StdEncoding.EncodeToString(raw16))},
			wantErr: "hash_key: decodes to 48 bytes, want 32 or 64",
		},
		{
			name:    "encryption key empty",
			given:   CookieKey{HashKey: Secret(base64.StdEncoding.EncodeToString(raw32))},
			wantErr: "encryption_key: is empty",
		},
		{
			name:    "mixed alphabets",
			given:   CookieKey{HashKey: "ab+c-d/e_f", EncryptionKey: Secret(base64.StdEncoding.EncodeToString(raw16))},
			wantErr: "hash_key: is not valid base64",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, encryption, err := tt.given.Decode()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Decode error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !bytes.Equal(hash, tt.wantHash) {
				t.Errorf("hash = %x, want %x", hash, tt.wantHash)
			}
			if !bytes.Equal(encryption, raw16) {
				t.Errorf("encryption = %x, want %x", encryption, raw16)
			}
		})
	}
}
