package returnurl

import (
	"errors"
	"strings"
	"testing"
)

var checkEntries = []string{
	"https://app.example.com/auth/done",
	"https://*.example.net/callback",
	"https://static.example.org/*",
	"https://docs.example.org/guide/*",
	"http://127.0.0.1/callback",
	"http://[::1]/callback",
	"http://localhost:3000/fixed",
	"appwrite-callback-abc123://",
	"myapp://callback",
}

func TestCheck(t *testing.T) {
	list := mustParse(t, checkEntries)

	tests := []struct {
		name      string
		givenURL  string
		expectURL string // "" when an error is expected
		expectErr error
	}{
		// Exact entries.
		{name: "exact match", givenURL: "https://app.example.com/auth/done", expectURL: "https://app.example.com/auth/done"},
		{name: "query kept", givenURL: "https://app.example.com/auth/done?a=1&b=%2F", expectURL: "https://app.example.com/auth/done?a=1&b=%2F"},
		{name: "other path", givenURL: "https://app.example.com/auth/other", expectErr: ErrNotAllowed},
		{name: "trailing slash is another path", givenURL: "https://app.example.com/auth/done/", expectErr: ErrNotAllowed},
		{name: "path case differs", givenURL: "https://app.example.com/Auth/Done", expectErr: ErrNotAllowed},
		{name: "unlisted host", givenURL: "https://evil.test/auth/done", expectErr: ErrNotAllowed},
		{name: "http instead of https", givenURL: "http://app.example.com/auth/done", expectErr: ErrNotAllowed},

		// Case and default ports.
		{name: "upper-case scheme and host", givenURL: "HTTPS://APP.EXAMPLE.COM/auth/done", expectURL: "https://app.example.com/auth/done"},
		{name: "default port removed", givenURL: "https://app.example.com:443/auth/done", expectURL: "https://app.example.com/auth/done"},
		{name: "other port", givenURL: "https://app.example.com:444/auth/done", expectErr: ErrNotAllowed},
		{name: "port 0", givenURL: "https://app.example.com:0/auth/done", expectErr: ErrMalformed},
		{name: "port above 65535", givenURL: "https://app.example.com:65536/auth/done", expectErr: ErrMalformed},
		{name: "port with leading zero", givenURL: "https://app.example.com:0443/auth/done", expectErr: ErrMalformed},
		{name: "empty port", givenURL: "https://app.example.com:/auth/done", expectErr: ErrMalformed},

		// Look-alike hosts.
		{name: "suffix look-alike", givenURL: "https://app.example.com.evil.test/auth/done", expectErr: ErrNotAllowed},
		{name: "prefix look-alike", givenURL: "https://evilapp.example.com/auth/done", expectErr: ErrNotAllowed},
		{name: "extra label", givenURL: "https://www.app.example.com/auth/done", expectErr: ErrNotAllowed},
		{name: "trailing dot", givenURL: "https://app.example.com./auth/done", expectErr: ErrMalformed},
		{name: "underscore in host", givenURL: "https://app_1.example.com/auth/done", expectErr: ErrMalformed},
		{name: "Kelvin sign folds to k", givenURL: "https://app.example.\u212aom/auth/done", expectErr: ErrMalformed},
		{name: "Cyrillic a", givenURL: "https://\u0430pp.example.com/auth/done", expectErr: ErrMalformed},

		// Subdomain wildcard.
		{name: "wildcard one label", givenURL: "https://a.example.net/callback", expectURL: "https://a.example.net/callback"},
		{name: "wildcard two labels", givenURL: "https://b.a.example.net/callback", expectURL: "https://b.a.example.net/callback"},
		{name: "wildcard excludes apex", givenURL: "https://example.net/callback", expectErr: ErrNotAllowed},
		{name: "wildcard hyphen look-alike", givenURL: "https://evil-example.net/callback", expectErr: ErrNotAllowed},
		{name: "wildcard suffix look-alike", givenURL: "https://a.example.net.evil.test/callback", expectErr: ErrNotAllowed},
		{name: "wildcard empty label", givenURL: "https://.example.net/callback", expectErr: ErrMalformed},

		// Path prefixes.
		{name: "root prefix any path", givenURL: "https://static.example.org/a/b?c=d", expectURL: "https://static.example.org/a/b?c=d"},
		{name: "root prefix no path", givenURL: "https://static.example.org", expectURL: "https://static.example.org"},
		{name: "prefix below", givenURL: "https://docs.example.org/guide/x", expectURL: "https://docs.example.org/guide/x"},
		{name: "prefix itself", givenURL: "https://docs.example.org/guide/", expectURL: "https://docs.example.org/guide/"},
		{name: "prefix without slash", givenURL: "https://docs.example.org/guide", expectErr: ErrNotAllowed},
		{name: "prefix sibling", givenURL: "https://docs.example.org/guidebook", expectErr: ErrNotAllowed},

		// Path traversal and encodings.
		{name: "dot-dot segment", givenURL: "https://docs.example.org/guide/../admin", expectErr: ErrMalformed},
		{name: "dot segment", givenURL: "https://app.example.com/auth/./done", expectErr: ErrMalformed},
		{name: "encoded dot-dot", givenURL: "https://docs.example.org/guide/%2e%2e/admin", expectErr: ErrMalformed},
		{name: "encoded slash", givenURL: "https://app.example.com/auth%2Fdone", expectErr: ErrMalformed},
		{name: "encoded backslash", givenURL: "https://static.example.org/%5cevil.test", expectErr: ErrMalformed},
		{name: "double-encoded dot", givenURL: "https://docs.example.org/guide/%252e%252e/admin", expectErr: ErrMalformed},
		{name: "encoded NUL in path", givenURL: "https://app.example.com/auth/done%00", expectErr: ErrMalformed},
		{name: "empty segment", givenURL: "https://static.example.org//evil.test", expectErr: ErrMalformed},
		{name: "encoded unreserved letter", givenURL: "https://app.example.com/auth/d%6Fne", expectURL: "https://app.example.com/auth/d%6Fne"},

		// Relative URLs and forms without "//".
		{name: "empty", givenURL: "", expectErr: ErrMalformed},
		{name: "absolute path", givenURL: "/auth/done", expectErr: ErrMalformed},
		{name: "scheme-relative", givenURL: "//evil.test", expectErr: ErrMalformed},
		{name: "slash backslash", givenURL: "/\\evil.test", expectErr: ErrMalformed},
		{name: "scheme without slashes", givenURL: "https:evil.test", expectErr: ErrMalformed},
		{name: "scheme with one slash", givenURL: "https:/evil.test", expectErr: ErrMalformed},
		{name: "empty host", givenURL: "https:///evil.test", expectErr: ErrMalformed},

		// User information.
		{name: "listed host as user", givenURL: "https://app.example.com@evil.test/auth/done", expectErr: ErrMalformed},
		{name: "user before listed host", givenURL: "https://user@app.example.com/auth/done", expectErr: ErrMalformed},
		{name: "encoded at sign", givenURL: "https://app.example.com%40evil.test/auth/done", expectErr: ErrMalformed},

		// Characters.
		{name: "backslash in authority", givenURL: "https://evil.test\\@app.example.com/auth/done", expectErr: ErrMalformed},
		{name: "backslash in query", givenURL: "https://app.example.com/auth/done?x=\\", expectErr: ErrMalformed},
		{name: "NUL", givenURL: "https://app.example.com/auth/done\x00", expectErr: ErrMalformed},
		{name: "tab in host", givenURL: "https://app.example.com\t/auth/done", expectErr: ErrMalformed},
		{name: "newline", givenURL: "https://app.example.com/auth/done\n", expectErr: ErrMalformed},
		{name: "carriage return in scheme", givenURL: "ht\rtps://app.example.com/auth/done", expectErr: ErrMalformed},
		{name: "DEL", givenURL: "https://app.example.com/auth/done\x7f", expectErr: ErrMalformed},
		{name: "leading space", givenURL: " https://app.example.com/auth/done", expectErr: ErrMalformed},
		{name: "space in query", givenURL: "https://app.example.com/auth/done?x=a b", expectErr: ErrMalformed},
		{name: "no-break space", givenURL: "https://app.example.com/auth/done?x=\u00a0", expectErr: ErrMalformed},
		{name: "encoded newline in host", givenURL: "https://app.example.com%0a/auth/done", expectErr: ErrMalformed},
		{name: "encoded dot in host", givenURL: "https://app%2eexample.com/auth/done", expectErr: ErrMalformed},
		{name: "fragment", givenURL: "https://app.example.com/auth/done#x", expectErr: ErrMalformed},
		{name: "empty fragment", givenURL: "https://app.example.com/auth/done#", expectErr: ErrMalformed},

		// Forbidden schemes.
		{name: "javascript", givenURL: "javascript:alert(1)", expectErr: ErrNotAllowed},
		{name: "javascript mixed case", givenURL: "JaVaScRiPt://app.example.com/auth/done", expectErr: ErrNotAllowed},
		{name: "data", givenURL: "data:text/html,x", expectErr: ErrNotAllowed},
		{name: "file", givenURL: "file:///etc/passwd", expectErr: ErrNotAllowed},
		{name: "vbscript", givenURL: "vbscript:msgbox(1)", expectErr: ErrNotAllowed},
		{name: "blob", givenURL: "blob:https://app.example.com/x", expectErr: ErrNotAllowed},

		// Loopback.
		{name: "loopback any port", givenURL: "http://127.0.0.1:51234/callback", expectURL: "http://127.0.0.1:51234/callback"},
		{name: "loopback no port", givenURL: "http://127.0.0.1/callback", expectURL: "http://127.0.0.1/callback"},
		{name: "IPv6 loopback any port", givenURL: "http://[::1]:8080/callback", expectURL: "http://[::1]:8080/callback"},
		{name: "IPv6 loopback long form", givenURL: "http://[0:0:0:0:0:0:0:1]/callback", expectURL: "http://[::1]/callback"},
		{name: "loopback other path", givenURL: "http://127.0.0.1:8080/other", expectErr: ErrNotAllowed},
		{name: "loopback https", givenURL: "https://127.0.0.1/callback", expectErr: ErrNotAllowed},
		{name: "loopback with fixed port", givenURL: "http://localhost:3000/fixed", expectURL: "http://localhost:3000/fixed"},
		{name: "loopback wrong fixed port", givenURL: "http://localhost:3001/fixed", expectErr: ErrNotAllowed},
		{name: "IPv4-mapped loopback", givenURL: "http://[::ffff:127.0.0.1]/callback", expectErr: ErrNotAllowed},
		{name: "IPv6 zone", givenURL: "http://[::1%25lo]/callback", expectErr: ErrMalformed},

		// IPv4 forms.
		{name: "IPv4 decimal", givenURL: "http://2130706433/callback", expectErr: ErrMalformed},
		{name: "IPv4 octal", givenURL: "http://0177.0.0.1/callback", expectErr: ErrMalformed},
		{name: "IPv4 hex", givenURL: "http://0x7f.0.0.1/callback", expectErr: ErrMalformed},
		{name: "IPv4 short", givenURL: "http://127.1/callback", expectErr: ErrMalformed},

		// Custom schemes.
		{name: "custom scheme without host", givenURL: "appwrite-callback-abc123://", expectURL: "appwrite-callback-abc123:///"},
		{name: "custom scheme with query", givenURL: "appwrite-callback-abc123://?x=1", expectURL: "appwrite-callback-abc123:///?x=1"},
		{name: "custom scheme upper case", givenURL: "APPWRITE-CALLBACK-ABC123://", expectURL: "appwrite-callback-abc123:///"},
		{name: "custom scheme other project", givenURL: "appwrite-callback-abc124://", expectErr: ErrNotAllowed},
		{name: "custom scheme with host", givenURL: "myapp://callback", expectURL: "myapp://callback"},
		{name: "custom scheme other host", givenURL: "myapp://evil", expectErr: ErrNotAllowed},
		{name: "custom scheme opaque", givenURL: "myapp:callback", expectErr: ErrMalformed},
		{name: "custom scheme port without host", givenURL: "myapp://:1/", expectErr: ErrMalformed},

		// Length.
		{name: "at maximum length", givenURL: "https://static.example.org/" + strings.Repeat("a", MaxLength-len("https://static.example.org/")), expectURL: "https://static.example.org/" + strings.Repeat("a", MaxLength-len("https://static.example.org/"))},
		{name: "over maximum length", givenURL: "https://static.example.org/" + strings.Repeat("a", MaxLength+1-len("https://static.example.org/")), expectErr: ErrMalformed},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got, err := list.Check(test.givenURL)
			if test.expectErr != nil {
				if !errors.Is(err, test.expectErr) {
					t.Fatalf("Check(%q) error = %v, want %v", test.givenURL, err, test.expectErr)
				}
				if got != nil {
					t.Errorf("Check(%q) returned %q together with an error", test.givenURL, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check(%q): %v", test.givenURL, err)
			}
			if got.String() != test.expectURL {
				t.Errorf("Check(%q) = %q, want %q", test.givenURL, got.String(), test.expectURL)
			}
		})
	}
}

