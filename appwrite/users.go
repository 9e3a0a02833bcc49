package appwrite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// User holds the fields of Appwrite's user model that tokenbridge uses.
// Other fields, such as the password hash and the messaging targets, are
// ignored when decoding. Datetimes are Appwrite's strings, for example
// 2024-05-01T12:00:00.000+00:00, and an unset datetime is "".
type User struct {
	ID                string         `json:"$id"`
	CreatedAt         string         `json:"$createdAt"`
	UpdatedAt         string         `json:"$updatedAt"`
	Name              string         `json:"name"`
	Email             string         `json:"email"`
	Phone             string         `json:"phone"`
	Registration      string         `json:"registration"`
	Status            bool           `json:"status"` // false means blocked
	EmailVerification bool           `json:"emailVerification"`
	PhoneVerification bool           `json:"phoneVerification"`
	Labels            []string       `json:"labels"`
	Prefs             map[string]any `json:"prefs"`
	MFA               bool           `json:"mfa"`
	AccessedAt        string         `json:"accessedAt"`
}

// UnmarshalJSON decodes a user and accepts an empty JSON array as empty
// prefs, since PHP encodes an empty associative array as [].
func (u *User) UnmarshalJSON(data []byte) error {
	type plainUser User
	aux := struct {
		*plainUser
		Prefs prefsObject `json:"prefs"`
	}{plainUser: (*plainUser)(u)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	u.Prefs = aux.Prefs
	return nil
}

// prefsObject is a preferences object that also accepts [] as empty.
type prefsObject map[string]any

func (p *prefsObject) UnmarshalJSON(data []byte) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []any
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return err
		}
		if len(list) != 0 {
			return errors.New("prefs is a non-empty array, want an object")
		}
		*p = prefsObject{}
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*p = m
	return nil
}

// UserList is one page of users. Total counts every user that matched the
// queries, not only those on the page.
type UserList struct {
	Total int    `json:"total"`
	Users []User `json:"users"`
}

// CreateUserRequest is the body of CreateUser. UserID is required and is
// either a custom ID (1 to 36 characters from [A-Za-z0-9._-], not starting
// with '.', '-' or '_') or "unique()" to let the server generate one. Empty
// Email and Name are left out of the request. Appwrite stores emails in
// lower case.
type CreateUserRequest struct {
	UserID string `json:"userId"`
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
}

// CreateUser creates a user without a password (POST /users). A duplicate ID,
// email or phone fails with a 409 *Error of type TypeUserAlreadyExists, and
// an email used by an OAuth2 identity with TypeUserEmailAlreadyExists. The
// request is sent once and never retried.
func (c *Client) CreateUser(ctx context.Context, req CreateUserRequest) (*User, error) {
	if req.UserID == "" {
		return nil, errors.New("appwrite: create user: user ID is empty (pass a custom ID or \"unique()\")")
	}
	r := request{method: http.MethodPost, path: "/users", body: req}
	return c.doUser(ctx, r)
}

// GetUser reads one user (GET /users/{userId}). A missing user fails with a
// 404 *Error of type TypeUserNotFound.
func (c *Client) GetUser(ctx context.Context, userID string) (*User, error) {
	path, err := userPath("get user", userID, "")
	if err != nil {
		return nil, err
	}
	return c.doUser(ctx, request{method: http.MethodGet, path: path})
}

// ListUsers returns one page of users matching every query (GET /users).
// search, when not empty, is Appwrite's full-text search over ID, email,
// phone and name. Without a QueryLimit the server returns up to 25 users.
// A query Appwrite cannot parse fails with a 400 *Error of type
// TypeGeneralArgumentInvalid.
//
// NOTE: a response body over 1 MiB is an error, and 100 users with large
// prefs can exceed it, so keep pages small with QueryLimit.
func (c *Client) ListUsers(ctx context.Context, queries []Query, search string) (*UserList, error) {
	r := request{method: http.MethodGet, path: "/users", rawQuery: encodeListQuery(queries, search)}
	var list UserList
	if err := c.do(ctx, r, &list); err != nil {
		return nil, err
	}
	return &list, nil
}

