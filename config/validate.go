package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tokenbridge/tokenbridge/returnurl"
)

var (
	projectIDPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$`)
	providerIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

	logFormats       = []string{"text", "json"}
	logLevels        = []string{"debug", "info", "warn", "error"}
	tokenAuthMethods = []string{"auto", "client_secret_basic", "client_secret_post", "none"}

	// signingAlgorithms are the asymmetric JWS algorithms from RFC 7518 and
	// RFC 8037 that an ID token may use. HS* is left out because it would
	// make the client secret a verification key, and "none" because it
	// means no signature.
	signingAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

	// reservedAuthParams are the authorization request parameters the
	// bridge sets itself. response_mode is among them because the callback
	// reads the code from the query string only.
	reservedAuthParams = []string{
		"client_id", "redirect_uri", "response_type", "response_mode", "scope",
		"state", "nonce", "code_challenge", "code_challenge_method",
	}
)

// Ranges enforced by validation. The Appwrite ranges are those of
// POST /v1/users/{userId}/tokens.
const (
	minTokenLength  = 4
	maxTokenLength  = 128
	minTokenExpiry  = 60 * time.Second
	maxTokenExpiry  = 31536000 * time.Second
	minFlowLifetime = time.Minute
	maxFlowLifetime = time.Hour
	minMaxPending   = 1
	maxMaxPending   = 20
	maxClockSkew    = 10 * time.Minute
)

// validator checks a decoded Config with defaults applied, without changing
// it, and collects problems and warnings, each placed at the line of its key
// path.
type validator struct {
	file     string
	lines    map[string]int
	problems []Problem
	warnings []Problem
}

func (v *validator) problem(path, format string, args ...any) {
	v.problems = append(v.problems, v.at(path, format, args...))
}

func (v *validator) warn(path, format string, args ...any) {
	v.warnings = append(v.warnings, v.at(path, format, args...))
}

func (v *validator) at(path, format string, args ...any) Problem {
	return Problem{File: v.file, Line: v.lineOf(path), Key: path, Message: fmt.Sprintf(format, args...)}
}

// lineOf returns the line of path, or of its nearest written parent when
// path itself is missing from the file.
func (v *validator) lineOf(path string) int {
	for {
		if line, ok := v.lines[path]; ok {
			return line
		}
		if path == "" {
			return 0
		}
		path = parentKey(path)
	}
}

// parentKey returns "a.b" for "a.b.c" and "a.b" for "a.b[3]".
func parentKey(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

func (v *validator) validate(c *Config) {
	v.validateServer(c.Server)
	v.validateAppwrite(c.Appwrite)
	v.validateFlow(c.Flow, c.Server.PublicURL)
	v.validateReturnURLs(c.ReturnURLs)
	v.validateProviders(c.Providers)
}

func (v *validator) validateServer(s Server) {
	v.checkListen("server.listen", s.Listen)

	if u, ok := v.checkBaseURL("server.public_url", s.PublicURL, "the URL browsers use to reach tokenbridge, such as https://auth.example.com"); ok {
		if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
			v.warn("server.public_url", "uses http on a non-loopback host, so the flow cookie and the redirect to the app travel unencrypted (use https)")
		}
	}

	v.checkOneOf("server.log_format", s.LogFormat, logFormats)
	v.checkOneOf("server.log_level", s.LogLevel, logLevels)
	if s.ShutdownTimeout <= 0 {
		v.problem("server.shutdown_timeout", "is %s, want more than 0 (write a duration such as 15s)", s.ShutdownTimeout)
	}

	for i, proxy := range s.TrustedProxies {
		path := fmt.Sprintf("server.trusted_proxies[%d]", i)
		prefix, ok := parseIPOrPrefix(proxy)
		if !ok {
			v.problem(path, "%q is not an IP address or CIDR prefix (write it like 10.0.0.0/8, 192.0.2.10 or fd00::/8)", proxy)
			continue
		}
		if prefix.Bits() == 0 {
			v.warn(path, "%s trusts X-Forwarded-For from every address, so any client can choose the IP that rate limits and logs see (list only your proxies)", proxy)
		}
	}

	rl := s.RateLimit
	switch {
	case rl.RequestsPerMinute < 0:
		v.problem("server.rate_limit.requests_per_minute", "is %d, want 0 or more (0 turns the limit off)", rl.RequestsPerMinute)
	case rl.RequestsPerMinute == 0:
		v.warn("server.rate_limit.requests_per_minute", "is 0, so /login and /callback have no rate limit")
	case rl.Burst < 1:
		v.problem("server.rate_limit.burst", "is %d, want 1 or more while the rate limit is on", rl.Burst)
	}
}

func (v *validator) checkListen(path, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.problem(path, "%q is not host:port (write it like 127.0.0.1:8080, or :8080 for every interface)", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.problem(path, "port %q is not a number from 0 to 65535", port)
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			v.problem(path, "host %q is not an IP address or localhost (listen on an address, such as 127.0.0.1 or 0.0.0.0)", host)
		}
	}
}

// checkBaseURL checks that raw is an absolute http(s) URL without user
// info, query or fragment. about describes the expected value for the
// "is empty" message.
func (v *validator) checkBaseURL(path, raw, about string) (*url.URL, bool) {
	if raw == "" {
		v.problem(path, "is empty (set %s)", about)
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		v.problem(path, "%q is not an absolute URL (write it like %s)", raw, urlExample(path))
		return nil, false
	}
	ok := true
	if u.Scheme != "http" && u.Scheme != "https" {
		v.problem(path, "has the scheme %q, want http or https", u.Scheme)
		ok = false
	}
	if u.User != nil {
		v.problem(path, "contains user info before the host (remove it, because credentials belong in their own keys)")
		ok = false
	}
	if u.RawQuery != "" || u.ForceQuery {
		v.problem(path, "has a query string (remove everything from the ?)")
		ok = false
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		v.problem(path, "has a fragment (remove everything from the #)")
		ok = false
	}
	return u, ok
}

func urlExample(path string) string {
	switch {
	case strings.HasPrefix(path, "appwrite"):
		return "https://appwrite.example.com/v1"
	case strings.HasPrefix(path, "providers"):
		return "https://tenant.example.com/"
	default:
		return "https://auth.example.com"
	}
}

func (v *validator) checkOneOf(path, value string, allowed []string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.problem(path, "%q is not allowed (use %s)", value, joinAlternatives(allowed))
}

func (v *validator) validateAppwrite(a Appwrite) {
	if u, ok := v.checkBaseURL("appwrite.endpoint", a.Endpoint, "the Appwrite API URL, such as https://appwrite.example.com/v1"); ok {
		if !strings.HasSuffix(a.Endpoint, "/v1") {
			v.warn("appwrite.endpoint", "does not end in /v1, where Appwrite serves its API (check the URL)")
		}
		if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
			v.warn("appwrite.endpoint", "uses http on a non-loopback host, so the API key and token secrets travel unencrypted (use https)")
		}
	}

	switch {
	case a.ProjectID == "":
		v.problem("appwrite.project_id", "is empty (copy the project ID from the Appwrite console's project settings)")
	case !projectIDPattern.MatchString(a.ProjectID):
		v.problem("appwrite.project_id", "%q is not an Appwrite ID (use 1 to 36 of A-Z, a-z, 0-9, ., _ and -, not starting with ., _ or -)", a.ProjectID)
	}
	if a.APIKey == "" {
		v.problem("appwrite.api_key", "is empty (create an API key with the users.read and users.write scopes in the Appwrite console)")
	}

	if a.TokenLength < minTokenLength || a.TokenLength > maxTokenLength {
		v.problem("appwrite.token_length", "is %d, want %d to %d (Appwrite's limits for a token secret)", a.TokenLength, minTokenLength, maxTokenLength)
	}
	switch {
	case a.TokenExpiry < minTokenExpiry || a.TokenExpiry > maxTokenExpiry:
		v.problem("appwrite.token_expiry", "is %s, want 60s to 8760h (Appwrite's limits for a custom token)", a.TokenExpiry)
	case a.TokenExpiry%time.Second != 0:
		v.problem("appwrite.token_expiry", "is %s, want whole seconds (Appwrite takes the expiry in seconds)", a.TokenExpiry)
	}
	if a.Timeout <= 0 {
		v.problem("appwrite.timeout", "is %s, want more than 0 (write a duration such as 10s)", a.Timeout)
	}
}

func (v *validator) validateFlow(f Flow, publicURL string) {
	switch {
	case !isCookieName(f.CookieName):
		v.problem("flow.cookie_name", "%q is not a cookie name (use letters, digits and !#$%%&'*+-.^_`|~ only)", f.CookieName)
	case strings.HasPrefix(f.CookieName, "__Secure-") || strings.HasPrefix(f.CookieName, "__Host-"):
		if !strings.HasPrefix(publicURL, "https://") {
			v.problem("flow.cookie_name", "%q needs an https public_url, because browsers drop __Secure- and __Host- cookies sent over http (rename the cookie or use https)", f.CookieName)
		}
	}

	if f.Lifetime < minFlowLifetime || f.Lifetime > maxFlowLifetime {
		v.problem("flow.lifetime", "is %s, want 1m to 1h", f.Lifetime)
	}
	if f.MaxPending < minMaxPending || f.MaxPending > maxMaxPending {
		v.problem("flow.max_pending", "is %d, want %d to %d", f.MaxPending, minMaxPending, maxMaxPending)
	}

	if len(f.Keys) == 0 {
		v.problem("flow.keys", "is empty (add a pair of hash_key and encryption_key, each generated with: openssl rand -base64 32)")
	}
	for i, k := range f.Keys {
		path := fmt.Sprintf("flow.keys[%d]", i)
		v.checkKey(path+".hash_key", k.HashKey, 32, 64)
		v.checkKey(path+".encryption_key", k.EncryptionKey, 16, 24, 32)
	}
}

