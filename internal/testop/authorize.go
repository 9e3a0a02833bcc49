package testop

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// grant is the authorization request data that a code refers to until it is
// redeemed.
type grant struct {
	clientID      string
	redirectURI   string
	codeChallenge string
	nonce         string // empty when the request had none
	identity      Identity
	authTime      time.Time
	expiresAt     time.Time
}

// handleAuthorize validates an authorization request and, without any login
// step, redirects to the redirect URI with a code for the next identity.
// As OAuth 2.0 (RFC 6749 section 4.1.2.1) requires, an unknown client or
// redirect URI is reported to the browser, and every later error goes back
// to the redirect URI.
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "invalid authorization request: "+err.Error(), http.StatusBadRequest)
		return
	}
	params := r.Form

	if got := params.Get("client_id"); got != p.clientID {
		http.Error(w, "unknown client_id "+strconv.Quote(got), http.StatusBadRequest)
		return
	}
	redirectURI := params.Get("redirect_uri")
	target, err := url.Parse(redirectURI)
	if err != nil || !p.redirectURIRegistered(redirectURI) {
		http.Error(w, "redirect_uri "+strconv.Quote(redirectURI)+" is not registered for this client", http.StatusBadRequest)
		return
	}
	state := params.Get("state")

	if code, description := p.forcedAuthorizeError(); code != "" {
		redirectWithError(w, r, target, state, code, description)
		return
	}
	if got := params.Get("response_type"); got != "code" {
		redirectWithError(w, r, target, state, "unsupported_response_type", "response_type must be code")
		return
	}
	if !hasScope(params.Get("scope"), "openid") {
		redirectWithError(w, r, target, state, "invalid_scope", "scope must contain openid")
		return
	}
	challenge := params.Get("code_challenge")
	if challenge == "" {
		redirectWithError(w, r, target, state, "invalid_request", "code_challenge is required")
		return
	}
	if got := params.Get("code_challenge_method"); got != "S256" {
		redirectWithError(w, r, target, state, "invalid_request", "code_challenge_method must be S256")
		return
	}
	if !validS256Challenge(challenge) {
		redirectWithError(w, r, target, state, "invalid_request", "code_challenge must be 43 base64url characters")
		return
	}

	code := p.issueCode(grant{
		clientID:      p.clientID,
		redirectURI:   redirectURI,
		codeChallenge: challenge,
		nonce:         params.Get("nonce"),
	})
	redirect(w, r, target, url.Values{"code": {code}}, state)
}

func (p *Provider) redirectURIRegistered(uri string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.redirectURIs[uri]
}

func (p *Provider) forcedAuthorizeError() (code, description string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults.authorize.Error, p.faults.authorize.ErrorDescription
}

// issueCode stores g under a new code, completing it with the next identity
// and the provider's clock.
func (p *Provider) issueCode(g grant) string {
	code := rand.Text()

	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.nowLocked()
	g.identity = p.nextIdentityLocked()
	g.authTime = now
	g.expiresAt = now.Add(CodeLifetime)
	p.codes[code] = g
	return code
}

func hasScope(scope, want string) bool {
	for s := range strings.FieldsSeq(scope) {
		if s == want {
			return true
		}
	}
	return false
}

// validS256Challenge reports whether challenge has the form of a base64url
// SHA-256 digest without padding (RFC 7636 section 4.2).
func validS256Challenge(challenge string) bool {
	return len(challenge) == 43 && isUnreserved(challenge)
}

// isUnreserved reports whether s uses only the characters RFC 7636 allows in
// a code verifier.
func isUnreserved(s string) bool {
	for _, c := range s {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// redirect sends a 302 to target with params and state added to the query
// it already has. An empty state is left out.
func redirect(w http.ResponseWriter, r *http.Request, target *url.URL, params url.Values, state string) {
	u := *target
	query := u.Query()
	for k, v := range params {
		query[k] = v
	}
	if state != "" {
		query.Set("state", state)
	}
	u.RawQuery = query.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func redirectWithError(w http.ResponseWriter, r *http.Request, target *url.URL, state, code, description string) {
	params := url.Values{"error": {code}}
	if description != "" {
		params.Set("error_description", description)
	}
	redirect(w, r, target, params, state)
}
