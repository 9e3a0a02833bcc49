package returnurl

import (
	"net/url"
	"strings"
	"testing"
)

// simpleEntry is an allow-list entry read with plain string operations, as
// a check on Check that shares no code with Parse.
type simpleEntry struct {
	scheme     string
	host       string // for a wildcard, the suffix starting with "."
	wildcard   bool
	port       string // "" for the default port
	anyPort    bool
	path       string // for a prefix entry, the part before the "*"
	pathPrefix bool
}

// readSimpleEntries handles only the forms used in corpusEntries.
func readSimpleEntries(t testing.TB, entries []string) []simpleEntry {
	t.Helper()
	var result []simpleEntry
	for _, raw := range entries {
		scheme, rest, found := strings.Cut(raw, "://")
		if !found {
			t.Fatalf("entry %q has no \"://\"", raw)
		}
		authority, path := rest, "/"
		if slash := strings.Index(rest, "/"); slash >= 0 {
			authority, path = rest[:slash], rest[slash:]
		}

		host, port := authority, ""
		if colon := strings.LastIndex(authority, ":"); colon >= 0 && !strings.HasSuffix(authority, "]") {
			host, port = authority[:colon], authority[colon+1:]
		}

		parsed := simpleEntry{scheme: scheme, host: host, port: port, path: path}
		if strings.HasPrefix(host, "*.") {
			parsed.wildcard = true
			parsed.host = host[1:]
		}
		if strings.HasSuffix(path, "/*") {
			parsed.pathPrefix = true
			parsed.path = strings.TrimSuffix(path, "*")
		}
		isLoopback := host == "127.0.0.1" || host == "[::1]" || host == "localhost"
		parsed.anyPort = port == "" && isLoopback && (scheme == "http" || scheme == "https")
		result = append(result, parsed)
	}
	return result
}

func (e simpleEntry) matches(scheme, host, port, path string) bool {
	if e.scheme != scheme {
		return false
	}
	if e.wildcard {
		if !strings.HasSuffix(host, e.host) || len(host) == len(e.host) {
			return false
		}
	} else if e.host != host {
		return false
	}
	if !e.anyPort && e.port != port {
		return false
	}
	if e.pathPrefix {
		return strings.HasPrefix(path, e.path)
	}
	return e.path == path
}

// checkAccepted fails the test unless the URL that Check returned for raw
// matches one of entries and is safe to put into a Location header.
func checkAccepted(t *testing.T, list *AllowList, entries []simpleEntry, raw string, got *url.URL) {
	t.Helper()
	serialised := got.String()

	if got.User != nil || strings.Contains(got.Host, "@") {
		t.Fatalf("Check(%q) = %q has user information", raw, serialised)
	}
	for i := 0; i < len(serialised); i++ {
		if c := serialised[i]; c < 0x20 || c >= 0x7f || c == '\\' || c == ' ' || c == '#' {
			t.Fatalf("Check(%q) = %q contains byte %#x", raw, serialised, c)
		}
	}
	for segment := range strings.SplitSeq(got.Path, "/") {
		if segment == ".." || segment == "." {
			t.Fatalf("Check(%q) = %q has a dot segment in its decoded path", raw, serialised)
		}
	}

	scheme := strings.ToLower(got.Scheme)
	host, port := got.Host, ""
	if colon := strings.LastIndex(host, ":"); colon >= 0 && !strings.HasSuffix(host, "]") {
		host, port = host[:colon], host[colon+1:]
	}
	host = strings.ToLower(host)
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	path := got.Path
	if path == "" {
		path = "/"
	}

	matched := false
	for _, entry := range entries {
		if entry.matches(scheme, host, port, path) {
			matched = true
			break
		}
	}
	if !matched {
		t.Fatalf("Check(%q) = %q (scheme %q, host %q, port %q, path %q) matches no entry", raw, serialised, scheme, host, port, path)
	}

	// The returned URL must survive a second round unchanged.
	again, err := list.Check(serialised)
	if err != nil {
		t.Fatalf("Check(%q) = %q, which Check then rejects: %v", raw, serialised, err)
	}
	if again.String() != serialised {
		t.Fatalf("Check(%q) = %q, but Check of that = %q", raw, serialised, again.String())
	}
}

func FuzzCheck(f *testing.F) {
	for _, name := range []string{"testdata/hostile.txt", "testdata/allowed.txt"} {
		for _, line := range readCorpus(f, name) {
			input, _, _ := strings.Cut(line, "\t")
			f.Add(input)
		}
	}
	list := mustParse(f, corpusEntries)
	entries := readSimpleEntries(f, corpusEntries)

	f.Fuzz(func(t *testing.T, raw string) {
		got, err := list.Check(raw)
		if err != nil {
			if got != nil {
				t.Fatalf("Check(%q) returned %q together with error %v", raw, got, err)
			}
			return
		}
		checkAccepted(t, list, entries, raw, got)
	})
}
