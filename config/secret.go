package config

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Secret is a configuration value that must stay out of logs, pages and
// error messages: API keys, client secrets and cookie keys.
// Every way of printing it (fmt with any verb, slog, encoding/json and
// YAML or text marshalling) shows "[redacted]", or "[empty]" when it is
// empty. Reveal returns the value itself.
type Secret string

const (
	redactedText = "[redacted]"
	emptyText    = "[empty]"
)

// Reveal returns the secret value. Call it only where the value is sent to
// the party that needs it.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "[empty]" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return emptyText
	}
	return redactedText
}

// Format prints the redacted form for every fmt verb, including %#v and %x.
func (s Secret) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, s.String())
}

// LogValue implements slog.LogValuer with the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler with the redacted form, so
// JSON and YAML dumps of a Config carry no secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

var (
	_ fmt.Formatter  = Secret("")
	_ slog.LogValuer = Secret("")
)

// CookieKey is one pair of flow cookie keys, each base64 (standard or URL
// alphabet, padding optional) of random bytes.
type CookieKey struct {
	// HashKey signs the cookie: 32 or 64 bytes once decoded.
	HashKey Secret `yaml:"hash_key"`
	// EncryptionKey encrypts the cookie with AES: 16, 24 or 32 bytes once
	// decoded.
	EncryptionKey Secret `yaml:"encryption_key"`
}

// Decode returns the decoded hash and encryption keys. The error names the
// key and its decoded length but never its value. A Config returned by
// Parse has only keys that decode.
func (k CookieKey) Decode() (hash, encryption []byte, err error) {
	hash, err = decodeKey(k.HashKey, 32, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("hash_key: %w", err)
	}
	encryption, err = decodeKey(k.EncryptionKey, 16, 24, 32)
	if err != nil {
		return nil, nil, fmt.Errorf("encryption_key: %w", err)
	}
	return hash, encryption, nil
}

// keyLengthError reports a cookie key that decodes to a length other than
// the allowed ones.
type keyLengthError struct {
	Got  int
	Want []int
}

func (e *keyLengthError) Error() string {
	want := make([]string, len(e.Want))
	for i, n := range e.Want {
		want[i] = fmt.Sprint(n)
	}
	return fmt.Sprintf("decodes to %d bytes, want %s", e.Got, joinAlternatives(want))
}

// decodeKey decodes s as base64 in either alphabet, with or without
// padding, and checks its length against sizes.
func decodeKey(s Secret, sizes ...int) ([]byte, error) {
	text := strings.TrimSpace(s.Reveal())
	if text == "" {
		return nil, errEmpty
	}

	// Decode without padding so both padded and unpadded forms pass, and
	// pick the alphabet from the characters only it uses.
	text = strings.TrimRight(text, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(text, "-_") {
		enc = base64.RawURLEncoding
	}
	raw, err := enc.DecodeString(text)
	if err != nil {
		// The base64 error carries only an offset, but the value stays out
		// of the message all the same.
		return nil, errNotBase64
	}

	for _, n := range sizes {
		if len(raw) == n {
			return raw, nil
		}
	}
	return nil, &keyLengthError{Got: len(raw), Want: sizes}
}

// joinAlternatives joins ["a", "b", "c"] as "a, b or c".
func joinAlternatives(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
