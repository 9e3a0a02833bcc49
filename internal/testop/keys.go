package testop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// unknownKeyID is the kid header of ID tokens under IDTokenFaults.UnknownKeyID.
// No key in the JWKS has it.
const unknownKeyID = "testop-unknown-kid"

// signingKey is a private key with its key ID and the algorithm it is
// published for.
type signingKey struct {
	kid       string
	algorithm jose.SignatureAlgorithm
	private   crypto.Signer
}

// keyring holds the keys of the provider. The JWKS lists published and
// foreign, and current is always in published.
type keyring struct {
	current   signingKey
	published []signingKey
	// foreign holds keys made for IDTokenFaults.Algorithm when the current
	// key cannot sign with that algorithm, one per algorithm.
	foreign map[jose.SignatureAlgorithm]signingKey
}

// generateKey creates a key for alg, with the base64url SHA-256 JWK
// thumbprint (RFC 7638) as its key ID.
func generateKey(alg jose.SignatureAlgorithm) (signingKey, error) {
	var private crypto.Signer
	var err error
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		private, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		private, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		private, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.ES512:
		private, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case jose.EdDSA:
		_, private, err = ed25519.GenerateKey(rand.Reader)
	default:
		return signingKey{}, fmt.Errorf("signing algorithm %q is not supported", alg)
	}
	if err != nil {
		return signingKey{}, fmt.Errorf("generate %s key: %w", alg, err)
	}

	thumbprint, err := (&jose.JSONWebKey{Key: private.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return signingKey{}, fmt.Errorf("compute key ID: %w", err)
	}
	return signingKey{
		kid:       base64.RawURLEncoding.EncodeToString(thumbprint),
		algorithm: alg,
		private:   private,
	}, nil
}

// keyFits reports whether key can sign with alg.
func keyFits(key crypto.Signer, alg jose.SignatureAlgorithm) bool {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return slices.Contains([]jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512}, alg)
	case *ecdsa.PrivateKey:
		return alg == jose.ES256 && k.Curve == elliptic.P256() ||
			alg == jose.ES384 && k.Curve == elliptic.P384() ||
			alg == jose.ES512 && k.Curve == elliptic.P521()
	case ed25519.PrivateKey:
		return alg == jose.EdDSA
	}
	return false
}

// KeyID returns the kid of the current signing key.
func (p *Provider) KeyID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys.current.kid
}

// RotateKey makes a new signing key with a new kid for the advertised
// algorithm and returns its kid. With keepOld the previous keys stay in the
// JWKS, so tokens they signed still verify. Otherwise only the new key and
// the keys made for IDTokenFaults.Algorithm remain. RotateKey fails the test
// when the key cannot be generated, so call it from the test goroutine.
func (p *Provider) RotateKey(keepOld bool) string {
	p.t.Helper()
	key, err := generateKey(p.algorithm)
	if err != nil {
		p.t.Fatalf("testop: rotate key: %v", err)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys.current = key
	if keepOld {
		p.keys.published = append(p.keys.published, key)
	} else {
		p.keys.published = []signingKey{key}
	}
	return key.kid
}

func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}

	p.mu.Lock()
	keys := slices.Concat(p.keys.published, slices.Collect(maps.Values(p.keys.foreign)))
	p.mu.Unlock()

	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{
			Key:       k.private.Public(),
			KeyID:     k.kid,
			Algorithm: string(k.algorithm),
			Use:       "sig",
		})
	}
	writeJSON(w, http.StatusOK, set)
}

// SignIDToken signs claims as an ID token with the current key and returns
// the compact JWS. The signing faults of the current IDTokenFaults apply
// (Unsigned, BadSignature, HMACWithPublicKey, Algorithm, OmitKeyID,
// UnknownKeyID), but the claims are used as given. IDTokenClaims builds
// claims with the claim faults applied. SignIDToken fails the test on a
// signing error, so call it from the test goroutine.
func (p *Provider) SignIDToken(claims map[string]any) string {
	p.t.Helper()
	p.mu.Lock()
	faults := p.faults.idToken
	p.mu.Unlock()

	token, err := p.signIDToken(claims, faults)
	if err != nil {
		p.t.Fatalf("testop: sign ID token: %v", err)
	}
	return token
}

// signIDToken encodes claims as a JWT with the signing faults of f.
func (p *Provider) signIDToken(claims map[string]any, f IDTokenFaults) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	if f.Unsigned {
		return unsignedJWT(payload), nil
	}

	key, alg, err := p.keyForAlgorithm(f.Algorithm)
	if err != nil {
		return "", err
	}
	kid := key.kid
	if f.OmitKeyID {
		kid = ""
	}
	if f.UnknownKeyID {
		kid = unknownKeyID
	}

	var token string
	if f.HMACWithPublicKey {
		secret, err := publicKeyPEM(key.private.Public())
		if err != nil {
			return "", err
		}
		token, err = signCompact(jose.HS256, secret, kid, payload)
		if err != nil {
			return "", err
		}
	} else {
		token, err = signCompact(alg, key.private, kid, payload)
		if err != nil {
			return "", err
		}
	}

	if f.BadSignature {
		return corruptSignature(token)
	}
	return token, nil
}

// keyForAlgorithm returns the key and algorithm to sign with. An empty alg
// means the advertised one. For another alg the current key is used when it
// fits, and otherwise a foreign key is made once and published in the JWKS.
func (p *Provider) keyForAlgorithm(alg jose.SignatureAlgorithm) (signingKey, jose.SignatureAlgorithm, error) {
	p.mu.Lock()
	defer p.mu.Unlock()

	current := p.keys.current
	if alg == "" {
		return current, current.algorithm, nil
	}
	if keyFits(current.private, alg) {
		return current, alg, nil
	}
	if key, ok := p.keys.foreign[alg]; ok {
		return key, alg, nil
	}

	key, err := generateKey(alg)
	if err != nil {
		return signingKey{}, "", err
	}
	if p.keys.foreign == nil {
		p.keys.foreign = make(map[jose.SignatureAlgorithm]signingKey)
	}
	p.keys.foreign[alg] = key
	return key, alg, nil
}

func signCompact(alg jose.SignatureAlgorithm, key any, kid string, payload []byte) (string, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return "", fmt.Errorf("create %s signer: %w", alg, err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign with %s: %w", alg, err)
	}
	return jws.CompactSerialize()
}

// unsignedJWT returns an unsecured JWT (RFC 7519 section 6): header
// {"alg":"none"} and an empty signature. go-jose refuses to make one.
func unsignedJWT(payload []byte) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	return header + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
}

// corruptSignature flips every bit of the first signature byte, so the
// token keeps its shape but no key verifies it.
func corruptSignature(token string) (string, error) {
	i := strings.LastIndex(token, ".")
	signature, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil {
		return "", fmt.Errorf("decode signature to corrupt: %w", err)
	}
	if len(signature) == 0 {
		return "", fmt.Errorf("corrupt signature: the token has none")
	}
	signature[0] ^= 0xff
	return token[:i+1] + base64.RawURLEncoding.EncodeToString(signature), nil
}

// publicKeyPEM returns the PEM "PUBLIC KEY" block of pub's PKIX
// (SubjectPublicKeyInfo) encoding, the bytes an algorithm confusion attack
// uses as an HMAC secret.
func publicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
