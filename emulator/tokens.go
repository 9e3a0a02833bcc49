package emulator

import (
	"net/http"
	"time"
)

// Custom token parameters of POST /v1/users/{userId}/tokens, unchanged from
// Appwrite 1.5.0 through 1.9.6.
const (
	defaultTokenLength = 6
	minTokenLength     = 4
	maxTokenLength     = 128
	defaultTokenExpire = 900 // seconds
	minTokenExpire     = 60
	maxTokenExpire     = 31536000
)

// handleCreateToken serves POST /v1/users/{userId}/tokens. The secret is
// `length` lowercase hex characters and only its SHA-256 is stored. The
// user's status is not checked: Appwrite issues tokens to blocked users too.
func (s *Server) handleCreateToken(c *call) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	p, err := readBody(c.r)
	if err != nil {
		return err
	}
	length, err := p.intInRange("length", defaultTokenLength, minTokenLength, maxTokenLength)
	if err != nil {
		return err
	}
	expire, err := p.intInRange("expire", defaultTokenExpire, minTokenExpire, maxTokenExpire)
	if err != nil {
		return err
	}

	now := s.now()
	secret := randomHex(length)
	tok := &tokenRecord{
		ID:         newID(now),
		UserID:     u.ID,
		SecretHash: hashSecret(secret),
		CreatedAt:  now,
		Expire:     now.Add(time.Duration(expire) * time.Second),
	}
	s.store.tokens[tok.ID] = tok

	if err := s.save(); err != nil {
		return err
	}
	writeJSON(c.w, http.StatusCreated, tokenJSON(tok, secret))
	return nil
}

// redeemToken finds an unexpired token of userID whose secret matches and
// deletes it, so each token works once. It reports whether one matched.
func (s *Server) redeemToken(userID, secret string, now time.Time) bool {
	for id, tok := range s.store.tokens {
		if tok.UserID != userID || now.After(tok.Expire) {
			continue
		}
		if secretMatches(secret, tok.SecretHash) {
			delete(s.store.tokens, id)
			return true
		}
	}
	return false
}
