// Package returnurl checks the success URL and failure URL that an app
// sends to /login/{provider} against the allow-list that the admin
// configured.
//
// An accepted success URL later receives the Appwrite user ID and a token
// secret in its query, so Check rejects anything it cannot match exactly
// and never falls back to a default URL.
//
// # Entries
//
// Each allow-list entry is an absolute URL of the form
// scheme://host[:port][/path]. Parse accepts it only when it meets these rules:
//
//   - The scheme is http, https or a custom scheme such as myapp or
//     appwrite-callback-<projectId>. Schemes are compared in lower case. The
//     schemes javascript, data, file, vbscript, blob, filesystem and about
//     are never accepted. An http entry for a host other than a loopback
//     host is accepted, and Warnings reports it because the token secret
//     would travel unencrypted.
//   - An http or https entry names a host. A custom-scheme entry may leave
//     the host empty, as in appwrite-callback-<projectId>://.
//   - The host is an ASCII DNS name, a dotted-decimal IPv4 address or a
//     bracketed IPv6 address. Internationalised names are written in their
//     punycode (xn--) form. Hosts are compared in lower case, and a trailing
//     dot is invalid.
//   - A host of the form *.example.com matches one or more labels below
//     example.com. It does not match example.com itself, which needs its own
//     entry. The wildcard must be the whole leftmost label, and the rest must
//     not be a public suffix (so *.com and *.co.uk are invalid).
//   - The port must match. Port 80 for http and 443 for https equal no
//     port. An http or https entry whose host is 127.0.0.1, [::1] or
//     localhost and that has no port matches any port, because native apps
//     listen on an ephemeral loopback port (RFC 8252, section 7.3). With a
//     port, it matches only that port.
//   - The path must match exactly, and an empty path equals "/". A path
//     ending in "/*" matches every path that starts with the part before
//     the "*", so https://app.example.com/* matches any path on that origin
//     and https://app.example.com/auth/* matches /auth/ and the paths below
//     it. The "*" is valid only as that final segment.
//   - An entry has no user information, query or fragment.
//
// # Return URLs
//
// Check accepts a return URL only when it is an absolute URL of the form
// scheme://host[:port][/path][?query] that matches an entry by the rules above.
// Any query is accepted and kept. Check also rejects a URL that
//
//   - is empty or longer than MaxLength bytes,
//   - contains a control character, whitespace, a backslash or a non-ASCII
//     byte anywhere,
//   - has a fragment, even an empty one,
//   - has user information,
//   - has a percent sign in its host or port,
//   - has a host that is not a valid ASCII DNS name or IP address, including
//     a trailing dot and IPv4 addresses written in decimal, octal or hex
//     forms other than the dotted-decimal one,
//   - has an empty port, a port with leading zeros or a port outside 1-65535,
//   - has a path with an empty segment, a "." or ".." segment, or a
//     percent-encoded ".", "/", "\", "%" or control character.
//
// Check returns a normalised copy of the URL: scheme and host in lower case,
// the default port removed, and for a URL without a host an empty path
// written as "/" so that the URL keeps its "//" when serialised.
package returnurl
