package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Session secret size: 256 lowercase hex characters, as Appwrite generates.
const sessionSecretChars = 256

// maxTokenSecretChars is the longest `secret` POST /v1/account/sessions/token
// takes.
const maxTokenSecretChars = 256

// encodedSession is the session value carried in the a_session_<projectId>
// cookie, X-Appwrite-Session and X-Fallback-Cookies: standard Base64 of
// compact JSON {"id":"<userId>","secret":"<secret>"}.
type encodedSession struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

func encodeSession(userID, secret string) string {
	raw, _ := json.Marshal(encodedSession{ID: userID, Secret: secret})
	return base64.StdEncoding.EncodeToString(raw)
}

func decodeSession(value string) (encodedSession, bool) {
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return encodedSession{}, false
	}
	var es encodedSession
	if err := json.Unmarshal(raw, &es); err != nil || es.ID == "" || es.Secret == "" {
		return encodedSession{}, false
	}
	return es, true
}

func (s *Server) cookieName() string {
	return "a_session_" + s.projectID
}

// resolveSession finds the caller's session. Like Appwrite it reads the
// cookie, then the legacy cookie, then X-Appwrite-Session, then the
// X-Fallback-Cookies JSON, and uses the first value that decodes. A value
// naming no live session makes the caller a guest, without an error.
func (s *Server) resolveSession(r *http.Request) (*sessionRecord, *userRecord) {
	var candidates []string
	for _, name := range []string{s.cookieName(), s.cookieName() + "_legacy"} {
		if cookie, err := r.Cookie(name); err == nil {
			candidates = append(candidates, cookie.Value)
		}
	}
	candidates = append(candidates, r.Header.Get("X-Appwrite-Session"))
	var fallback map[string]string
	if json.Unmarshal([]byte(r.Header.Get("X-Fallback-Cookies")), &fallback) == nil {
		candidates = append(candidates, fallback[s.cookieName()])
	}

	for _, candidate := range candidates {
		es, ok := decodeSession(candidate)
		if !ok {
			continue
		}
		return s.liveSession(es)
	}
	return nil, nil
}

// liveSession returns the unexpired session matching an encoded session.
func (s *Server) liveSession(es encodedSession) (*sessionRecord, *userRecord) {
	u := s.store.users[es.ID]
	if u == nil {
		return nil, nil
	}
	now := s.now()
	for _, sess := range s.store.sessions {
		if sess.UserID == u.ID && !now.After(sess.Expire) && secretMatches(es.Secret, sess.SecretHash) {
			return sess, u
		}
	}
	return nil, nil
}

// handleCreateSession serves POST /v1/account/sessions/token: it exchanges
// a user ID and custom token secret for a session. Wrong, expired and used
// secrets, and unknown users, all get 401 user_invalid_token. The user's
// status is not checked, so a blocked user gets a session whose next use
// fails with user_blocked, as in Appwrite.
func (s *Server) handleCreateSession(c *call) error {
	p, err := readBody(c.r)
	if err != nil {
		return err
	}

	// Appwrite's rate limit and session check run before its parameter
	// validation, so they see the raw userId.
	rawUserID, _, _ := p.stringValue("userId")
	limitKey := clientIP(c.r) + "|" + rawUserID
	if s.limiter != nil && !c.hasKey && !s.limiter.allow(c.w, limitKey, s.now()) {
		return newError(http.StatusTooManyRequests, TypeRateLimitExceeded, "Rate limit exceeded for this endpoint: try again after the time in X-RateLimit-Reset.")
	}
	if c.session != nil {
		return newError(http.StatusUnauthorized, TypeUserSessionExists, "A session is already active: delete it before creating another.")
	}

	userID, err := p.requiredString("userId")
	if err != nil {
		return err
	}
	if err := checkCustomID("userId", userID); err != nil {
		return err
	}
	secret, err := p.requiredString("secret")
	if err != nil {
		return err
	}
	if secret == "" {
		return missingParamError("secret")
	}
	if err := checkMaxChars("secret", secret, maxTokenSecretChars); err != nil {
		return err
	}

	now := s.now()
	u := s.store.users[userID]
	if u == nil || !s.redeemToken(userID, secret, now) {
		return newError(http.StatusUnauthorized, TypeUserInvalidToken, "Invalid token: the user ID or secret is wrong, or the token expired or was already used.")
	}

	sessionSecret := randomHex(sessionSecretChars)
	sess := &sessionRecord{
		ID:         newID(now),
		UserID:     u.ID,
		SecretHash: hashSecret(sessionSecret),
		CreatedAt:  now,
		UpdatedAt:  now,
		Expire:     now.Add(sessionLength),
		Provider:   "token",
		Factors:    []string{"token"},
		IP:         clientIP(c.r),
	}
	s.store.sessions[sess.ID] = sess
	u.AccessedAt = now
	s.store.dropExpired(now)
	if err := s.save(); err != nil {
		return err
	}
	if s.limiter != nil && s.version.resetsRateLimitOnSuccess() {
		s.limiter.reset(limitKey)
	}

	encoded := encodeSession(u.ID, sessionSecret)
	s.setSessionCookies(c.w, c.r, encoded, sess.Expire)
	if !sameSite(c.r) {
		fallback, _ := json.Marshal(map[string]string{s.cookieName(): encoded})
		c.w.Header().Set("X-Fallback-Cookies", string(fallback))
	}

	// Only API-key callers (server-side rendering) see the session secret.
	bodySecret := ""
	if c.hasKey {
		bodySecret = encoded
	}
	writeJSON(c.w, http.StatusCreated, sessionJSON(sess, true, bodySecret))
	return nil
}

