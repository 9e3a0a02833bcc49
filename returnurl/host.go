package returnurl

import (
	"net/netip"
	"strconv"
	"strings"
)

// maxHostLength is the maximum length of a DNS name in its text form.
const maxHostLength = 253

// splitAuthority returns the authority of raw, the part between "scheme://"
// and the first "/" or "?". The caller has already rejected "#" and "\".
// The boolean is false when raw does not continue with "//" after the
// scheme.
func splitAuthority(raw string, schemeLength int) (authority, rest string, ok bool) {
	afterScheme := raw[schemeLength+1:]
	if !strings.HasPrefix(afterScheme, "//") {
		return "", "", false
	}
	afterSlashes := afterScheme[2:]
	end := strings.IndexAny(afterSlashes, "/?")
	if end < 0 {
		return afterSlashes, "", true
	}
	return afterSlashes[:end], afterSlashes[end:], true
}

// splitHostPort splits an authority without user information into host and
// port. An IPv6 host keeps its brackets. hasPort reports a ":" after the
// host, so "example.com:" has an empty port and hasPort set.
func splitHostPort(authority string) (host, port string, hasPort bool, problem string) {
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", "", false, "IPv6 host has no closing bracket"
		}
		host, rest := authority[:end+1], authority[end+1:]
		if rest == "" {
			return host, "", false, ""
		}
		if rest[0] != ':' {
			return "", "", false, "unexpected text after the IPv6 host"
		}
		return host, rest[1:], true, ""
	}

	colon := strings.LastIndexByte(authority, ':')
	if colon < 0 {
		return authority, "", false, ""
	}
	host = authority[:colon]
	if strings.IndexByte(host, ':') >= 0 {
		return "", "", false, "host contains more than one \":\"; write an IPv6 host in brackets"
	}
	return host, authority[colon+1:], true, ""
}

// canonicalPort returns port without the scheme's default, so that
// https://x:443/ and https://x/ compare equal. It rejects an empty port when
// the authority has a ":", leading zeros and ports outside 1-65535.
func canonicalPort(scheme, port string, hasPort bool) (string, string) {
	if !hasPort {
		return "", ""
	}
	if port == "" {
		return "", "port is empty"
	}
	if len(port) > 5 || strings.Trim(port, "0123456789") != "" {
		return "", "port is not a number between 1 and 65535"
	}
	if port[0] == '0' {
		return "", "port has a leading zero"
	}
	number, err := strconv.Atoi(port)
	if err != nil || number < 1 || number > 65535 {
		return "", "port is not a number between 1 and 65535"
	}
	if port == defaultPort(scheme) {
		return "", ""
	}
	return port, ""
}

// defaultPort returns the port that a browser uses for scheme when the URL
// names none, or "" for schemes without one.
func defaultPort(scheme string) string {
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// canonicalHost validates host and returns it in lower case. An IPv6 host
// comes back in brackets in its shortest form. Anything that is not an ASCII
// DNS name, a dotted-decimal IPv4 address or a bracketed IPv6 address
// without a zone is rejected with a reason.
func canonicalHost(host string) (string, string) {
	if host == "" {
		return "", "host is empty"
	}
	if strings.HasPrefix(host, "[") {
		return canonicalIPv6(host)
	}
	return canonicalName(host)
}

func canonicalIPv6(host string) (string, string) {
	if !strings.HasSuffix(host, "]") {
		return "", "IPv6 host has no closing bracket"
	}
	addr, err := netip.ParseAddr(host[1 : len(host)-1])
	if err != nil || !addr.Is6() || addr.Zone() != "" {
		return "", "host is not a valid IPv6 address"
	}
	return "[" + addr.String() + "]", ""
}

// canonicalName validates a DNS name or an IPv4 address. Browsers read a
// host whose last label is a number (decimal, or hex with "0x") as an IPv4
// address in any of several forms, such as 2130706433 or 0x7f.1, so such a
// host must be the canonical dotted-decimal form.
func canonicalName(host string) (string, string) {
	if len(host) > maxHostLength {
		return "", "host is longer than 253 characters"
	}

	lower := make([]byte, len(host))
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case 'A' <= c && c <= 'Z':
			lower[i] = c + ('a' - 'A')
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.':
			lower[i] = c
		default:
			return "", "host contains " + strconv.QuoteRuneToASCII(rune(c)) +
				"; only letters, digits, \"-\" and \".\" are valid (write internationalised names in punycode)"
		}
	}
	name := string(lower)

	if strings.HasSuffix(name, ".") {
		return "", "host ends with a dot"
	}
	labels := strings.Split(name, ".")
	for _, label := range labels {
		if problem := checkLabel(label); problem != "" {
			return "", problem
		}
	}

	if isNumericLabel(labels[len(labels)-1]) {
		addr, err := netip.ParseAddr(name)
		if err != nil || !addr.Is4() || addr.String() != name {
			return "", "host looks like an IPv4 address but is not in dotted-decimal form"
		}
	}
	return name, ""
}

func checkLabel(label string) string {
	switch {
	case label == "":
		return "host has an empty label"
	case len(label) > 63:
		return "host has a label longer than 63 characters"
	case label[0] == '-' || label[len(label)-1] == '-':
		return "host has a label that starts or ends with \"-\""
	}
	return ""
}

// isNumericLabel reports whether a browser would read label as a number:
// all decimal digits, or "0x" followed by zero or more hex digits.
func isNumericLabel(label string) bool {
	if strings.HasPrefix(label, "0x") {
		return strings.Trim(label[2:], "0123456789abcdef") == ""
	}
	return strings.Trim(label, "0123456789") == ""
}

// isLoopbackHost reports whether a canonical host names the loopback
// interface in one of the forms that RFC 8252 section 7.3 lets a native app
// listen on.
func isLoopbackHost(host string) bool {
	return host == "127.0.0.1" || host == "[::1]" || host == "localhost"
}
