package accounts

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// UserIDLength is the length of a derived user ID. Appwrite custom IDs allow
// at most 36 characters.
const UserIDLength = 36

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// DeriveUserID returns the Appwrite user ID for a subject of an issuer (or
// of a namespace that stands for the issuer). The result is 36 characters
// of [a-z2-7], which meets Appwrite's ID rules whatever the subject holds:
// raw subjects such as Auth0's "auth0|…" or Entra's 43-character ones do not.
// It keeps 180 bits of SHA-256, so distinct pairs do not collide in practice.
func DeriveUserID(issuer, subject string) string {
	// A zero byte separates the parts so that ("a", "bc") and ("ab", "c")
	// hash differently; neither an issuer URL nor a sub claim contains one.
	sum := sha256.Sum256([]byte(issuer + "\x00" + subject))
	return strings.ToLower(lowerBase32.EncodeToString(sum[:]))[:UserIDLength]
}
