// Package config loads the tokenbridge YAML configuration file, expands
// ${VAR} references from the environment, applies defaults and validates
// every setting.
//
// Loading is strict: an unknown key, a value of the wrong type, a missing
// required value or a value out of range stops loading, and the returned
// *Error lists every problem found, each with its file, line and key path.
// Parsing and validation are pure: they read no network, write nothing and
// keep no global state. Checks that need the network, such as OpenID
// Connect discovery, run later in wiring.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// MaxFileSize is the largest configuration file Load and Parse accept, in bytes.
const MaxFileSize = 1 << 20

// Config is the whole tokenbridge configuration. Parse and Load return it
// with defaults applied and every field validated.
type Config struct {
	Server     Server     `yaml:"server"`
	Appwrite   Appwrite   `yaml:"appwrite"`
	Flow       Flow       `yaml:"flow"`
	ReturnURLs []string   `yaml:"return_urls"`
	Providers  []Provider `yaml:"providers"`

	lines    map[string]int
	warnings []string
}

// Server holds the HTTP listener settings.
type Server struct {
	// Listen is the host:port to listen on. Default 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// PublicURL is the absolute http(s) URL under which browsers reach the
	// bridge, without a trailing slash. Callback URLs are built from it,
	// never from request headers. It may carry a path prefix. Required.
	PublicURL string `yaml:"public_url"`
	// LogFormat is "text" or "json". Default text.
	LogFormat string `yaml:"log_format"`
	// LogLevel is "debug", "info", "warn" or "error". Default info.
	LogLevel string `yaml:"log_level"`
	// ShutdownTimeout bounds the graceful shutdown. Default 15s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// TrustedProxies lists the IP addresses and CIDR prefixes whose
	// X-Forwarded-For header is believed. Default none.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// RateLimit limits requests to /login and /callback per client IP.
	RateLimit RateLimit `yaml:"rate_limit"`
}

// RateLimit is a token bucket per client IP address.
type RateLimit struct {
	// RequestsPerMinute is the refill rate. Default 60, and 0 turns the limit off.
	RequestsPerMinute int `yaml:"requests_per_minute"`
	// Burst is the bucket size, at least 1 while the limit is on. Default 20.
	Burst int `yaml:"burst"`
}

