package accounts

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/tokenbridge/tokenbridge/providers"
)

// ErrInvalidUserID means the subject strategy met a subject that is not a
// valid Appwrite user ID. Logins of that provider fail until the strategy
// changes, so it is a configuration problem, not the person's.
var ErrInvalidUserID = errors.New("the subject is not a valid Appwrite user ID")

// customIDPattern is Appwrite's rule for custom IDs: 1 to 36 characters of
// a-z, A-Z, 0-9, period, hyphen and underscore, not starting with a special
// character.
var customIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$`)

// UserIDKind selects how a provider's identities get their Appwrite user IDs.
type UserIDKind string

// The user ID strategies.
const (
	// UserIDDerived hashes the issuer and the subject (DeriveUserID). It is
	// the default, and the zero value means it too.
	UserIDDerived UserIDKind = "derived"
	// UserIDNamespace hashes a fixed namespace and the subject, so moving
	// the provider to another issuer URL keeps every user ID.
	UserIDNamespace UserIDKind = "namespace"
	// UserIDSubject uses the subject itself. The admin states that the
	// provider's subjects are valid Appwrite IDs, and each login checks it.
	UserIDSubject UserIDKind = "subject"
)

// UserIDStrategy is one provider's user ID strategy.
type UserIDStrategy struct {
	Kind      UserIDKind
	Namespace string // required with UserIDNamespace; replaces the issuer in the hash
}

// UserID returns the Appwrite user ID for identity. With UserIDSubject, a
// subject that breaks Appwrite's ID rules wraps ErrInvalidUserID.
func (s UserIDStrategy) UserID(identity *providers.Identity) (string, error) {
	switch s.Kind {
	case UserIDDerived, "":
		return DeriveUserID(identity.Issuer, identity.Subject), nil
	case UserIDNamespace:
		if s.Namespace == "" {
			return "", errors.New("user ID strategy namespace has an empty namespace")
		}
		return DeriveUserID(s.Namespace, identity.Subject), nil
	case UserIDSubject:
		if !customIDPattern.MatchString(identity.Subject) {
			return "", fmt.Errorf("provider %q: subject %q: %w (use 1 to 36 of A-Z, a-z, 0-9, ., - and _, not starting with ., - or _; switch user_id to derived)",
				identity.Provider, identity.Subject, ErrInvalidUserID)
		}
		return identity.Subject, nil
	default:
		return "", fmt.Errorf("unknown user ID strategy %q", s.Kind)
	}
}
