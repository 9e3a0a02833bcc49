package returnurl

import (
	"net/url"
	"strings"
)

// forbiddenSchemes lists schemes that run code or read local data in the
// browser instead of navigating to an app. Neither an entry nor a return URL
// may use them.
var forbiddenSchemes = map[string]bool{
	"javascript": true,
	"vbscript":   true,
	"data":       true,
	"file":       true,
	"blob":       true,
	"filesystem": true,
	"about":      true,
}

// rejection is a problem found while splitting a URL. kind is ErrMalformed
// or ErrNotAllowed.
type rejection struct {
	reason string
	kind   error
}

func malformedBecause(reason string) *rejection {
	return &rejection{reason: reason, kind: ErrMalformed}
}

// components are the parts of an absolute URL that passed the checks shared
// by entries and return URLs.
type components struct {
	parsed  *url.URL
	scheme  string // lower case
	host    string // as written, without the port; "" when absent
	port    string // without the scheme's default port
	hasPort bool   // whether the authority has a ":" after the host
	rawPath string // as written, still percent-encoded
}

// splitURL parses raw as scheme://host[:port][/path][?query] and checks
// everything except the host name and the path, which entries and return
// URLs treat differently.
func splitURL(raw string) (components, *rejection) {
	if reason := checkCharacters(raw); reason != "" {
		return components{}, malformedBecause(reason)
	}

	scheme, problem := schemeOf(raw)
	if problem != "" {
		return components{}, malformedBecause(problem)
	}
	if forbiddenSchemes[scheme] {
		return components{}, &rejection{reason: "the " + scheme + ": scheme is never allowed", kind: ErrNotAllowed}
	}

	authority, rest, ok := splitAuthority(raw, len(scheme))
	if !ok {
		return components{}, malformedBecause("the scheme must be followed by \"//\" and the host")
	}
	if strings.IndexByte(authority, '@') >= 0 {
		return components{}, malformedBecause("has user information (\"@\") before the host")
	}
	if strings.IndexByte(authority, '%') >= 0 {
		return components{}, malformedBecause("has a percent-encoded character in the host")
	}

	host, port, hasPort, problem := splitHostPort(authority)
	if problem != "" {
		return components{}, malformedBecause(problem)
	}
	port, problem = canonicalPort(scheme, port, hasPort)
	if problem != "" {
		return components{}, malformedBecause(problem)
	}

	// url.Parse checks the percent-encoding of the path and query. The
	// checks above leave it nothing to decode in the authority, so its
	// scheme and host must agree with ours.
	parsed, err := url.Parse(raw)
	if err != nil {
		return components{}, malformedBecause("not a valid URL; check its host and percent-encoding")
	}
	if parsed.Scheme != scheme || parsed.Host != authority || parsed.User != nil || parsed.Opaque != "" {
		return components{}, malformedBecause("not a valid URL")
	}

	rawPath, _, _ := strings.Cut(rest, "?")
	return components{
		parsed:  parsed,
		scheme:  scheme,
		host:    host,
		port:    port,
		hasPort: hasPort,
		rawPath: rawPath,
	}, nil
}

// schemeOf returns the scheme of raw in lower case. RFC 3986 section 3.1
// defines a scheme as a letter followed by letters, digits, "+", "-" and ".".
func schemeOf(raw string) (string, string) {
	end := strings.IndexByte(raw, ':')
	if end <= 0 {
		return "", "not an absolute URL; start it with a scheme such as https://"
	}
	scheme := strings.ToLower(raw[:end])
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		isLetter := 'a' <= c && c <= 'z'
		if isLetter || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			continue
		}
		return "", "not an absolute URL; start it with a scheme such as https://"
	}
	return scheme, ""
}

// checkCharacters rejects bytes that have no place in a return URL.
// Browsers drop control characters and whitespace and read "\" as "/" in
// http and https URLs, so the URL they follow could differ from the one
// checked here. A fragment is rejected because the bridge appends the token
// secret to the query. Non-ASCII bytes must be percent-encoded by the app.
func checkCharacters(raw string) string {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return "contains a control character"
		case c == ' ':
			return "contains a space"
		case c == '\\':
			return "contains a backslash"
		case c >= 0x80:
			return "contains a non-ASCII character; percent-encode it"
		case c == '#':
			return "has a fragment (\"#\"); remove it"
		}
	}
	return ""
}

// checkPath rejects paths that a browser or server may rewrite before use:
// empty segments, "." and ".." segments, and percent-encoded ".", "/", "\",
// "%" or control characters. A trailing "/" is allowed.
func checkPath(rawPath string) string {
	if strings.Contains(rawPath, "//") {
		return "path has an empty segment (\"//\")"
	}
	for segment := range strings.SplitSeq(rawPath, "/") {
		if segment == "." || segment == ".." {
			return "path has a \".\" or \"..\" segment"
		}
	}

	for i := 0; i < len(rawPath); i++ {
		if rawPath[i] != '%' {
			continue
		}
		if i+2 >= len(rawPath) {
			return "path has a \"%\" without two hex digits"
		}
		decoded := unhex(rawPath[i+1])<<4 | unhex(rawPath[i+2])
		if decoded == '.' || decoded == '/' || decoded == '\\' || decoded == '%' || decoded < 0x20 || decoded == 0x7f {
			return "path has a percent-encoded \".\", \"/\", \"\\\", \"%\" or control character"
		}
		i += 2
	}
	return ""
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}
