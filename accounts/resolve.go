package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/tokenbridge/tokenbridge/appwrite"
	"github.com/tokenbridge/tokenbridge/providers"
)

// maxNameLength is Appwrite's limit on a user's name, in code points.
const maxNameLength = 128

// Errors that end a login. Callers map them to error codes with errors.Is.
var (
	// ErrBlocked means the Appwrite user is blocked (status false). Appwrite
	// itself mints tokens for blocked users, so this check is ours.
	ErrBlocked = errors.New("the Appwrite user is blocked")

	// ErrEmailInUse means another Appwrite user has the identity's email and
	// linking by email is off for the provider.
	ErrEmailInUse = errors.New("the email belongs to another Appwrite user")

	// ErrEmailNotVerified means linking by email was needed but the provider
	// does not say the email is verified.
	ErrEmailNotVerified = errors.New("the provider has not verified the email")

	// ErrAccountConflict means the users found by email cannot be linked
	// safely: several match, or the match is linked to another identity.
	ErrAccountConflict = errors.New("the email matches Appwrite users that cannot be linked")
)

// Directory is the part of the Appwrite Users API the resolver uses.
// *appwrite.Client implements it.
type Directory interface {
	GetUser(ctx context.Context, userID string) (*appwrite.User, error)
	CreateUser(ctx context.Context, req appwrite.CreateUserRequest) (*appwrite.User, error)
	ListUsers(ctx context.Context, queries []appwrite.Query, search string) (*appwrite.UserList, error)
	UpdateName(ctx context.Context, userID, name string) (*appwrite.User, error)
	UpdateEmail(ctx context.Context, userID, email string) (*appwrite.User, error)
	UpdateEmailVerification(ctx context.Context, userID string, verified bool) (*appwrite.User, error)
	UpdatePrefs(ctx context.Context, userID string, prefs map[string]any) (map[string]any, error)
}

var _ Directory = (*appwrite.Client)(nil)

// Policy holds the per-provider rules for resolving users.
type Policy struct {
	// LinkByEmail lets a first login attach to an existing Appwrite user with
	// the same email, but only when the provider states that the email is verified.
	LinkByEmail bool
	// UserID picks how user IDs are made; the zero value derives them.
	UserID UserIDStrategy
	// Labels and Prefs sync groups to labels and record the identity in
	// the user's preferences (sync.go).
	Labels LabelSync
	Prefs  PrefsSync
}

// Result describes the resolved user.
type Result struct {
	User    *appwrite.User
	Created bool     // the user was created by this login
	Linked  bool     // the identity was linked to an existing user by email
	Updated []string // fields written: "name", "email", "emailVerification", "prefs"
	Skipped []string // problems that did not stop the login, in plain words
}

// Resolver finds or creates Appwrite users.
type Resolver struct {
	dir Directory
}

// NewResolver returns a Resolver that works through dir.
func NewResolver(dir Directory) *Resolver {
	return &Resolver{dir: dir}
}

// resolveUser finds, creates or links the user and brings its name and
// email up to date. Resolve in sync.go adds the labels and prefs step.
func (r *Resolver) resolveUser(ctx context.Context, identity *providers.Identity, policy Policy) (*Result, error) {
	userID, err := policy.UserID.UserID(identity)
	if err != nil {
		return nil, err
	}
	profile := newProfile(identity)

	user, err := r.dir.GetUser(ctx, userID)
	switch {
	case err == nil:
		return r.returning(ctx, user, profile)
	case !appwrite.IsType(err, appwrite.TypeUserNotFound):
		return nil, fmt.Errorf("read user %s: %w", userID, err)
	}

	if policy.LinkByEmail && profile.email != "" {
		linked, err := r.findLinked(ctx, userID, profile)
		if err != nil {
			return nil, err
		}
		if linked != nil {
			return linked, nil
		}
	}
	return r.create(ctx, userID, profile)
}

// profile is the identity's data in the form Appwrite stores it.
type profile struct {
	name          string
	email         string // lower-cased; empty when absent or not a valid address
	emailVerified bool
	skipped       []string
}

