package returnurl

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseEntry(t *testing.T) {
	tests := []struct {
		name          string
		givenEntry    string
		expectProblem string // substring of the problem; "" when valid
	}{
		{name: "https with path", givenEntry: "https://app.example.com/auth/done"},
		{name: "https with port", givenEntry: "https://app.example.com:8443/cb"},
		{name: "https without path", givenEntry: "https://app.example.com"},
		{name: "root prefix", givenEntry: "https://app.example.com/*"},
		{name: "path prefix", givenEntry: "https://app.example.com/auth/*"},
		{name: "subdomain wildcard", givenEntry: "https://*.example.com/cb"},
		{name: "wildcard below country domain", givenEntry: "https://*.example.co.uk/cb"},
		{name: "loopback IPv4", givenEntry: "http://127.0.0.1/callback"},
		{name: "loopback IPv6", givenEntry: "http://[::1]/callback"},
		{name: "loopback name with port", givenEntry: "http://localhost:3000/callback"},
		{name: "custom scheme without host", givenEntry: "appwrite-callback-abc123://"},
		{name: "custom scheme with host", givenEntry: "myapp://callback"},
		{name: "custom scheme prefix", givenEntry: "myapp://callback/*"},
		{name: "punycode host", givenEntry: "https://xn--bcher-kva.example/cb"},
		{name: "IPv4 host", givenEntry: "https://192.0.2.10/cb"},

		{name: "empty", givenEntry: "", expectProblem: "entry is empty"},
		{name: "relative", givenEntry: "/auth/done", expectProblem: "not an absolute URL"},
		{name: "scheme-relative", givenEntry: "//app.example.com/cb", expectProblem: "not an absolute URL"},
		{name: "opaque", givenEntry: "myapp:callback", expectProblem: "followed by \"//\""},
		{name: "javascript", givenEntry: "javascript://app.example.com/cb", expectProblem: "never allowed"},
		{name: "data", givenEntry: "data:text/html,x", expectProblem: "never allowed"},
		{name: "file", givenEntry: "file:///etc/passwd", expectProblem: "never allowed"},
		{name: "userinfo", givenEntry: "https://user@app.example.com/cb", expectProblem: "user information"},
		{name: "query", givenEntry: "https://app.example.com/cb?x=1", expectProblem: "has a query"},
		{name: "empty query", givenEntry: "https://app.example.com/cb?", expectProblem: "has a query"},
		{name: "fragment", givenEntry: "https://app.example.com/cb#x", expectProblem: "fragment"},
		{name: "surrounding space", givenEntry: " https://app.example.com/cb", expectProblem: "space"},
		{name: "backslash", givenEntry: "https://app.example.com\\cb", expectProblem: "backslash"},
		{name: "non-ASCII host", givenEntry: "https://bücher.example/cb", expectProblem: "non-ASCII"},
		{name: "https without host", givenEntry: "https:///cb", expectProblem: "no host"},
		{name: "custom scheme port without host", givenEntry: "myapp://:1", expectProblem: "port but no host"},
		{name: "trailing dot", givenEntry: "https://app.example.com./cb", expectProblem: "ends with a dot"},
		{name: "IPv4 in hex", givenEntry: "http://0x7f000001/cb", expectProblem: "dotted-decimal"},
		{name: "port out of range", givenEntry: "https://app.example.com:70000/cb", expectProblem: "between 1 and 65535"},
		{name: "wildcard not leftmost", givenEntry: "https://app.*.example.com/cb", expectProblem: "whole leftmost label"},
		{name: "wildcard inside label", givenEntry: "https://app*.example.com/cb", expectProblem: "whole leftmost label"},
		{name: "two wildcards", givenEntry: "https://*.*.example.com/cb", expectProblem: "whole leftmost label"},
		{name: "bare wildcard", givenEntry: "https://*/cb", expectProblem: "whole leftmost label"},
		{name: "wildcard on TLD", givenEntry: "https://*.com/cb", expectProblem: "public suffix"},
		{name: "wildcard on two-label suffix", givenEntry: "https://*.co.uk/cb", expectProblem: "public suffix"},
		{name: "wildcard on private suffix", givenEntry: "https://*.github.io/cb", expectProblem: "public suffix"},
		{name: "wildcard on single label", givenEntry: "http://*.localhost/cb", expectProblem: "public suffix"},
		{name: "wildcard on IP address", givenEntry: "https://*.192.0.2.10/cb", expectProblem: "IP address"},
		{name: "wildcard on IPv6", givenEntry: "https://*.[::1]/cb", expectProblem: "host contains"},
		{name: "wildcard mid path", givenEntry: "https://app.example.com/*/done", expectProblem: "final \"/*\" segment"},
		{name: "wildcard suffix in segment", givenEntry: "https://app.example.com/auth*", expectProblem: "final \"/*\" segment"},
		{name: "dot-dot path", givenEntry: "https://app.example.com/a/../cb", expectProblem: "\"..\" segment"},
		{name: "encoded slash path", givenEntry: "https://app.example.com/a%2fb", expectProblem: "percent-encoded"},
		{name: "percent in host", givenEntry: "https://app%2eexample.com/cb", expectProblem: "percent-encoded character in the host"},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := Parse([]string{test.givenEntry})
			if test.expectProblem == "" {
				if err != nil {
					t.Fatalf("Parse(%q): %v", test.givenEntry, err)
				}
				return
			}

			var parseErr *ParseError
			if !errors.As(err, &parseErr) {
				t.Fatalf("Parse(%q) error = %v, want a *ParseError", test.givenEntry, err)
			}
			if len(parseErr.Entries) != 1 {
				t.Fatalf("got %d entry errors, want 1: %v", len(parseErr.Entries), err)
			}
			if problem := parseErr.Entries[0].Problem; !strings.Contains(problem, test.expectProblem) {
				t.Errorf("problem = %q, want it to contain %q", problem, test.expectProblem)
			}
		})
	}
}

