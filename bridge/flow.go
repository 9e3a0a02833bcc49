package bridge

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"golang.org/x/oauth2"
)

// maxStateLength bounds the state parameter read from a callback; ours are
// 43 characters.
const maxStateLength = 128

// maxSetCookieLength bounds a flow cookie's whole Set-Cookie value (name,
// value and attributes). Browsers keep cookies of at least 4096 bytes
// (RFC 6265 section 6.1), so staying below that keeps the flow everywhere.
const maxSetCookieLength = 4095

// FlowOptions configure the flow cookies.
type FlowOptions struct {
	CookieName string        // prefix of each flow cookie's name; default tb_flow
	Lifetime   time.Duration // how long a flow stays valid; default 10 minutes
	MaxPending int           // flows one browser may have pending; default 5
	// Keys are hash and encryption key pairs. The first pair signs and
	// encrypts; every pair is tried when reading, so keys can be rotated.
	// Hash keys are 32 or 64 bytes, encryption keys 16, 24 or 32 bytes.
	Keys []KeyPair
}

// KeyPair is one flow cookie key pair.
type KeyPair struct {
	HashKey, EncryptionKey []byte
}

// flow is one pending sign-in, stored in its flow cookie.
type flow struct {
	State    string
	Nonce    string
	Verifier string // PKCE code verifier
	Provider string
	Success  string
	Failure  string // empty when the app gave none
	Created  time.Time
}

var (
	errNoFlow   = errors.New("no flow cookie matches the state")
	errFlowUsed = errors.New("the flow was already used")
	// errFlowTooLarge means the return URLs make the flow cookie too long
	// for browsers to keep.
	errFlowTooLarge = errors.New("the flow does not fit into one cookie")
)

// flowStore keeps flows in signed and encrypted cookies, one per flow.
type flowStore struct {
	store *sessions.CookieStore
	// encoder signs and encrypts with the first key pair and has no length
	// limit, so that save can tell an oversized flow from a failure.
	encoder    *securecookie.SecureCookie
	prefix     string
	lifetime   time.Duration
	maxPending int
	used       *usedStates
}

func newFlowStore(opts FlowOptions, publicURL *url.URL) (*flowStore, error) {
	if opts.CookieName == "" {
		opts.CookieName = "tb_flow"
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = 10 * time.Minute
	}
	if opts.MaxPending == 0 {
		opts.MaxPending = 5
	}
	if len(opts.Keys) == 0 {
		return nil, errors.New("flow cookie: at least one key pair is required")
	}
	pairs := make([][]byte, 0, 2*len(opts.Keys))
	for i, key := range opts.Keys {
		if n := len(key.HashKey); n != 32 && n != 64 {
			return nil, fmt.Errorf("flow cookie key %d: hash key is %d bytes, want 32 or 64", i, n)
		}
		if n := len(key.EncryptionKey); n != 16 && n != 24 && n != 32 {
			return nil, fmt.Errorf("flow cookie key %d: encryption key is %d bytes, want 16, 24 or 32", i, n)
		}
		pairs = append(pairs, key.HashKey, key.EncryptionKey)
	}

	store := sessions.NewCookieStore(pairs...)
	path := strings.TrimSuffix(publicURL.Path, "/") + "/"
	store.Options = &sessions.Options{
		Path:     path,
		MaxAge:   int(opts.Lifetime / time.Second),
		HttpOnly: true,
		Secure:   publicURL.Scheme == "https",
		SameSite: http.SameSiteLaxMode,
	}
	// MaxAge also sets the codecs' timestamp limit, so an old cookie that a
	// browser kept beyond its expiry still fails to decode.
	store.MaxAge(store.Options.MaxAge)
	for _, codec := range store.Codecs {
		if c, ok := codec.(*securecookie.SecureCookie); ok {
			c.MaxLength(4096)
		}
	}

	encoder := securecookie.New(opts.Keys[0].HashKey, opts.Keys[0].EncryptionKey)
	encoder.MaxLength(0)

	return &flowStore{
		store:      store,
		encoder:    encoder,
		prefix:     opts.CookieName + "_",
		lifetime:   opts.Lifetime,
		maxPending: opts.MaxPending,
		used:       newUsedStates(),
	}, nil
}

// newFlow returns a flow with fresh random state, nonce and code verifier.
func newFlow(provider, success, failure string, now time.Time) *flow {
	return &flow{
		State:    randomToken(),
		Nonce:    randomToken(),
		Verifier: oauth2.GenerateVerifier(),
		Provider: provider,
		Success:  success,
		Failure:  failure,
		Created:  now,
	}
}