// encodeListQuery encodes queries as queries[0]=...&queries[1]=..., in
// order, the way the official SDKs flatten arrays.
func encodeListQuery(queries []Query, search string) string {
	var b strings.Builder
	for i, q := range queries {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape("queries[" + strconv.Itoa(i) + "]"))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(string(q)))
	}
	if search != "" {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString("search=")
		b.WriteString(url.QueryEscape(search))
	}
	return b.String()
}

// UpdateName sets the user's name (PATCH /users/{userId}/name). Appwrite
// accepts 0 to 128 characters.
func (c *Client) UpdateName(ctx context.Context, userID, name string) (*User, error) {
	return c.updateUser(ctx, "update name", http.MethodPatch, userID, "/name", map[string]string{"name": name})
}

// UpdateEmail sets the user's email (PATCH /users/{userId}/email); an empty
// email removes it. Appwrite resets emailVerification to false. Sending the
// user's current email fails with a 409 *Error of type
// TypeUserTargetAlreadyExists, so callers skip unchanged values.
func (c *Client) UpdateEmail(ctx context.Context, userID, email string) (*User, error) {
	return c.updateUser(ctx, "update email", http.MethodPatch, userID, "/email", map[string]string{"email": email})
}

// UpdateEmailVerification sets whether the user's email counts as verified
// (PATCH /users/{userId}/verification).
func (c *Client) UpdateEmailVerification(ctx context.Context, userID string, verified bool) (*User, error) {
	return c.updateUser(ctx, "update email verification", http.MethodPatch, userID, "/verification", map[string]bool{"emailVerification": verified})
}

// UpdateStatus enables (true) or blocks (false) the user
// (PATCH /users/{userId}/status). Blocking does not end existing sessions.
func (c *Client) UpdateStatus(ctx context.Context, userID string, enabled bool) (*User, error) {
	return c.updateUser(ctx, "update status", http.MethodPatch, userID, "/status", map[string]bool{"status": enabled})
}

// UpdateLabels replaces all of the user's labels (PUT /users/{userId}/labels).
// A nil or empty slice removes every label. Appwrite accepts up to 1000
// labels of 1 to 36 characters from [A-Za-z0-9].
func (c *Client) UpdateLabels(ctx context.Context, userID string, labels []string) (*User, error) {
	if labels == nil {
		labels = []string{}
	}
	return c.updateUser(ctx, "update labels", http.MethodPut, userID, "/labels", map[string][]string{"labels": labels})
}

// UpdatePrefs replaces the user's whole preferences object
// (PATCH /users/{userId}/prefs) and returns the stored object, not the user.
// A nil map stores an empty object.
func (c *Client) UpdatePrefs(ctx context.Context, userID string, prefs map[string]any) (map[string]any, error) {
	path, err := userPath("update prefs", userID, "/prefs")
	if err != nil {
		return nil, err
	}
	if prefs == nil {
		prefs = map[string]any{}
	}

	r := request{method: http.MethodPatch, path: path, body: map[string]any{"prefs": prefs}}
	var stored prefsObject
	if err := c.do(ctx, r, &stored); err != nil {
		return nil, err
	}
	if stored == nil {
		return nil, invalidResponse(r, "prefs is null")
	}
	return stored, nil
}

// updateUser sends a write to /users/{userId}<suffix> that returns a user.
func (c *Client) updateUser(ctx context.Context, step, method, userID, suffix string, body any) (*User, error) {
	path, err := userPath(step, userID, suffix)
	if err != nil {
		return nil, err
	}
	return c.doUser(ctx, request{method: method, path: path, body: body})
}

func (c *Client) doUser(ctx context.Context, r request) (*User, error) {
	var user User
	if err := c.do(ctx, r, &user); err != nil {
		return nil, err
	}
	if user.ID == "" {
		return nil, invalidResponse(r, "user has no $id")
	}
	return &user, nil
}

// userPath returns /users/{userId}<suffix> with the ID path-escaped, or an
// error naming step when the ID is empty.
func userPath(step, userID, suffix string) (string, error) {
	if userID == "" {
		return "", errors.New("appwrite: " + step + ": user ID is empty")
	}
	return "/users/" + url.PathEscape(userID) + suffix, nil
}
