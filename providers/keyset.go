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

// minKeyRefresh is the shortest time between two JWKS fetches caused by
// tokens whose key is unknown. It bounds the load that a stream of tokens
// with made-up key IDs can put on the provider, at the price of rejecting,
// for up to this long, a token signed with a key published just after a
// refresh.
const minKeyRefresh = 30 * time.Second

// keySet verifies JWT signatures against the provider's JWKS. It fetches the
// JWKS on first use and again when a token names a key it does not hold,
// at most once per minKeyRefresh. It implements oidc.KeySet.
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

	keys, fresh, err := k.current(ctx, false)
	if err != nil {
		return nil, err
	}
	if payload, ok := verifyWith(jws, keys, kid); ok {
		return payload, nil
	}
	if fresh {
		return nil, errors.New("signature does not verify with any key of the provider's JWKS")
	}

	// The key may have been rotated since the last fetch.
	keys, _, err = k.current(ctx, true)
	if err != nil {
		return nil, err
	}
	if payload, ok := verifyWith(jws, keys, kid); ok {
		return payload, nil
	}
	return nil, errors.New("signature does not verify with any key of the provider's JWKS")
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
// or when refresh is set and the last fetch is older than minKeyRefresh.
// fresh reports whether the keys were fetched by this call or a concurrent one.
func (k *keySet) current(ctx context.Context, refresh bool) (keys []jose.JSONWebKey, fresh bool, err error) {
	k.mu.Lock()
	needFetch := k.fetchedAt.IsZero() || (refresh && k.now().Sub(k.fetchedAt) >= minKeyRefresh)
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
		return nil, false, fmt.Errorf("wait for JWKS: %w", ctx.Err())
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
		// Keep the old keys, but wait minKeyRefresh before trying again.
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
