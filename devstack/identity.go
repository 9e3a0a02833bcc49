package devstack

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Limits on a typed identity, so the sign-in page and the ID token stay
// small. Appwrite itself accepts names of up to 128 characters.
const (
	maxEmailLength = 254 // RFC 5321 path limit
	maxNameLength  = 128
	maxGroups      = 20
	maxGroupLength = 64
)

// Identity is a test person the development provider can sign in as.
type Identity struct {
	Email         string
	Name          string
	EmailVerified bool
	Groups        []string
}

// Subject returns the identity's stable subject: "dev-" and the first 20
// bytes of the SHA-256 of the lower-cased email, in hex. The same email
// always gets the same subject, in every run of the provider.
func (i Identity) Subject() string {
	sum := sha256.Sum256([]byte(strings.ToLower(i.Email)))
	return "dev-" + hex.EncodeToString(sum[:20])
}

// DefaultIdentities returns the saved identities a new provider offers:
// two with verified emails and one without.
func DefaultIdentities() []Identity {
	return []Identity{
		{Email: "ada@example.test", Name: "Ada Lovelace", EmailVerified: true, Groups: []string{"admins", "engineering"}},
		{Email: "grace@example.test", Name: "Grace Hopper", EmailVerified: true, Groups: []string{"engineering"}},
		{Email: "alan@example.test", Name: "Alan Turing", EmailVerified: false},
	}
}

// NewIdentity checks the fields typed into the sign-in form and returns
// the identity they describe. groups is a comma-separated list, from which
// blank and repeated entries are dropped. The error names the wrong field.
func NewIdentity(email, name string, emailVerified bool, groups string) (Identity, error) {
	email = strings.TrimSpace(email)
	name = strings.Join(strings.Fields(name), " ")
	switch {
	case email == "":
		return Identity{}, errors.New("email is empty")
	case len(email) > maxEmailLength:
		return Identity{}, fmt.Errorf("email is longer than %d bytes", maxEmailLength)
	}
	address, err := mail.ParseAddress(email)
	if err != nil || address.Address != email || address.Name != "" {
		return Identity{}, fmt.Errorf("email %q is not an address of the form name@example.test", email)
	}
	if utf8.RuneCountInString(name) > maxNameLength {
		return Identity{}, fmt.Errorf("name is longer than %d characters", maxNameLength)
	}

	identity := Identity{Email: strings.ToLower(email), Name: name, EmailVerified: emailVerified}
	seen := map[string]bool{}
	for _, group := range strings.Split(groups, ",") {
		group = strings.TrimSpace(group)
		if group == "" || seen[group] {
			continue
		}
		if utf8.RuneCountInString(group) > maxGroupLength {
			return Identity{}, fmt.Errorf("group %q is longer than %d characters", group, maxGroupLength)
		}
		seen[group] = true
		identity.Groups = append(identity.Groups, group)
	}
	if len(identity.Groups) > maxGroups {
		return Identity{}, fmt.Errorf("%d groups given, at most %d allowed", len(identity.Groups), maxGroups)
	}
	return identity, nil
}
