package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// minKeyRefresh is the shortest time between two JWKS fetches caused by a
// token that fails with the cached keys although it names a key they hold,
// names no key, or names a key that the last fetch already lacked. It
// bounds the load that a stream of bad tokens can put on the provider.
const minKeyRefresh = 30 * time.Second

// minNewKeyRefresh is the shortest time between two JWKS fetches caused by
// a token naming a key ID not yet looked up. After a signing-key rotation the
// first token with the new key ID triggers one fetch almost at once, while a
// stream of made-up key IDs causes at most one fetch per this interval.
const minNewKeyRefresh = time.Second

// maxMissingKeyIDs bounds the memory of key IDs that a fetch did not find.
const maxMissingKeyIDs = 256

// keySet verifies JWT signatures against the provider's JWKS. It fetches the
// JWKS on first use and again, within the limits above, when a token fails
// to verify with the cached keys. It implements oidc.KeySet.
type keySet struct {
	url        string
	client     *http.Client
	algorithms []jose.SignatureAlgorithm
	now        func() time.Time

	mu        sync.Mutex
	keys      []jose.JSONWebKey
	fetchedAt time.Time // zero until the first successful fetch
	fetching  chan struct{}
	fetchErr  error
	missing   map[string]time.Time // key IDs a fetch lacked, with when they were found missing
}

func newKeySet(url string, client *http.Client, algorithms []string) *keySet {
	algs := make([]jose.SignatureAlgorithm, len(algorithms))
	for i, alg := range algorithms {
		algs[i] = jose.SignatureAlgorithm(alg)
	}
	return &keySet{url: url, client: client, algorithms: algs, now: time.Now}
}

// VerifySignature checks the JWS signature and returns the payload.
func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSigned(raw, k.algorithms)
	if err != nil {
		return nil, fmt.Errorf("parse JWS: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("JWS must carry exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID

	keys, fresh, err := k.current(ctx, 0)
	if err != nil {
		return nil, err
	}
	if payload, ok := verifyWith(jws, keys, kid); ok {
		return payload, nil
	}
	if fresh {
		k.noteMissing(kid, keys)
		return nil, errors.New("signature does not verify with any key of the provider's JWKS")
	}

	// The key may have been rotated since the last fetch.
	keys, fresh, err = k.current(ctx, k.refreshInterval(kid, keys))
	if err != nil {
		return nil, err
	}
	if payload, ok := verifyWith(jws, keys, kid); ok {
		return payload, nil
	}
	k.noteMissing(kid, keys)
	return nil, errors.New("signature does not verify with any key of the provider's JWKS")
}

// refreshInterval returns how old the cached keys must be before a token
// with this key ID may cause a fetch.
func (k *keySet) refreshInterval(kid string, keys []jose.JSONWebKey) time.Duration {
	if kid == "" || hasKeyID(keys, kid) {
		return minKeyRefresh
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if missingSince, ok := k.missing[kid]; ok && k.now().Sub(missingSince) < minKeyRefresh {
		return minKeyRefresh
	}
	if len(k.missing) >= maxMissingKeyIDs {
		// Too many made-up key IDs: treat every new one as already missing.
		return minKeyRefresh
	}
	return minNewKeyRefresh
}

// noteMissing remembers a key ID that keys lack when they were fetched less
// than minNewKeyRefresh ago, so that repeating it causes no further fetches
// for minKeyRefresh.
func (k *keySet) noteMissing(kid string, keys []jose.JSONWebKey) {
	if kid == "" || hasKeyID(keys, kid) {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if k.fetchedAt.IsZero() || now.Sub(k.fetchedAt) >= minNewKeyRefresh {
		return
	}
	if k.missing == nil {
		k.missing = make(map[string]time.Time)
	}
	for id, since := range k.missing {
		if now.Sub(since) >= minKeyRefresh {
			delete(k.missing, id)
		}
	}
	if len(k.missing) < maxMissingKeyIDs {
		k.missing[kid] = now
	}
}

func hasKeyID(keys []jose.JSONWebKey, kid string) bool {
	for _, key := range keys {
		if key.KeyID == kid {
			return true
		}
	}
	return false
}

// verifyWith tries the keys whose ID matches kid (keys without an ID match
// any kid), or every signing key when the token has no kid.
func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey, kid string) ([]byte, bool) {
	for _, key := range keys {
		if kid != "" && key.KeyID != "" && key.KeyID != kid {
			continue
		}
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		if payload, err := jws.Verify(key.Key); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// current returns the cached keys, fetching them first when none are cached
// or when refreshAfter is not zero and the last fetch is at least that old.
// fresh reports whether the keys were fetched by this call or a concurrent one.
func (k *keySet) current(ctx context.Context, refreshAfter time.Duration) (keys []jose.JSONWebKey, fresh bool, err error) {
	k.mu.Lock()
	needFetch := k.fetchedAt.IsZero() || (refreshAfter > 0 && k.now().Sub(k.fetchedAt) >= refreshAfter)
	if !needFetch {
		keys = k.keys
		k.mu.Unlock()
		return keys, false, nil
	}

	// One fetch at a time; concurrent callers wait for its result.
	if k.fetching == nil {
		k.fetching = make(chan struct{})
		go k.fetch()
	}
	done := k.fetching
	k.mu.Unlock()

	select {
	case <-done:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("wait for JWKS: %w: %w", ErrUnavailable, ctx.Err())
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fetchErr != nil && k.fetchedAt.IsZero() {
		return nil, false, k.fetchErr
	}
	return k.keys, true, nil
}

// fetch downloads the JWKS. It runs detached from any one request so that a
// cancelled request does not fail the others waiting for the same fetch.
func (k *keySet) fetch() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	keys, err := k.download(ctx)

	k.mu.Lock()
	defer k.mu.Unlock()
	k.fetchErr = err
	if err == nil {
		k.keys = keys
		k.fetchedAt = k.now()
	} else if !k.fetchedAt.IsZero() {
		// Keep the old keys, and count the failed attempt as a fetch so the
		// refresh intervals also space out retries.
		k.fetchedAt = k.now()
	}
	close(k.fetching)
	k.fetching = nil
}

func (k *keySet) download(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, fmt.Errorf("build JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes))
	if err != nil {
		return nil, fmt.Errorf("read JWKS: %w: %w", ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS: %w: HTTP %d", ErrUnavailable, resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("decode JWKS: %w: %w", ErrUnavailable, err)
	}
	var keys []jose.JSONWebKey
	for _, key := range set.Keys {
		// Only public keys verify signatures; a symmetric or private key in a
		// JWKS is a provider mistake and must never be used.
		if key.IsPublic() {
			keys = append(keys, key)
		}
	}
	return keys, nil
}