// checkKey reports a cookie key that does not decode. The message gives at
// most the decoded length, never the value.
func (v *validator) checkKey(path string, key Secret, sizes ...int) {
	if _, err := decodeKey(key, sizes...); err != nil {
		v.problem(path, "%v (generate one with: openssl rand -base64 32)", err)
	}
}

// isCookieName reports whether name is a non-empty RFC 6265 cookie-name token.
func isCookieName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return false
		}
	}
	return true
}

func (v *validator) validateReturnURLs(urls []string) {
	if len(urls) == 0 {
		v.problem("return_urls", "is empty (list the success and failure URLs of your app, such as https://app.example.com/auth/done)")
	}
	empty := false
	for i, u := range urls {
		if strings.TrimSpace(u) == "" {
			v.problem(fmt.Sprintf("return_urls[%d]", i), "is empty (write a URL of your app or remove the entry)")
			empty = true
		}
	}
	if empty || len(urls) == 0 {
		return
	}

	// The allow-list's own rules, so that a bad entry is listed together
	// with every other problem of the file.
	if _, err := returnurl.Parse(urls); err != nil {
		var parseErr *returnurl.ParseError
		if !errors.As(err, &parseErr) {
			v.problem("return_urls", "%s", err.Error())
			return
		}
		for _, entry := range parseErr.Entries {
			v.problem(fmt.Sprintf("return_urls[%d]", entry.Index), "%s", entry.Problem)
		}
	}
}

