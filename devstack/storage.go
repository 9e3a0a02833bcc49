package devstack

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Lifetimes of what the provider issues.
const (
	authRequestLifetime = 10 * time.Minute // from /authorize until the person signs in or denies
	codeLifetime        = time.Minute      // from the redirect to the token request
	accessTokenLifetime = 10 * time.Minute
	idTokenLifetime     = 10 * time.Minute
)

// scopeGroups is the extra scope that adds the groups claim; profile adds
// it too.
const scopeGroups = "groups"

// errNotFound is returned for unknown or expired auth requests, codes,
// clients and tokens.
var errNotFound = errors.New("not found")

// storage is the provider's in-memory op.Storage: one client, the saved
// identities, pending auth requests and issued access tokens.
type storage struct {
	client     *client
	signingKey signingKey
	now        func() time.Time

	mu           sync.Mutex // guards the fields below
	identities   map[string]Identity
	order        []string // subjects in the order identities were saved
	authRequests map[string]*authRequest
	codes        map[string]string // code to auth request ID
	tokens       map[string]*accessToken
}

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

type accessToken struct {
	subject  string
	clientID string
	scopes   []string
	expires  time.Time
}

func newStorage(c *client, identities []Identity) (*storage, error) {
	key, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	s := &storage{
		client:       c,
		signingKey:   key,
		now:          time.Now,
		identities:   map[string]Identity{},
		authRequests: map[string]*authRequest{},
		codes:        map[string]string{},
		tokens:       map[string]*accessToken{},
	}
	for _, identity := range identities {
		s.saveIdentity(identity)
	}
	return s, nil
}

// saveIdentity adds or replaces the identity with the same subject.
func (s *storage) saveIdentity(identity Identity) string {
	s.mu.Lock()
	defer s.mu.Unlock()

	subject := identity.Subject()
	if _, ok := s.identities[subject]; !ok {
		s.order = append(s.order, subject)
	}
	identity.Groups = slices.Clone(identity.Groups)
	s.identities[subject] = identity
	return subject
}

// savedIdentities returns the identities in the order they were first saved.
func (s *storage) savedIdentities() []Identity {
	s.mu.Lock()
	defer s.mu.Unlock()

	list := make([]Identity, 0, len(s.order))
	for _, subject := range s.order {
		list = append(list, s.identities[subject])
	}
	return list
}

// completeAuthRequest marks the auth request as signed in by subject.
func (s *storage) completeAuthRequest(id, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	req, err := s.liveAuthRequest(id)
	if err != nil {
		return err
	}
	if _, ok := s.identities[subject]; !ok {
		return fmt.Errorf("identity %s: %w", subject, errNotFound)
	}
	req.subject = subject
	req.authTime = s.now()
	req.done = true
	return nil
}

// liveAuthRequest returns the unexpired auth request id. The caller holds s.mu.
func (s *storage) liveAuthRequest(id string) (*authRequest, error) {
	req, ok := s.authRequests[id]
	if !ok || s.now().Sub(req.created) > authRequestLifetime {
		return nil, fmt.Errorf("auth request: %w", errNotFound)
	}
	return req, nil
}

// dropExpired deletes expired auth requests, codes and tokens. The caller
// holds s.mu.
func (s *storage) dropExpired() {
	now := s.now()
	for id, req := range s.authRequests {
		if now.Sub(req.created) > authRequestLifetime {
			delete(s.authRequests, id)
		}
	}
	for code, id := range s.codes {
		if _, ok := s.authRequests[id]; !ok {
			delete(s.codes, code)
		}
	}
	for id, token := range s.tokens {
		if now.After(token.expires) {
			delete(s.tokens, id)
		}
	}
}

// CreateAuthRequest stores a new auth request. The development provider
// is stricter than OpenID Connect requires: it rejects requests without a
// nonce or without an S256 code challenge, so a client that forgets
// either fails here rather than against a real provider.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if req.CodeChallenge == "" || req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("the development provider requires PKCE with code_challenge_method S256")
	}
	if req.Nonce == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("the development provider requires a nonce")
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	s.dropExpired()
	stored := &authRequest{
		id:            randomHex(16),
		created:       s.now(),
		clientID:      req.ClientID,
		redirectURI:   req.RedirectURI,
		scopes:        slices.Clone([]string(req.Scopes)),
		state:         req.State,
		nonce:         req.Nonce,
		responseType:  req.ResponseType,
		responseMode:  req.ResponseMode,
		codeChallenge: &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod},
	}
	s.authRequests[stored.id] = stored
	return stored.snapshot(), nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	req, err := s.liveAuthRequest(id)
	if err != nil {
		return nil, err
	}
	return req.snapshot(), nil
}

