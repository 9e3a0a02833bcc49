package accounts

import (
	"context"
	"fmt"
	"slices"

	"github.com/tokenbridge/tokenbridge/appwrite"
)

// LinksPref is the Appwrite user preference that lists the derived user IDs
// of the identities linked to that user by email. A linked identity keeps
// no user of its own, so later logins find the user through its email and
// this list.
const LinksPref = "tokenbridgeLinks"

// findLinked looks for an existing user with the profile's email. It
// returns nil when there is none, the linked user's result when linking is
// allowed, and an error when it is not.
//
// NOTE: a linked identity is found again by its email. If the provider
// later reports another email, the next login creates a separate user.
func (r *Resolver) findLinked(ctx context.Context, userID string, p profile) (*Result, error) {
	list, err := r.dir.ListUsers(ctx, []appwrite.Query{
		appwrite.QueryEqual("email", p.email),
		appwrite.QueryLimit(2),
	}, "")
	if err != nil {
		return nil, fmt.Errorf("find users by email: %w", err)
	}

	// The query's case handling depends on Appwrite's database collation,
	// so equality is checked again here.
	var matches []appwrite.User
	for _, user := range list.Users {
		if user.Email == p.email {
			matches = append(matches, user)
		}
	}
	switch {
	case len(matches) == 0:
		return nil, nil
	case len(matches) > 1:
		return nil, fmt.Errorf("%d users share the email: %w", len(matches), ErrAccountConflict)
	}
	user := &matches[0]

	if !user.Status {
		return nil, fmt.Errorf("user %s: %w", user.ID, ErrBlocked)
	}
	// The checks run for an identity already linked too: Appwrite users can
	// edit their own prefs, so the link list alone proves nothing.
	if !p.emailVerified {
		return nil, fmt.Errorf("link to user %s: %w", user.ID, ErrEmailNotVerified)
	}
	if !user.EmailVerification {
		// The existing account never proved it owns the address, so whoever
		// registered it first would gain this identity's access.
		return nil, fmt.Errorf("link to user %s, whose own email is unverified: %w", user.ID, ErrAccountConflict)
	}
	links := linkedIDs(user.Prefs)
	if slices.Contains(links, userID) {
		result, err := r.returning(ctx, user, p)
		if result != nil {
			result.Linked = true
		}
		return result, err
	}

	prefs := make(map[string]any, len(user.Prefs)+1)
	for key, value := range user.Prefs {
		prefs[key] = value
	}
	prefs[LinksPref] = append(links, userID)
	stored, err := r.dir.UpdatePrefs(ctx, user.ID, prefs)
	if err != nil {
		return nil, fmt.Errorf("record link on user %s: %w", user.ID, err)
	}
	user.Prefs = stored

	result, err := r.returning(ctx, user, p)
	if err != nil {
		return nil, err
	}
	result.Linked = true
	result.Updated = append(result.Updated, "prefs")
	return result, nil
}

// linkedIDs reads the LinksPref list from a user's preferences.
func linkedIDs(prefs map[string]any) []string {
	raw, _ := prefs[LinksPref].([]any)
	ids := make([]string, 0, len(raw)+1)
	for _, item := range raw {
		if id, ok := item.(string); ok {
			ids = append(ids, id)
		}
	}
	return ids
}