func (v *validator) validateProviders(providers []Provider) {
	if len(providers) == 0 {
		v.problem("providers", "is empty (add at least one provider with id, issuer and client_id)")
	}
	firstByID := map[string]int{}
	for i := range providers {
		path := providerPath(i)
		p := providers[i]
		v.validateProvider(path, p)
		if p.ID == "" {
			continue
		}
		if first, dup := firstByID[p.ID]; dup {
			v.problem(path+".id", "%q is already the id of providers[%d] (give each provider its own id)", p.ID, first)
			continue
		}
		firstByID[p.ID] = i
	}
}

func providerPath(i int) string { return fmt.Sprintf("providers[%d]", i) }

func (v *validator) validateProvider(path string, p Provider) {
	switch {
	case p.ID == "":
		v.problem(path+".id", "is empty (choose a short name such as auth0, which appears in /login/{id})")
	case !providerIDPattern.MatchString(p.ID):
		v.problem(path+".id", "%q is not allowed (use 1 to 32 of a-z, 0-9, _ and -, starting with a letter or digit)", p.ID)
	}

	v.validatePreset(path, p)
	v.validateEndpoints(path, p)
	v.validateMapping(path, p)
	if p.ClientID == "" {
		v.problem(path+".client_id", "is empty (copy it from the provider's application settings)")
	}

	v.checkOneOf(path+".token_auth_method", p.TokenAuthMethod, tokenAuthMethods)
	switch {
	case p.TokenAuthMethod == "none" && p.ClientSecret != "":
		v.problem(path+".client_secret", "is set, but token_auth_method none sends no secret (remove the secret or choose another method)")
	case p.TokenAuthMethod != "none" && p.ClientSecret == "":
		v.problem(path+".client_secret", "is empty (copy it from the provider's application settings, or set token_auth_method: none for a public client)")
	}

	v.checkScopes(path+".scopes", p.Scopes)
	v.checkAuthParams(path+".auth_params", p.AuthParams)
	v.checkAlgorithms(path+".algorithms", p.Algorithms)

	if p.ClockSkew < 0 || p.ClockSkew > maxClockSkew {
		v.problem(path+".clock_skew", "is %s, want 0s to 10m", p.ClockSkew)
	}
	if p.LinkByEmail {
		v.warn(path+".link_by_email", "is on, so a first login with a verified email takes over the existing Appwrite user with that email (turn it on only for providers that verify email ownership)")
	}
}

