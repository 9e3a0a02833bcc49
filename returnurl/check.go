package returnurl

import (
	"net/url"
	"strings"
)

// MaxLength is the maximum length in bytes of a return URL that Check
// accepts.
const MaxLength = 2048

// Check parses raw and returns the URL to redirect to when it matches an
// allow-list entry. Otherwise it returns a *RejectedError that wraps
// ErrMalformed or ErrNotAllowed. The returned URL is a normalised copy, as
// the package documentation describes, and keeps the query of raw.
//
// Check accepts any well-formed query, so raw may already carry parameters
// named userId, secret or error. The caller must replace such parameters
// rather than add a second value.
func (a *AllowList) Check(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, malformed(raw, "the URL is empty")
	}
	if len(raw) > MaxLength {
		return nil, malformed(raw, "the URL is longer than 2048 bytes")
	}

	parts, rejected := splitURL(raw)
	if rejected != nil {
		return nil, &RejectedError{Excerpt: excerpt(raw), Reason: rejected.reason, Err: rejected.kind}
	}

	host := parts.host
	if host != "" {
		canonical, problem := canonicalHost(host)
		if problem != "" {
			return nil, malformed(raw, problem)
		}
		host = canonical
	} else if parts.scheme == "http" || parts.scheme == "https" || parts.hasPort {
		return nil, malformed(raw, "the URL has no host")
	}

	if problem := checkPath(parts.rawPath); problem != "" {
		return nil, malformed(raw, problem)
	}
	path := parts.parsed.Path
	if path == "" {
		path = "/"
	}

	if a == nil {
		return nil, notAllowed(raw, "no allow-list is configured")
	}
	if reason := a.match(parts.scheme, host, parts.port, path); reason != "" {
		return nil, notAllowed(raw, reason)
	}
	return normalised(parts, host), nil
}

// match returns "" when an entry matches the canonical scheme, host, port
// and path, or else the reason for the rejection.
func (a *AllowList) match(scheme, host, port, path string) string {
	originMatched := false
	for i := range a.entries {
		candidate := &a.entries[i]
		if !candidate.matchesOrigin(scheme, host, port) {
			continue
		}
		originMatched = true
		if candidate.matchesPath(path) {
			return ""
		}
	}
	if originMatched {
		return "no allow-list entry for its scheme, host and port has this path"
	}
	return "no allow-list entry has its scheme, host and port"
}

func (e *entry) matchesOrigin(scheme, host, port string) bool {
	if e.scheme != scheme {
		return false
	}
	if e.wildcard {
		// The candidate host is a valid DNS name, so whatever precedes the
		// suffix is one or more whole labels.
		if len(host) <= len(e.host) || !strings.HasSuffix(host, e.host) {
			return false
		}
	} else if e.host != host {
		return false
	}
	return e.anyPort || e.port == port
}

func (e *entry) matchesPath(path string) bool {
	if e.pathPrefix {
		return strings.HasPrefix(path, e.path)
	}
	return e.path == path
}

// normalised builds the URL that Check returns. A URL without a host gets
// the path "/" for an empty path, because url.URL.String writes no "//"
// when both host and path are empty.
func normalised(parts components, host string) *url.URL {
	result := &url.URL{
		Scheme:   parts.scheme,
		Host:     host,
		Path:     parts.parsed.Path,
		RawPath:  parts.parsed.RawPath,
		RawQuery: parts.parsed.RawQuery,
	}
	if parts.port != "" {
		result.Host = host + ":" + parts.port
	}
	if host == "" && result.Path == "" {
		result.Path = "/"
	}
	return result
}