func newProfile(identity *providers.Identity) profile {
	p := profile{name: truncate(identity.Name, maxNameLength)}
	if identity.Email != "" {
		email, ok := normalizeEmail(identity.Email)
		if ok {
			p.email = email
			p.emailVerified = identity.EmailVerified
		} else {
			p.skipped = append(p.skipped, "the provider's email is not a valid address and was not stored")
		}
	}
	return p
}

// returning checks and updates an existing user.
func (r *Resolver) returning(ctx context.Context, user *appwrite.User, p profile) (*Result, error) {
	if !user.Status {
		return nil, fmt.Errorf("user %s: %w", user.ID, ErrBlocked)
	}
	result := &Result{User: user, Skipped: p.skipped}
	if err := r.sync(ctx, result, p); err != nil {
		return nil, err
	}
	return result, nil
}

// sync writes the name, email and email verification that changed.
func (r *Resolver) sync(ctx context.Context, result *Result, p profile) error {
	user := result.User
	if p.name != "" && p.name != user.Name {
		updated, err := r.dir.UpdateName(ctx, user.ID, p.name)
		if err != nil {
			return fmt.Errorf("update name of user %s: %w", user.ID, err)
		}
		user = updated
		result.Updated = append(result.Updated, "name")
	}

	if p.email != "" && p.email != user.Email {
		updated, err := r.dir.UpdateEmail(ctx, user.ID, p.email)
		switch {
		case err == nil:
			user = updated
			result.Updated = append(result.Updated, "email")
		case isConflict(err):
			// Another user holds the new address. Keeping the old one is
			// better than refusing the login.
			result.Skipped = append(result.Skipped, "the provider's new email belongs to another Appwrite user and was not stored")
		default:
			return fmt.Errorf("update email of user %s: %w", user.ID, err)
		}
	}

	// Appwrite resets emailVerification when the email changes, so this runs
	// after the email update.
	if p.email != "" && p.email == user.Email && p.emailVerified && !user.EmailVerification {
		updated, err := r.dir.UpdateEmailVerification(ctx, user.ID, true)
		if err != nil {
			return fmt.Errorf("update email verification of user %s: %w", user.ID, err)
		}
		user = updated
		result.Updated = append(result.Updated, "emailVerification")
	}
	result.User = user
	return nil
}

// create makes the user on the first login. When several first logins of
// one person race, Appwrite lets one create succeed and returns 409 to the
// others, which then read the user that won.
func (r *Resolver) create(ctx context.Context, userID string, p profile) (*Result, error) {
	user, err := r.dir.CreateUser(ctx, appwrite.CreateUserRequest{UserID: userID, Email: p.email, Name: p.name})
	if err == nil {
		result := &Result{User: user, Created: true, Skipped: p.skipped}
		if err := r.sync(ctx, result, p); err != nil {
			return nil, err
		}
		return result, nil
	}
	if !isConflict(err) {
		return nil, fmt.Errorf("create user %s: %w", userID, err)
	}

	// The 409 means either a concurrent login created this user, or the
	// email belongs to another user. Reading the ID decides which.
	existing, getErr := r.dir.GetUser(ctx, userID)
	switch {
	case getErr == nil:
		return r.returning(ctx, existing, p)
	case appwrite.IsType(getErr, appwrite.TypeUserNotFound):
		return nil, fmt.Errorf("create user %s: %w", userID, ErrEmailInUse)
	default:
		return nil, fmt.Errorf("read user %s after a conflict: %w", userID, getErr)
	}
}

// isConflict reports an Appwrite 409 response, whatever its type: duplicate
// ID, email or phone (user_already_exists), or an email held by an identity
// or a messaging target.
func isConflict(err error) bool {
	var apiErr *appwrite.Error
	return errors.As(err, &apiErr) && apiErr.Status == 409
}

// normalizeEmail lower-cases and checks an address the way Appwrite stores
// it. It reports false for anything that is not one bare address.
func normalizeEmail(raw string) (string, bool) {
	email := strings.ToLower(strings.TrimSpace(raw))
	if len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>\"") {
		return "", false
	}
	parsed, err := mail.ParseAddress(email)
	if err != nil || parsed.Address != email || !strings.Contains(email, "@") {
		return "", false
	}
	return email, true
}

// truncate cuts s to at most limit code points, never inside a UTF-8 sequence.
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	count := 0
	for index := range s {
		if count == limit {
			return s[:index]
		}
		count++
	}
	return s
}
