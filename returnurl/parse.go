package returnurl

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// entry is one parsed allow-list entry.
type entry struct {
	scheme string
	// host is the canonical host, or for a wildcard entry the suffix that
	// follows the "*", such as ".example.com". It is "" for a custom-scheme
	// entry without a host.
	host     string
	wildcard bool
	port     string // without the scheme's default port
	anyPort  bool   // loopback entry written without a port
	// path is the percent-decoded path, with "" written as "/". For a
	// prefix entry it is the part before the final "*".
	path       string
	pathPrefix bool
}

// AllowList is the parsed set of permitted return URLs. It is immutable
// after Parse and safe for concurrent use.
type AllowList struct {
	entries  []entry
	warnings []string
}

// Parse validates every allow-list entry and returns the allow-list. When
// any entry is invalid it returns a *ParseError that lists each invalid
// entry with its index and problem. An empty list is an error, because it
// would reject every login. The package documentation lists the entry rules.
func Parse(entries []string) (*AllowList, error) {
	if len(entries) == 0 {
		return nil, errors.New("allow-list is empty; add the success and failure URLs of each app")
	}

	list := &AllowList{entries: make([]entry, 0, len(entries))}
	var invalid []*EntryError
	for i, raw := range entries {
		parsed, problem := parseEntry(raw)
		if problem != "" {
			invalid = append(invalid, &EntryError{Index: i, Entry: raw, Problem: problem})
			continue
		}
		list.entries = append(list.entries, parsed)

		if parsed.scheme == "http" && !isLoopbackHost(parsed.host) {
			list.warnings = append(list.warnings, fmt.Sprintf(
				"allow-list entry %d (%s) uses http, so the token secret would travel unencrypted; use https",
				i, excerpt(raw)))
		}
	}
	if len(invalid) > 0 {
		return nil, &ParseError{Entries: invalid}
	}
	return list, nil
}

// Warnings returns one message for each entry that is valid but risky,
// such as an http entry for a host other than a loopback host. The caller
// owns the returned slice.
func (a *AllowList) Warnings() []string {
	return append([]string(nil), a.warnings...)
}

func parseEntry(raw string) (entry, string) {
	if raw == "" {
		return entry{}, "entry is empty"
	}
	parts, rejected := splitURL(raw)
	if rejected != nil {
		return entry{}, rejected.reason
	}
	if parts.parsed.RawQuery != "" || parts.parsed.ForceQuery {
		return entry{}, "entry has a query; remove it (return URLs may carry any query)"
	}

	parsed := entry{scheme: parts.scheme, port: parts.port}
	if problem := parseEntryHost(&parsed, parts); problem != "" {
		return entry{}, problem
	}
	if problem := parseEntryPath(&parsed, parts); problem != "" {
		return entry{}, problem
	}
	return parsed, ""
}

func parseEntryHost(parsed *entry, parts components) string {
	host := parts.host
	if host == "" {
		if parts.scheme == "http" || parts.scheme == "https" {
			return "entry has no host"
		}
		if parts.hasPort {
			return "entry has a port but no host"
		}
		return ""
	}

	if !strings.Contains(host, "*") {
		canonical, problem := canonicalHost(host)
		if problem != "" {
			return problem
		}
		parsed.host = canonical
		parsed.anyPort = !parts.hasPort && isLoopbackHost(canonical) &&
			(parts.scheme == "http" || parts.scheme == "https")
		return ""
	}

	suffix, found := strings.CutPrefix(host, "*.")
	if !found || strings.Contains(suffix, "*") {
		return "a wildcard must be the whole leftmost label, as in https://*.example.com"
	}
	canonical, problem := canonicalHost(suffix)
	if problem != "" {
		return problem
	}
	if strings.HasPrefix(canonical, "[") || isNumericLabel(canonical[strings.LastIndexByte(canonical, '.')+1:]) {
		return "a wildcard cannot precede an IP address"
	}
	if publicSuffix, _ := publicsuffix.PublicSuffix(canonical); publicSuffix == canonical {
		return fmt.Sprintf("a wildcard below the public suffix %q would match unrelated sites; name a registrable domain, as in *.example.com", canonical)
	}
	parsed.host = "." + canonical
	parsed.wildcard = true
	return ""
}

func parseEntryPath(parsed *entry, parts components) string {
	rawPath := parts.rawPath
	path := parts.parsed.Path
	if base, found := strings.CutSuffix(rawPath, "/*"); found {
		rawPath = base + "/"
		path = strings.TrimSuffix(path, "*")
		parsed.pathPrefix = true
	}
	if strings.Contains(rawPath, "*") {
		return "a \"*\" in the path is valid only as a final \"/*\" segment"
	}
	if problem := checkPath(rawPath); problem != "" {
		return problem
	}

	if path == "" {
		path = "/"
	}
	parsed.path = path
	return ""
}
