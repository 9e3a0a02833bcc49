package testop

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// oauthError is an error response of the token endpoint (RFC 6749 section 5.2).
type oauthError struct {
	status      int
	code        string
	description string
}

func (e *oauthError) write(w http.ResponseWriter) {
	if e.code == "invalid_client" {
		w.Header().Set("WWW-Authenticate", `Basic realm="testop"`)
	}
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.description})
}

func invalidRequest(description string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", description}
}

func invalidGrant(description string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", description}
}

func invalidClient(description string) *oauthError {
	return &oauthError{http.StatusUnauthorized, "invalid_client", description}
}

// session is the identity and expiry behind an access token.
type session struct {
	identity  Identity
	expiresAt time.Time
}

// tokenResponse is the success response of the token endpoint. ExpiresIn is
// a number, or a string under TokenFaults.ExpiresInString.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   any    `json:"expires_in"`
	IDToken     string `json:"id_token,omitempty"`
}

// handleToken redeems an authorization code after checking the client, the
// redirect URI and the PKCE code verifier. Forced faults of TokenFaults are
// applied first, so that a forced failure consumes no code.
func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodPost) {
		return
	}

	p.mu.Lock()
	faults := p.faults.token
	p.mu.Unlock()
	if faults.Delay > 0 && !p.wait(r.Context(), faults.Delay) {
		return
	}
	if p.writeForcedTokenFault(w, faults) {
		return
	}

	if err := r.ParseForm(); err != nil {
		invalidRequest("the request body is not a valid form").write(w)
		return
	}
	clientID, oerr := p.authenticateClient(r)
	if oerr != nil {
		oerr.write(w)
		return
	}
	if got := r.PostForm.Get("grant_type"); got != "authorization_code" {
		(&oauthError{http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code"}).write(w)
		return
	}
	g, oerr := p.redeemCode(r.PostForm, clientID)
	if oerr != nil {
		oerr.write(w)
		return
	}

	resp, err := p.issueTokens(g, faults)
	if err != nil {
		p.internalError(w, fmt.Errorf("issue tokens: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// wait sleeps for d and reports whether the response should still be
// written. It stops early when the client disconnects or the test ends.
func (p *Provider) wait(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	case <-p.closing:
		return false
	}
}

// writeForcedTokenFault writes the response a TokenFaults field forces, if
// any, and reports whether it did.
func (p *Provider) writeForcedTokenFault(w http.ResponseWriter, f TokenFaults) bool {
	switch {
	case f.Status != 0:
		if f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		writeJSON(w, f.Status, map[string]string{"error": "server_error", "error_description": "forced failure"})
	case f.Garbage:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<html>this is not JSON</html>\n"))
	case f.ErrorWithOK:
		writeJSON(w, http.StatusOK, map[string]string{"error": "invalid_grant", "error_description": "forced error with status 200"})
	default:
		return false
	}
	return true
}

// authenticateClient checks the client credentials sent by HTTP Basic
// (client_secret_basic) or in the form (client_secret_post) and returns the
// client ID. Sending both is an error (RFC 6749 section 2.3).
func (p *Provider) authenticateClient(r *http.Request) (string, *oauthError) {
	basicUser, basicPassword, hasBasic := r.BasicAuth()
	formID := r.PostForm.Get("client_id")
	formSecret := r.PostForm.Get("client_secret")

	var method AuthMethod
	var id, secret string
	switch {
	case hasBasic && formSecret != "":
		return "", invalidRequest("the client authenticated with both HTTP Basic and client_secret")
	case hasBasic:
		// RFC 6749 section 2.3.1 form-encodes both parts before Basic encoding.
		var errID, errSecret error
		id, errID = url.QueryUnescape(basicUser)
		secret, errSecret = url.QueryUnescape(basicPassword)
		if errID != nil || errSecret != nil {
			return "", invalidClient("the HTTP Basic credentials are not form-encoded")
		}
		if formID != "" && formID != id {
			return "", invalidRequest("client_id in the form differs from the HTTP Basic user")
		}
		method = AuthMethodBasic
	case formSecret != "":
		id, secret = formID, formSecret
		method = AuthMethodPost
	default:
		return "", invalidClient("client authentication is missing")
	}

	if !slices.Contains(p.authMethods, method) {
		return "", invalidClient(fmt.Sprintf("client authentication method %s is not accepted", method))
	}
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(p.clientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(p.clientSecret)) == 1
	if !idOK || !secretOK {
		return "", invalidClient("invalid client ID or secret")
	}
	return id, nil
}

// redeemCode removes the code named in form and checks it against the
// request. A code is gone after its first redemption attempt, even a failed
// one, so a second attempt always gets invalid_grant.
func (p *Provider) redeemCode(form url.Values, clientID string) (grant, *oauthError) {
	code := form.Get("code")
	if code == "" {
		return grant{}, invalidRequest("code is missing")
	}

	p.mu.Lock()
	g, ok := p.codes[code]
	delete(p.codes, code)
	now := p.nowLocked()
	p.mu.Unlock()

	switch {
	case !ok:
		return grant{}, invalidGrant("the code is unknown or was already used")
	case now.After(g.expiresAt):
		return grant{}, invalidGrant("the code expired")
	case g.clientID != clientID:
		return grant{}, invalidGrant("the code was issued to another client")
	case form.Get("redirect_uri") != g.redirectURI:
		return grant{}, invalidGrant("redirect_uri differs from the authorization request")
	}

	verifier := form.Get("code_verifier")
	if verifier == "" {
		return grant{}, invalidRequest("code_verifier is missing")
	}
	if len(verifier) < 43 || len(verifier) > 128 || !isUnreserved(verifier) {
		return grant{}, invalidGrant("code_verifier must be 43 to 128 unreserved characters")
	}
	digest := sha256.Sum256([]byte(verifier))
	if base64.RawURLEncoding.EncodeToString(digest[:]) != g.codeChallenge {
		return grant{}, invalidGrant("code_verifier does not match the code_challenge")
	}
	return g, nil
}

// issueTokens creates an access token for g and signs its ID token, with
// the current ID token and token endpoint faults applied.
func (p *Provider) issueTokens(g grant, faults TokenFaults) (tokenResponse, error) {
	accessToken := rand.Text()

	p.mu.Lock()
	now := p.nowLocked()
	p.accessTokens[accessToken] = session{identity: g.identity, expiresAt: now.Add(AccessTokenLifetime)}
	idFaults := p.faults.idToken
	claims := p.idTokenClaimsLocked(g.identity, g.nonce, g.authTime, idFaults)
	p.mu.Unlock()

	resp := tokenResponse{
		AccessToken: accessToken,
		TokenType:   "Bearer",
		ExpiresIn:   int(AccessTokenLifetime.Seconds()),
	}
	if faults.ExpiresInString {
		resp.ExpiresIn = fmt.Sprint(resp.ExpiresIn)
	}
	if faults.OmitIDToken {
		return resp, nil
	}

	idToken, err := p.signIDToken(claims, idFaults)
	if err != nil {
		return tokenResponse{}, err
	}
	resp.IDToken = idToken
	return resp, nil
}

// IDTokenClaims returns the claims the token endpoint would put into an ID
// token for id at this moment, with the claim faults of the current
// IDTokenFaults applied. An empty nonce leaves the claim out unless a fault
// sets one. auth_time is the current time of the provider's clock.
func (p *Provider) IDTokenClaims(id Identity, nonce string) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idTokenClaimsLocked(id, nonce, p.nowLocked(), p.faults.idToken)
}

func (p *Provider) idTokenClaimsLocked(id Identity, nonce string, authTime time.Time, f IDTokenFaults) map[string]any {
	now := p.nowLocked()
	claims := identityClaims(id)

	claims["iss"] = p.issuer
	if f.Issuer != "" {
		claims["iss"] = f.Issuer
	}
	claims["sub"] = id.Subject
	claims["aud"] = p.clientID
	if len(f.Audience) > 0 {
		claims["aud"] = f.Audience
	}
	if f.AuthorizedParty != "" {
		claims["azp"] = f.AuthorizedParty
	}

	expiresAt := now.Add(IDTokenLifetime)
	if f.ExpiredFor > 0 {
		expiresAt = now.Add(-f.ExpiredFor)
	}
	claims["exp"] = expiresAt.Unix()
	claims["iat"] = now.Add(f.IssuedInFuture).Unix()
	if f.NotBeforeInFuture > 0 {
		claims["nbf"] = now.Add(f.NotBeforeInFuture).Unix()
	}
	claims["auth_time"] = authTime.Unix()

	switch {
	case f.OmitNonce:
	case f.Nonce != "":
		claims["nonce"] = f.Nonce
	case nonce != "":
		claims["nonce"] = nonce
	}
	return claims
}

// identityClaims returns the profile claims of id, with sub, that both the
// ID token and userinfo carry.
func identityClaims(id Identity) map[string]any {
	claims := map[string]any{"sub": id.Subject}
	if id.Email != "" {
		claims["email"] = id.Email
	}
	if id.EmailVerified != nil {
		claims["email_verified"] = id.EmailVerified
	}
	if id.Name != "" {
		claims["name"] = id.Name
	}
	if id.Groups != nil {
		claims["groups"] = id.Groups
	}
	for k, v := range id.Extra {
		if !protocolClaims[k] {
			claims[k] = v
		}
	}
	return claims
}

// protocolClaims are the claims that Identity.Extra cannot set.
var protocolClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "iat": true, "nbf": true,
	"nonce": true, "azp": true, "auth_time": true,
}