// handleGetAccount serves GET /v1/account.
func (s *Server) handleGetAccount(c *call) error {
	writeJSON(c.w, http.StatusOK, userJSON(c.user, false))
	return nil
}

// handleDeleteSession serves DELETE /v1/account/sessions/{sessionId}, where
// sessionId may be "current".
func (s *Server) handleDeleteSession(c *call) error {
	sessionID := c.r.PathValue("sessionId")
	if sessionID == "current" {
		sessionID = c.session.ID
	}
	sess := s.store.sessions[sessionID]
	if sess == nil || sess.UserID != c.user.ID {
		return newError(http.StatusNotFound, TypeUserSessionNotFound, "No session with the requested ID exists for this user.")
	}

	delete(s.store.sessions, sess.ID)
	if err := s.save(); err != nil {
		return err
	}
	if sess.ID == c.session.ID {
		s.clearSessionCookies(c.w, c.r)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleDeleteSessions serves DELETE /v1/account/sessions, which signs the
// user out everywhere.
func (s *Server) handleDeleteSessions(c *call) error {
	s.store.deleteSessionsOf(c.user.ID)
	if err := s.save(); err != nil {
		return err
	}
	s.clearSessionCookies(c.w, c.r)
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleDeleteUserSessions serves DELETE /v1/users/{userId}/sessions.
func (s *Server) handleDeleteUserSessions(c *call) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	s.store.deleteSessionsOf(u.ID)
	if err := s.save(); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// setSessionCookies sets a_session_<projectId> (SameSite=None) and its
// _legacy twin (no SameSite) the way Appwrite does. Secure is set only over
// HTTPS, so browsers drop the SameSite=None cookie on plain HTTP and the web
// SDK relies on X-Fallback-Cookies there, as it does with a real server.
func (s *Server) setSessionCookies(w http.ResponseWriter, r *http.Request, value string, expires time.Time) {
	domain := cookieDomain(r)
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: value, Path: "/", Domain: domain, Expires: expires,
		Secure: secure, HttpOnly: true, SameSite: http.SameSiteNoneMode,
	})
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName() + "_legacy", Value: value, Path: "/", Domain: domain, Expires: expires,
		Secure: secure, HttpOnly: true,
	})
}

// clearSessionCookies expires both session cookies and, for cross-site
// callers, sends X-Fallback-Cookies: [] so the web SDK clears its copy.
func (s *Server) clearSessionCookies(w http.ResponseWriter, r *http.Request) {
	s.setSessionCookies(w, r, "", time.Unix(0, 0))
	if !sameSite(r) {
		w.Header().Set("X-Fallback-Cookies", "[]")
	}
}

// cookieDomain is "." plus the API host name, or "" (host-only cookie) for
// IP addresses and localhost.
func cookieDomain(r *http.Request) string {
	host := requestHostname(r)
	if host == "localhost" || net.ParseIP(host) != nil {
		return ""
	}
	return "." + host
}

// sameSite reports whether the caller's Origin (up to 1.8.x also Referer)
// shares the API host's registrable domain. Appwrite adds X-Fallback-Cookies
// when it does not, which includes requests without an Origin and every IP
// or localhost endpoint, since those have no registrable domain.
func sameSite(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = refererOrigin(r.Header.Get("Referer"))
	}
	u, err := url.Parse(origin)
	if origin == "" || err != nil || net.ParseIP(u.Hostname()) != nil || net.ParseIP(requestHostname(r)) != nil {
		return false
	}
	callerDomain, err := publicsuffix.EffectiveTLDPlusOne(u.Hostname())
	if err != nil {
		return false
	}
	apiDomain, err := publicsuffix.EffectiveTLDPlusOne(requestHostname(r))
	if err != nil {
		return false
	}
	return callerDomain == apiDomain
}

func requestHostname(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return host
}

// clientIP is the caller's address. Forwarding headers are ignored because
// the emulator is meant to be called directly.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