// randomToken returns 32 random bytes in unpadded base64url (43 characters).
func randomToken() string {
	b := make([]byte, 32)
	// crypto/rand.Read never returns an error since Go 1.24; it aborts the
	// program instead, which is the right outcome without randomness.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// cookieName derives a flow's cookie name from its state, so the callback
// finds the cookie from the state parameter alone.
func (s *flowStore) cookieName(state string) string {
	sum := sha256.Sum256([]byte(state))
	return s.prefix + hex.EncodeToString(sum[:8])
}

// save writes the flow cookie after removing expired flows and, beyond
// maxPending, the oldest pending ones, whose callbacks will then fail. A
// flow too large for one cookie fails with errFlowTooLarge before any
// cookie is written or removed.
func (s *flowStore) save(w http.ResponseWriter, r *http.Request, f *flow) error {
	name := s.cookieName(f.State)
	values := map[any]any{
		"state":    f.State,
		"nonce":    f.Nonce,
		"verifier": f.Verifier,
		"provider": f.Provider,
		"success":  f.Success,
		"failure":  f.Failure,
		"created":  f.Created.Unix(),
	}

	encoded, err := s.encoder.Encode(name, values)
	if err != nil {
		return fmt.Errorf("encode flow cookie: %w", err)
	}
	opts := *s.store.Options
	cookie := sessions.NewCookie(name, encoded, &opts)
	if n := len(cookie.String()); n > maxSetCookieLength {
		return fmt.Errorf("%w: the Set-Cookie value would be %d bytes", errFlowTooLarge, n)
	}

	s.prune(w, r)
	http.SetCookie(w, cookie)
	return nil
}

// prune deletes pending flow cookies that no longer decode and keeps at
// most maxPending-1 others, so that the new flow fits the bound.
func (s *flowStore) prune(w http.ResponseWriter, r *http.Request) {
	type pending struct {
		name    string
		created int64
	}
	var flows []pending
	for _, cookie := range r.Cookies() {
		if !strings.HasPrefix(cookie.Name, s.prefix) {
			continue
		}
		values := map[any]any{}
		if err := securecookie.DecodeMulti(cookie.Name, cookie.Value, &values, s.store.Codecs...); err != nil {
			s.expire(w, cookie.Name)
			continue
		}
		created, _ := values["created"].(int64)
		flows = append(flows, pending{cookie.Name, created})
	}
	if len(flows) < s.maxPending {
		return
	}
	sort.Slice(flows, func(i, j int) bool { return flows[i].created < flows[j].created })
	for _, old := range flows[:len(flows)-s.maxPending+1] {
		s.expire(w, old.name)
	}
}

// take loads the flow for state, deletes its cookie and marks the state as
// used. It fails when the cookie is missing, tampered with, expired, or
// was already used.
func (s *flowStore) take(w http.ResponseWriter, r *http.Request, state string, now time.Time) (*flow, error) {
	name := s.cookieName(state)
	cookie, err := r.Cookie(name)
	if err != nil {
		return nil, errNoFlow
	}
	// The cookie is spent whatever happens next.
	s.expire(w, name)

	values := map[any]any{}
	if err := securecookie.DecodeMulti(name, cookie.Value, &values, s.store.Codecs...); err != nil {
		return nil, fmt.Errorf("decode flow cookie: %w", err)
	}
	f := &flow{}
	f.State, _ = values["state"].(string)
	f.Nonce, _ = values["nonce"].(string)
	f.Verifier, _ = values["verifier"].(string)
	f.Provider, _ = values["provider"].(string)
	f.Success, _ = values["success"].(string)
	f.Failure, _ = values["failure"].(string)
	created, _ := values["created"].(int64)
	f.Created = time.Unix(created, 0)

	if subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 {
		return nil, errNoFlow
	}
	if now.Sub(f.Created) > s.lifetime || f.Created.After(now.Add(time.Minute)) {
		return nil, errors.New("the flow expired")
	}
	if !s.used.claim(name, f.Created.Add(s.lifetime), now) {
		return nil, errFlowUsed
	}
	return f, nil
}

// expire sets a cookie that makes the browser delete a flow cookie.
func (s *flowStore) expire(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    "",
		Path:     s.store.Options.Path,
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   s.store.Options.Secure,
		SameSite: s.store.Options.SameSite,
	})
}

// usedStates remembers the flows already used until they would have
// expired anyway, so that a copied flow cookie cannot be replayed.
//
// NOTE: the memory is per process. Behind several instances a replayed
// cookie can reach another instance once; the provider's single-use
// authorization code still stops it from producing a second token.
type usedStates struct {
	mu      sync.Mutex
	expires map[string]time.Time
	inserts int
}

func newUsedStates() *usedStates {
	return &usedStates{expires: make(map[string]time.Time)}
}

// claim records key as used and reports whether it was unused.
func (u *usedStates) claim(key string, expires, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if until, ok := u.expires[key]; ok && now.Before(until) {
		return false
	}
	u.expires[key] = expires
	u.inserts++
	if u.inserts%1024 == 0 {
		for k, until := range u.expires {
			if !now.Before(until) {
				delete(u.expires, k)
			}
		}
	}
	return true
}
