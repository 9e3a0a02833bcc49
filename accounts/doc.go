// Package accounts finds or creates the Appwrite user for a verified
// identity.
//
// The user ID is derived from the issuer (or a configured namespace) and the
// subject, so the same person always maps to the same Appwrite user without
// any storage of our own. Creating a user is safe under concurrency:
// Appwrite returns 409 to all but one of several simultaneous creates, and
// the losers read the user again instead of failing. Decisions rest on
// Appwrite's status codes and error type strings, never on message text.
//
// The package returns errors and never logs.
package accounts