// Appwrite holds the Appwrite server and the settings of the custom tokens
// minted there.
type Appwrite struct {
	// Endpoint is the Appwrite API base URL, normally ending in /v1,
	// without a trailing slash. Required.
	Endpoint string `yaml:"endpoint"`
	// ProjectID is the Appwrite project ID. Required.
	ProjectID string `yaml:"project_id"`
	// APIKey is an Appwrite API key with the users.read and users.write
	// scopes. Required.
	APIKey Secret `yaml:"api_key"`
	// TokenLength is the length of the token secret in characters, 4 to
	// 128. Default 64.
	TokenLength int `yaml:"token_length"`
	// TokenExpiry is the lifetime of a custom token, 60s to 31536000s in
	// whole seconds. Default 60s.
	TokenExpiry time.Duration `yaml:"token_expiry"`
	// Timeout bounds each call to Appwrite. Default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// Flow holds the settings of the flow cookie, which carries the state, nonce
// and PKCE code verifier from /login to /callback.
type Flow struct {
	// CookieName is the flow cookie's name. Default tb_flow.
	CookieName string `yaml:"cookie_name"`
	// Lifetime bounds how long a flow may stay pending, 1m to 1h. Default 10m.
	Lifetime time.Duration `yaml:"lifetime"`
	// MaxPending is the number of flows one browser may have pending, 1 to
	// 20. Default 5.
	MaxPending int `yaml:"max_pending"`
	// Keys protect the flow cookie. The first pair signs and encrypts, and
	// every pair is tried when reading, so keys can be rotated. At least
	// one pair is required.
	Keys []CookieKey `yaml:"keys"`
}

// Provider is one OpenID Connect provider.
type Provider struct {
	// ID names the provider in /login/{id} and /callback/{id}. Required,
	// unique, matching [a-z0-9][a-z0-9_-]{0,31}.
	ID string `yaml:"id"`
	// Name is shown on the chooser page. Default: the ID.
	Name string `yaml:"name"`
	// Issuer is the issuer URL exactly as the provider's discovery
	// document states it. https is required unless the host is loopback.
	Issuer string `yaml:"issuer"`
	// ClientID is the OAuth client ID. Required.
	ClientID string `yaml:"client_id"`
	// ClientSecret is the OAuth client secret. It is empty exactly when
	// TokenAuthMethod is "none".
	ClientSecret Secret `yaml:"client_secret"`
	// Scopes are requested at the provider and always contain "openid".
	// Default [openid email profile].
	Scopes []string `yaml:"scopes"`
	// AuthParams are extra authorization request parameters, such as
	// audience, connection or prompt. They never set a parameter the bridge
	// controls: client_id, redirect_uri, response_type, response_mode,
	// scope, state, nonce, code_challenge or code_challenge_method.
	AuthParams map[string]string `yaml:"auth_params"`
	// TokenAuthMethod is "auto", "client_secret_basic", "client_secret_post"
	// or "none". Default auto: basic when the discovery document lists it,
	// else post.
	TokenAuthMethod string `yaml:"token_auth_method"`
	// Algorithms are the accepted ID token signing algorithms, to be
	// intersected with the discovery document. Default [RS256 ES256].
	Algorithms []string `yaml:"algorithms"`
	// ClockSkew is the tolerance for exp, iat and nbf, 0 to 10m. Default 2m.
	ClockSkew time.Duration `yaml:"clock_skew"`
	// UserInfo also calls the userinfo endpoint and merges its claims.
	UserInfo bool `yaml:"userinfo"`
	// LinkByEmail links a first login to an existing Appwrite user with the
	// same verified email. Default false.
	LinkByEmail bool `yaml:"link_by_email"`

	// Preset names the vendor: oidc, auth0, google, microsoft, okta,
	// keycloak, gitlab or cognito. Default oidc. Every preset but oidc
	// builds the issuer from the keys below, so issuer stays empty.
	Preset string `yaml:"preset"`
	// Domain is the Auth0 or Okta domain, such as example.eu.auth0.com.
	Domain string `yaml:"domain"`
	// Audience, Connection and Organization are Auth0's optional
	// authorization parameters. An organization is also checked in the token.
	Audience     string `yaml:"audience"`
	Connection   string `yaml:"connection"`
	Organization string `yaml:"organization"`
	// HostedDomain limits Google to one Workspace domain, checked in the token.
	HostedDomain string `yaml:"hosted_domain"`
	// BaseURL is a self-managed GitLab's URL or Microsoft's national cloud
	// login URL.
	BaseURL string `yaml:"base_url"`
	// Tenant is the Microsoft Entra tenant ID, or common, organizations or
	// consumers.
	Tenant string `yaml:"tenant"`
	// AllowedTenants limits a multi-tenant Microsoft provider to these tenant IDs.
	AllowedTenants []string `yaml:"allowed_tenants"`
	// AuthorizationServer is an Okta custom authorization server ID, such
	// as default. Empty means the org authorization server.
	AuthorizationServer string `yaml:"authorization_server"`
	// RealmURL is the Keycloak realm URL, such as https://sso.example.com/realms/main.
	RealmURL string `yaml:"realm_url"`
	// Region and UserPoolID name an Amazon Cognito user pool.
	Region     string `yaml:"region"`
	UserPoolID string `yaml:"user_pool_id"`

	// DiscoveryURL fetches the discovery document from another URL than
	// the issuer's, such as an internal address. Default: derived from the issuer.
	DiscoveryURL string `yaml:"discovery_url"`
	// AuthorizationURL, TokenURL, UserinfoURL and JWKSURL replace the
	// discovered endpoints. With the first, second and fourth all set and
	// no discovery_url, no discovery document is fetched.
	AuthorizationURL string `yaml:"authorization_url"`
	TokenURL         string `yaml:"token_url"`
	UserinfoURL      string `yaml:"userinfo_url"`
	JWKSURL          string `yaml:"jwks_url"`

	// Claims names the claims the identity is read from. Defaults come
	// from the preset.
	Claims Claims `yaml:"claims"`
	// UserID is the user ID strategy: derived (default), subject, or
	// {namespace: NAME}.
	UserID UserID `yaml:"user_id"`
	// Rules are the access rules. Default: everyone the provider signs in.
	Rules Rules `yaml:"rules"`
	// Labels syncs groups and roles to Appwrite labels. Default off.
	Labels Labels `yaml:"labels"`
	// Prefs records the provider, issuer, subject and selected claims in
	// the user's preferences. Default off.
	Prefs Prefs `yaml:"prefs"`
}

// Load reads the configuration file at path and parses it with Parse,
// expanding ${VAR} references from the process environment.
// It returns an *Error when the content has problems, and a wrapped
// os or io error when the file cannot be read.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()

	// Read one byte past the limit so Parse can tell an oversized file.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse decodes data as a tokenbridge configuration, expands ${VAR},
// ${VAR:-default} and $${ in scalar values through lookupEnv, applies the
// defaults and validates the result. filename only labels problems.
// On any problem it returns a nil *Config and an *Error listing all of them.
// Parse does no I/O besides calling lookupEnv.
func Parse(filename string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	if len(data) > MaxFileSize {
		return nil, newError([]Problem{{
			File:    filename,
			Message: fmt.Sprintf("file is larger than %d bytes (a configuration this large is not expected, so check that the right file is given)", MaxFileSize),
		}})
	}

	d := newDecoder(filename, lookupEnv)
	cfg := &Config{}
	d.decodeFile(data, cfg)
	if hasFileProblem(d.problems) {
		return nil, newError(d.problems)
	}
	cfg.lines = d.lines

	applyDefaults(cfg, d.set)

	// Validate even after decoding problems, so one run lists them all, but
	// drop validation problems about keys that already have one: a value
	// that failed to decode would otherwise also be reported as empty.
	v := validator{file: filename, lines: d.lines}
	v.validate(cfg)
	problems := d.problems
	for _, p := range v.problems {
		if !relatedToAny(p.Key, d.problems) {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, newError(problems)
	}

	for _, w := range sortProblems(v.warnings) {
		cfg.warnings = append(cfg.warnings, w.String())
	}
	return cfg, nil
}

// hasFileProblem reports whether a problem concerns the file as a whole,
// such as a syntax error, after which the decoded values mean little.
func hasFileProblem(problems []Problem) bool {
	for _, p := range problems {
		if p.Key == "" {
			return true
		}
	}
	return false
}

// relatedToAny reports whether key equals, contains or lies under the key
// of one of problems.
func relatedToAny(key string, problems []Problem) bool {
	for _, p := range problems {
		if isKeyWithin(key, p.Key) || isKeyWithin(p.Key, key) {
			return true
		}
	}
	return false
}

// isKeyWithin reports whether key is parent or lies under it.
func isKeyWithin(key, parent string) bool {
	if !strings.HasPrefix(key, parent) {
		return false
	}
	rest := key[len(parent):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// Line returns the line in the file of a key path such as "server.listen",
// "return_urls[2]" or "providers[0].issuer", or 0 when the path was not
// written in the file (for example a value filled in by a default).
// Wiring uses it to attach lines to problems found by other packages.
func (c *Config) Line(keyPath string) int {
	return c.lines[keyPath]
}

// Warnings returns risky but valid settings, one "FILE:LINE: key: message"
// line each, sorted by line, for example an http public_url on a
// non-loopback host or link_by_email turned on.
func (c *Config) Warnings() []string {
	return append([]string(nil), c.warnings...)
}

// Problem is one thing wrong in a configuration file.
type Problem struct {
	// File is the file name given to Parse or Load.
	File string
	// Line is the 1-based line, or 0 when the problem has no single line.
	Line int
	// Key is the key path, such as "providers[0].client_id", or empty for
	// problems with the file as a whole.
	Key string
	// Message states what is wrong and, in brackets, what to do.
	Message string
}

// String formats p as "FILE:LINE: key: message", leaving out the line
// when it is 0 and the key when it is empty.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error lists every problem found in a configuration file, sorted by line.
// Use errors.As to reach it from the error returned by Load or Parse.
type Error struct {
	Problems []Problem
}

// Error returns one problem per line, sorted by line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// maxProblems bounds the problems kept in an Error, so a broken file that
// repeats one mistake many times still gives a readable report.
const maxProblems = 100

func newError(problems []Problem) *Error {
	sorted := sortProblems(problems)
	if len(sorted) > maxProblems {
		rest := len(sorted) - maxProblems
		sorted = append(sorted[:maxProblems], Problem{
			File:    sorted[0].File,
			Message: fmt.Sprintf("%d more problems not shown (fix the ones above first)", rest),
		})
	}
	return &Error{Problems: sorted}
}

func sortProblems(problems []Problem) []Problem {
	sorted := append([]Problem(nil), problems...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Line < sorted[j].Line })
	return sorted
}

// compile-time check that *Error satisfies error.
var _ error = (*Error)(nil)

var (
	errEmpty     = errors.New("is empty")
	errNotBase64 = errors.New("is not valid base64")
)
