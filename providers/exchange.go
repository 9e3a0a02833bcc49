package providers

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// maxUserInfoBytes caps the userinfo response size we read.
const maxUserInfoBytes = 1 << 20

// Exchange redeems the authorization code with the PKCE code verifier,
// verifies the ID token against the nonce stored for the flow and returns
// the identity it describes. With userinfo enabled, the userinfo claims are
// merged in after checking that their subject equals the ID token's.
func (p *Provider) Exchange(ctx context.Context, code, verifier, nonce string) (*Identity, error) {
	d, err := p.state()
	if err != nil {
		return nil, err
	}

	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	token, err := d.oauth2.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, p.exchangeError(err)
	}
	rawIDToken, _ := token.Extra("id_token").(string)
	if rawIDToken == "" {
		return nil, fmt.Errorf("provider %q: %w: the token response has no id_token", p.cfg.ID, ErrInvalidIDToken)
	}

	claims, err := p.verifyIDToken(ctx, d, rawIDToken, nonce)
	if err != nil {
		return nil, err
	}

	if p.cfg.UserInfo {
		if err := p.mergeUserInfo(ctx, d, token, claims); err != nil {
			return nil, err
		}
	}
	return p.newIdentity(claims)
}

// exchangeError sorts a failed token request into ErrExchangeRejected (the
// provider answered with an OAuth error) or ErrUnavailable (it could not be
// reached or failed), dropping the response body.
func (p *Provider) exchangeError(err error) error {
	var retrieve *oauth2.RetrieveError
	if errors.As(err, &retrieve) {
		status := 0
		if retrieve.Response != nil {
			status = retrieve.Response.StatusCode
		}
		tokenErr := &TokenError{Status: status, Code: retrieve.ErrorCode}
		transient := status >= 500 || status == 429 ||
			retrieve.ErrorCode == "server_error" || retrieve.ErrorCode == "temporarily_unavailable"
		if retrieve.ErrorCode != "" && !transient {
			return fmt.Errorf("provider %q: %w: %w", p.cfg.ID, ErrExchangeRejected, tokenErr)
		}
		return fmt.Errorf("provider %q: %w: %w", p.cfg.ID, ErrUnavailable, tokenErr)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("provider %q: token request: %w: %w", p.cfg.ID, ErrUnavailable, err)
	}
	// x/oauth2 reports an unparsable body or a missing access_token with a
	// plain error; it may quote the body, so only its kind is kept.
	return fmt.Errorf("provider %q: %w: the token response could not be used", p.cfg.ID, ErrUnavailable)
}

// verifyIDToken runs go-oidc's checks (signature, algorithm, issuer,
// audience) and then the ones it leaves to callers.
func (p *Provider) verifyIDToken(ctx context.Context, d *discovered, raw, nonce string) (map[string]any, error) {
	// go-oidc turns key set errors into plain text, so a JWKS that cannot be
	// fetched is detected here and reported as ErrUnavailable, not as a bad
	// token. Cached keys are returned without a request.
	if _, _, err := d.keys.current(ctx, 0); err != nil {
		return nil, fmt.Errorf("provider %q: load JWKS: %w", p.cfg.ID, err)
	}

	idToken, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("provider %q: %w: %w", p.cfg.ID, ErrInvalidIDToken, err)
	}

	var claims map[string]any
	if err := idToken.Claims(&claims); err != nil {
		return nil, fmt.Errorf("provider %q: %w: decode claims: %w", p.cfg.ID, ErrInvalidIDToken, err)
	}
	if err := p.checkClaims(idToken, claims, nonce); err != nil {
		return nil, fmt.Errorf("provider %q: %w: %w", p.cfg.ID, ErrInvalidIDToken, err)
	}
	return claims, nil
}

// checkClaims applies the nonce, authorized party and time rules. go-oidc
// has already checked that the audience contains the client ID.
func (p *Provider) checkClaims(idToken *oidc.IDToken, claims map[string]any, nonce string) error {
	if idToken.Subject == "" {
		return errors.New("the sub claim is missing")
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(nonce)) != 1 {
		return errors.New("the nonce does not match the one sent for this sign-in")
	}

	// OpenID Connect Core 1.0, section 3.1.3.7, items 4 and 5: with several
	// audiences the azp claim is required, and when present it must be our
	// client ID.
	azp, hasAZP := claims["azp"]
	if hasAZP {
		if value, ok := azp.(string); !ok || value != p.cfg.ClientID {
			return errors.New("the azp claim names another client")
		}
	}
	if len(idToken.Audience) > 1 && !hasAZP {
		return errors.New("the token has several audiences and no azp claim")
	}

	now := p.now()
	skew := p.cfg.ClockSkew
	if idToken.Expiry.IsZero() {
		return errors.New("the exp claim is missing")
	}
	if !now.Before(idToken.Expiry.Add(skew)) {
		return fmt.Errorf("the token expired at %s", idToken.Expiry.UTC().Format(time.RFC3339))
	}
	if idToken.IssuedAt.After(now.Add(skew)) {
		return fmt.Errorf("the token is issued in the future, at %s", idToken.IssuedAt.UTC().Format(time.RFC3339))
	}
	if nbf, ok := numericDate(claims["nbf"]); ok && nbf.After(now.Add(skew)) {
		return fmt.Errorf("the token is not valid before %s", nbf.UTC().Format(time.RFC3339))
	}
	return nil
}

// numericDate reads a JWT NumericDate (seconds since the epoch).
func numericDate(value any) (time.Time, bool) {
	number, ok := value.(float64)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(int64(number), 0), true
}

// mergeUserInfo fetches userinfo and adds its claims to claims without
// overriding the ID token's iss, sub, aud and the other protocol claims.
func (p *Provider) mergeUserInfo(ctx context.Context, d *discovered, token *oauth2.Token, claims map[string]any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.userinfoURL, nil)
	if err != nil {
		return fmt.Errorf("provider %q: build userinfo request: %w", p.cfg.ID, err)
	}
	req.Header.Set("Accept", "application/json")
	token.SetAuthHeader(req)
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("provider %q: userinfo request: %w: %w", p.cfg.ID, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserInfoBytes))
	if err != nil {
		return fmt.Errorf("provider %q: read userinfo: %w: %w", p.cfg.ID, ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("provider %q: userinfo: %w: HTTP %d", p.cfg.ID, ErrUnavailable, resp.StatusCode)
	}
	var info map[string]any
	if err := json.Unmarshal(body, &info); err != nil {
		// Garbage is a provider fault, like an unreadable token response.
		// NOTE: a signed (JWT) userinfo response is not supported and also
		// ends here.
		return fmt.Errorf("provider %q: userinfo: %w: the body is not a JSON object", p.cfg.ID, ErrUnavailable)
	}
	// OpenID Connect Core 1.0, section 5.3.2: the userinfo sub must equal the
	// ID token's, or the response must not be used.
	if sub, _ := info["sub"].(string); sub == "" || sub != claims["sub"] {
		return fmt.Errorf("provider %q: %w: its subject differs from the ID token's", p.cfg.ID, ErrUserInfo)
	}
	for key, value := range info {
		if _, protocol := protocolClaims[key]; protocol {
			continue
		}
		claims[key] = value
	}
	return nil
}

// protocolClaims are ID token claims that userinfo never overrides.
var protocolClaims = map[string]struct{}{
	"iss": {}, "sub": {}, "aud": {}, "exp": {}, "iat": {}, "nbf": {}, "nonce": {},
	"azp": {}, "auth_time": {}, "at_hash": {}, "c_hash": {}, "acr": {}, "amr": {}, "sid": {}, "jti": {},
}