func (v *validator) checkIssuer(path, issuer string) {
	u, ok := v.checkBaseURL(path, issuer, "the issuer URL from the provider's discovery document, such as https://tenant.example.com/")
	if !ok {
		return
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		v.problem(path, "uses http on a non-loopback host (use https, because http is allowed only for 127.0.0.1, ::1 and localhost)")
	}
}

func (v *validator) checkScopes(path string, scopes []string) {
	hasOpenID := false
	for i, s := range scopes {
		switch {
		case s == "":
			v.problem(fmt.Sprintf("%s[%d]", path, i), "is empty (remove the entry)")
		case strings.ContainsAny(s, " \t\n\""):
			v.problem(fmt.Sprintf("%s[%d]", path, i), "%q contains a space or quote (list each scope as its own entry)", s)
		case s == "openid":
			hasOpenID = true
		}
	}
	if !hasOpenID {
		v.problem(path, "does not contain openid (add openid, because without it the provider returns no ID token)")
	}
}

func (v *validator) checkAuthParams(path string, params map[string]string) {
	for name := range params {
		keyPath := path + "." + name
		if name == "" {
			v.problem(keyPath, "has an empty parameter name (remove it)")
			continue
		}
		for _, reserved := range reservedAuthParams {
			if strings.EqualFold(name, reserved) {
				v.problem(keyPath, "overrides %s, which tokenbridge sets itself (remove it)", reserved)
			}
		}
	}
}

func (v *validator) checkAlgorithms(path string, algorithms []string) {
	if len(algorithms) == 0 {
		v.problem(path, "is empty (list the algorithms the provider signs ID tokens with, such as RS256)")
	}
	for i, alg := range algorithms {
		itemPath := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case strings.EqualFold(alg, "none"):
			v.problem(itemPath, "%q means an unsigned ID token and is never accepted (remove it)", alg)
		case strings.HasPrefix(strings.ToUpper(alg), "HS"):
			v.problem(itemPath, "%q would verify ID tokens with the client secret and is not accepted (use an asymmetric algorithm such as RS256)", alg)
		default:
			v.checkOneOf(itemPath, alg, signingAlgorithms)
		}
	}
}

// isLoopbackHost reports whether host is localhost or a loopback IP address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.IsLoopback()
}

// parseIPOrPrefix parses an IP address or CIDR prefix. An address becomes a
// prefix of its full length.
func parseIPOrPrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err == nil
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(addr, addr.BitLen()), true
}
