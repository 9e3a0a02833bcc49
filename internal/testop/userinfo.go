package testop

import (
	"net/http"
	"strings"
)

// handleUserinfo returns the profile claims of the identity behind a Bearer
// access token (OpenID Connect Core 1.0 section 5.3).
func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}

	p.mu.Lock()
	faults := p.faults.userinfo
	p.mu.Unlock()
	if faults.Status != 0 {
		writeJSON(w, faults.Status, map[string]string{"error": "server_error", "error_description": "forced failure"})
		return
	}

	token, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="testop"`)
		http.Error(w, "a Bearer access token is required", http.StatusUnauthorized)
		return
	}
	p.mu.Lock()
	s, found := p.accessTokens[token]
	expired := found && p.nowLocked().After(s.expiresAt)
	p.mu.Unlock()
	if !found || expired {
		w.Header().Set("WWW-Authenticate", `Bearer realm="testop", error="invalid_token"`)
		http.Error(w, "the access token is unknown or expired", http.StatusUnauthorized)
		return
	}

	claims := identityClaims(s.identity)
	if faults.Subject != "" {
		claims["sub"] = faults.Subject
	}
	writeJSON(w, http.StatusOK, claims)
}

// bearerToken returns the token of an "Authorization: Bearer" header. The
// scheme is matched without regard to case (RFC 9110 section 11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}