func TestCheckErrorMessage(t *testing.T) {
	list := mustParse(t, checkEntries)

	tests := []struct {
		name         string
		givenURL     string
		expectPrefix string
		expectReason string
	}{
		{
			name:         "control characters escaped",
			givenURL:     "https://app.example.com/\x00\n<script>",
			expectPrefix: `invalid return URL "https://app.example.com/\x00\n<script>"`,
			expectReason: "contains a control character",
		},
		{
			name:         "non-ASCII escaped",
			givenURL:     "https://\u0430pp.example.com/",
			expectPrefix: `invalid return URL "https://\u0430pp.example.com/"`,
			expectReason: "contains a non-ASCII character; percent-encode it",
		},
		{
			name:         "not allowed",
			givenURL:     "https://evil.test/",
			expectPrefix: `return URL "https://evil.test/" is not allowed`,
			expectReason: "no allow-list entry has its scheme, host and port",
		},
		{
			name:         "long URL cut",
			givenURL:     "https://evil.test/" + strings.Repeat("a", 5000),
			expectPrefix: `invalid return URL "https://evil.test/` + strings.Repeat("a", maxExcerptLength-len("https://evil.test/")) + `"...`,
			expectReason: "the URL is longer than 2048 bytes",
		},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := list.Check(test.givenURL)
			var rejected *RejectedError
			if !errors.As(err, &rejected) {
				t.Fatalf("Check(%q) error = %v, want a *RejectedError", test.givenURL, err)
			}
			if !strings.HasPrefix(err.Error(), test.expectPrefix) {
				t.Errorf("message = %q, want prefix %q", err.Error(), test.expectPrefix)
			}
			if rejected.Reason != test.expectReason {
				t.Errorf("reason = %q, want %q", rejected.Reason, test.expectReason)
			}
			if len(err.Error()) > 400 {
				t.Errorf("message is %d bytes long, want at most 400", len(err.Error()))
			}
		})
	}
}

func TestCheckReturnsCopy(t *testing.T) {
	list := mustParse(t, checkEntries)

	first, err := list.Check("https://app.example.com/auth/done?a=1")
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	first.RawQuery = "changed"

	second, err := list.Check("https://app.example.com/auth/done?a=1")
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if second.RawQuery != "a=1" {
		t.Errorf("second RawQuery = %q, want %q", second.RawQuery, "a=1")
	}
}

func TestCheckNilAllowList(t *testing.T) {
	var list *AllowList
	got, err := list.Check("https://app.example.com/auth/done")
	if !errors.Is(err, ErrNotAllowed) {
		t.Errorf("error = %v, want ErrNotAllowed", err)
	}
	if got != nil {
		t.Errorf("got %q, want nil", got)
	}
}

func BenchmarkCheck(b *testing.B) {
	list := mustParse(b, corpusEntries)
	urls := []string{
		"https://app.example.com/auth/done?state=abc",
		"https://b.a.tenant.example.net/callback",
		"http://127.0.0.1:51234/callback",
		"https://app.example.com.evil.test/auth/done",
	}

	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range urls {
			_, _ = list.Check(raw)
		}
	}
}