func TestParseListsEveryInvalidEntry(t *testing.T) {
	entries := []string{
		"https://app.example.com/cb",
		"https://*.com/cb",
		"https://app.example.com/cb",
		"javascript:alert(1)",
		"https://user@app.example.com/cb",
	}

	list, err := Parse(entries)
	if list != nil {
		t.Errorf("Parse returned an allow-list together with error %v", err)
	}
	var parseErr *ParseError
	if !errors.As(err, &parseErr) {
		t.Fatalf("error = %v, want a *ParseError", err)
	}

	var indexes []int
	for _, entryErr := range parseErr.Entries {
		indexes = append(indexes, entryErr.Index)
	}
	if want := []int{1, 3, 4}; !slices.Equal(indexes, want) {
		t.Errorf("invalid indexes = %v, want %v", indexes, want)
	}

	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Fatalf("message has %d lines, want 3: %q", len(lines), err.Error())
	}
	if want := `allow-list entry 1 ("https://*.com/cb"): `; !strings.HasPrefix(lines[0], want) {
		t.Errorf("first line = %q, want prefix %q", lines[0], want)
	}
}

func TestParseEmptyList(t *testing.T) {
	list, err := Parse(nil)
	if err == nil {
		t.Fatalf("Parse(nil) = %v, want an error", list)
	}
}

func TestParseEntryMessageEscapesEntry(t *testing.T) {
	_, err := Parse([]string{"https://app.example.com/\x1b[31m"})
	if err == nil {
		t.Fatal("Parse accepted an entry with an escape character")
	}
	if strings.ContainsRune(err.Error(), '\x1b') {
		t.Errorf("message %q contains a raw escape character", err.Error())
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name          string
		givenEntry    string
		expectWarning bool
	}{
		{name: "http public host", givenEntry: "http://app.example.com/cb", expectWarning: true},
		{name: "http wildcard host", givenEntry: "http://*.example.com/cb", expectWarning: true},
		{name: "https", givenEntry: "https://app.example.com/cb"},
		{name: "http 127.0.0.1", givenEntry: "http://127.0.0.1/cb"},
		{name: "http IPv6 loopback", givenEntry: "http://[::1]:8080/cb"},
		{name: "http localhost", givenEntry: "http://localhost:3000/cb"},
		{name: "custom scheme", givenEntry: "myapp://callback"},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			list := mustParse(t, []string{test.givenEntry})
			warnings := list.Warnings()
			if test.expectWarning && len(warnings) != 1 {
				t.Errorf("warnings = %q, want one", warnings)
			}
			if !test.expectWarning && len(warnings) != 0 {
				t.Errorf("warnings = %q, want none", warnings)
			}
		})
	}
}
