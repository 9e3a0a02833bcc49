package appwrite

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Limits of POST /users/{userId}/tokens in Appwrite 1.5.0 and later.
const (
	MinTokenLength = 4
	MaxTokenLength = 128
	MinTokenExpire = time.Minute
	MaxTokenExpire = 365 * 24 * time.Hour // 31536000 s
)

// Token is a custom token created for a user. The app exchanges UserID and
// Secret for a session with POST /v1/account/sessions/token. Each token works
// once and until Expire.
//
// String, GoString and LogValue redact Secret, so a Token can be printed or
// logged. JSON encoding keeps Secret.
type Token struct {
	ID        string `json:"$id"`
	CreatedAt string `json:"$createdAt"`
	UserID    string `json:"userId"`
	Secret    string `json:"secret"`
	Expire    string `json:"expire"`
	Phrase    string `json:"phrase"`
}

// String returns the token's fields with Secret redacted.
func (t Token) String() string {
	return fmt.Sprintf("appwrite.Token{ID: %q, CreatedAt: %q, UserID: %q, Secret: %s, Expire: %q}",
		t.ID, t.CreatedAt, t.UserID, redactedIfSet(t.Secret), t.Expire)
}

// GoString returns the same text as String, so %#v does not print the secret.
func (t Token) GoString() string { return t.String() }

// LogValue implements slog.LogValuer and leaves out the secret's value.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", t.ID),
		slog.String("user_id", t.UserID),
		slog.String("expire", t.Expire),
		slog.String("secret", redactedIfSet(t.Secret)),
	)
}

// CreateToken mints a custom token for the user (POST /users/{userId}/tokens)
// with a secret of length hexadecimal characters that is valid for expire.
// length must be within MinTokenLength and MaxTokenLength, and expire within
// MinTokenExpire and MaxTokenExpire in whole seconds. Appwrite does not check
// whether the user is blocked, so callers check User.Status first. A missing
// user fails with a 404 *Error of type TypeUserNotFound. The request is sent
// once and never retried, so a lost response cannot leave two valid tokens.
func (c *Client) CreateToken(ctx context.Context, userID string, length int, expire time.Duration) (*Token, error) {
	path, err := userPath("create token", userID, "/tokens")
	if err != nil {
		return nil, err
	}
	if length < MinTokenLength || length > MaxTokenLength {
		return nil, fmt.Errorf("appwrite: create token: length %d is outside %d to %d", length, MinTokenLength, MaxTokenLength)
	}
	if expire < MinTokenExpire || expire > MaxTokenExpire {
		return nil, fmt.Errorf("appwrite: create token: expire %s is outside %s to %s", expire, MinTokenExpire, MaxTokenExpire)
	}
	if expire%time.Second != 0 {
		return nil, fmt.Errorf("appwrite: create token: expire %s is not a whole number of seconds", expire)
	}

	body := struct {
		Length int   `json:"length"`
		Expire int64 `json:"expire"`
	}{Length: length, Expire: int64(expire / time.Second)}
	r := request{method: http.MethodPost, path: path, body: body}

	var token Token
	if err := c.do(ctx, r, &token); err != nil {
		return nil, err
	}
	if token.Secret == "" {
		return nil, invalidResponse(r, "token secret is empty")
	}
	if token.UserID != userID {
		return nil, invalidResponse(r, fmt.Sprintf("token is for user %q, not %q", token.UserID, userID))
	}
	return &token, nil
}