func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	id, ok := s.codes[code]
	if !ok {
		return nil, fmt.Errorf("code: %w", errNotFound)
	}
	req, err := s.liveAuthRequest(id)
	if err != nil {
		return nil, err
	}
	if s.now().Sub(req.codeIssued) > codeLifetime {
		return nil, fmt.Errorf("code expired: %w", errNotFound)
	}
	return req.snapshot(), nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	req, err := s.liveAuthRequest(id)
	if err != nil {
		return err
	}
	req.codeIssued = s.now()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest deletes the auth request and its code, so each code
// is redeemed at most once.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	delete(s.authRequests, id)
	for code, requestID := range s.codes {
		if requestID == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, request op.TokenRequest) (string, time.Time, error) {
	clientID := s.client.id
	if req, ok := request.(*authRequest); ok {
		clientID = req.clientID
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	s.dropExpired()
	id := randomHex(16)
	expires := s.now().Add(accessTokenLifetime)
	s.tokens[id] = &accessToken{
		subject:  request.GetSubject(),
		clientID: clientID,
		scopes:   slices.Clone(request.GetScopes()),
		expires:  expires,
	}
	return id, expires, nil
}

// CreateAccessAndRefreshTokens always fails: the client is not registered
// for the refresh_token grant, so the op package never calls it.
func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("the development provider issues no refresh tokens")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(_ context.Context, tokenOrTokenID, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()

	delete(s.tokens, tokenOrTokenID)
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.signingKey, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{s.signingKey.SignatureAlgorithm()}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.signingKey}}, nil
}

// GetClientByClientID returns the one registered client. An unknown client
// ID is a plain error, which the op package turns into invalid_client.
func (s *storage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	if clientID != s.client.id {
		return nil, fmt.Errorf("client %q: %w", clientID, errNotFound)
	}
	return s.client, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, clientID, clientSecret string) error {
	if clientID != s.client.id || subtle.ConstantTimeCompare([]byte(clientSecret), []byte(s.client.secret)) != 1 {
		return errors.New("wrong client ID or client secret")
	}
	return nil
}

// SetUserinfoFromScopes is empty because the op package calls
// SetUserinfoFromRequest after it.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, request op.IDTokenRequest, scopes []string) error {
	return s.fillUserinfo(info, request.GetSubject(), scopes)
}

// SetUserinfoFromToken fills the userinfo endpoint's response.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	token, ok := s.tokens[tokenID]
	live := ok && token.subject == subject && !s.now().After(token.expires)
	s.mu.Unlock()
	if !live {
		return errors.New("access token is unknown or expired")
	}
	return s.fillUserinfo(info, subject, token.scopes)
}

// fillUserinfo sets the claims the scopes allow: email and email_verified
// for email; name and groups for profile; groups for groups.
func (s *storage) fillUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	s.mu.Lock()
	identity, ok := s.identities[subject]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("identity %s: %w", subject, errNotFound)
	}

	info.Subject = subject
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = identity.Email
		info.EmailVerified = oidc.Bool(identity.EmailVerified)
		// The library drops a false email_verified from its own field, so
		// the claim is also set directly to keep it in the token.
		info.AppendClaims("email_verified", identity.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) && identity.Name != "" {
		info.Name = identity.Name
	}
	if slices.Contains(scopes, oidc.ScopeProfile) || slices.Contains(scopes, scopeGroups) {
		info.AppendClaims("groups", append([]string{}, identity.Groups...))
	}
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("the development provider does not support token introspection")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("the development provider does not support private_key_jwt")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the development provider does not support the JWT profile grant")
}

func (s *storage) Health(context.Context) error { return nil }

// authRequest is one pending sign-in at the provider.
type authRequest struct {
	id            string
	created       time.Time
	clientID      string
	redirectURI   string
	scopes        []string
	state         string
	nonce         string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge

	// Set when the person signs in, under storage.mu.
	subject    string
	authTime   time.Time
	done       bool
	codeIssued time.Time
}

var _ op.AuthRequest = (*authRequest)(nil)

// snapshot returns a copy that the op package can read while the stored
// request changes. The caller holds storage.mu.
func (a *authRequest) snapshot() *authRequest {
	c := *a
	return &c
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return nil }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

// client is the bridge's registration: a confidential web client that
// uses the authorization code flow and HTTP Basic client authentication.
type client struct {
	id          string
	secret      string
	redirectURI string
	loginURL    func(authRequestID string) string
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return []string{c.redirectURI} }
func (c *client) PostLogoutRedirectURIs() []string    { return nil }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string            { return c.loginURL(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration       { return idTokenLifetime }
func (c *client) DevMode() bool                        { return false }
func (c *client) IsScopeAllowed(scope string) bool     { return scope == scopeGroups }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

// signingKey is the provider's RSA key for ID tokens, made at start and
// never rotated.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func newSigningKey() (signingKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	return signingKey{id: randomHex(8), key: key}, nil
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

// publicKey is the JWKS entry of a signingKey.
type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // since Go 1.24, crypto/rand.Read crashes the program rather than return an error
	return hex.EncodeToString(b)
}
