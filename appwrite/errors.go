package appwrite

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"
)

// Error type strings that Appwrite puts in the "type" field of its error
// responses. The strings are the same in Appwrite 1.5.11 through 1.9.6 unless a
// comment says otherwise.
const (
	// TypeUserNotFound (404): no user has the ID (get, update, create token).
	TypeUserNotFound = "user_not_found"
	// TypeUserAlreadyExists (409): create user clashed on the ID, the email
	// or the phone of another user. The type does not tell which.
	TypeUserAlreadyExists = "user_already_exists"
	// TypeUserEmailAlreadyExists (409): the email belongs to an OAuth2
	// identity, or an email update clashed with another user.
	TypeUserEmailAlreadyExists = "user_email_already_exists"
	// TypeUserPhoneAlreadyExists (409): a phone update clashed with another user.
	TypeUserPhoneAlreadyExists = "user_phone_already_exists"
	// TypeUserTargetAlreadyExists (409): an email update named an address
	// that is already a messaging target, including the user's current email.
	TypeUserTargetAlreadyExists = "user_target_already_exists"
	// TypeUserCountExceeded (400): the project's user limit is reached.
	TypeUserCountExceeded = "user_count_exceeded"
	// TypeGeneralArgumentInvalid (400): a parameter failed validation, such
	// as an ID with invalid characters, a token length out of range or a
	// query that is not valid JSON.
	TypeGeneralArgumentInvalid = "general_argument_invalid"
	// TypeGeneralQueryInvalid (400): a query passed validation but failed to parse.
	TypeGeneralQueryInvalid = "general_query_invalid"
	// TypeGeneralCursorNotFound (400): a cursor query named an unknown document.
	TypeGeneralCursorNotFound = "general_cursor_not_found"
	// TypeGeneralUnauthorizedScope (401): the API key is unknown or lacks
	// the scope of the route.
	TypeGeneralUnauthorizedScope = "general_unauthorized_scope"
	// TypeProjectKeyExpired (401): the API key has expired.
	TypeProjectKeyExpired = "project_key_expired"
	// TypeProjectNotFound (404): no project has the ID sent as X-Appwrite-Project.
	TypeProjectNotFound = "project_not_found"
	// TypeGeneralRateLimitExceeded (429): a rate limit was hit. API-key
	// requests are not rate limited.
	TypeGeneralRateLimitExceeded = "general_rate_limit_exceeded"
	// TypeGeneralRouteNotFound (404): the server has no such route.
	TypeGeneralRouteNotFound = "general_route_not_found"
	// TypeGeneralUnknownOrigin (403): the Origin header is not a registered platform.
	TypeGeneralUnknownOrigin = "general_unknown_origin"
	// TypeGeneralBadRequest (400): a generic rejection.
	TypeGeneralBadRequest = "general_bad_request"
	// TypeUserInvalidToken (401): a token secret is wrong, expired or used,
	// or its user does not exist (account session creation).
	TypeUserInvalidToken = "user_invalid_token"
	// TypeUserSessionAlreadyExists (401): a session was requested while one is active.
	TypeUserSessionAlreadyExists = "user_session_already_exists"
	// TypeUserSessionNotFound (404): the session to delete does not exist.
	TypeUserSessionNotFound = "user_session_not_found"
	// TypeUserBlocked: the session's user is blocked. The status is 401 up
	// to Appwrite 1.8 and 403 from 1.9.0.
	TypeUserBlocked = "user_blocked"
	// TypeUserMoreFactorsRequired (401): the session needs a second factor.
	TypeUserMoreFactorsRequired = "user_more_factors_required"
	// TypeUserKeyAndSessionSet (403, Appwrite 1.5 to 1.8): a request sent
	// both an API key and a valid session.
	TypeUserKeyAndSessionSet = "user_key_and_session_set"
	// TypeUserAPIKeyAndSessionSet (403, Appwrite 1.9.0 and later): the same
	// case as TypeUserKeyAndSessionSet.
	TypeUserAPIKeyAndSessionSet = "user_api_key_and_session_set"
	// TypeUserJWTAndCookieSet (403, Appwrite 1.9): a request sent both a
	// JWT and a session cookie.
	TypeUserJWTAndCookieSet = "user_jwt_and_cookie_set"
)

// maxMessageBytes caps the message kept from an Appwrite error response.
const maxMessageBytes = 1024

// Error is an error response from Appwrite. Status is the HTTP status code.
// Type, Message and Version come from the JSON error body. When the body was
// not an Appwrite error (for example an HTML page from a proxy), Type and
// Version are empty and Message describes the body without quoting it.
//
// Message is Appwrite's text with any occurrence of the API key replaced by
// [redacted]. It is meant for logs, not for end users.
type Error struct {
	Status  int
	Type    string
	Message string
	Version string
}

// Error formats the error as "appwrite: <status> <type>: <message>", or as
// "appwrite: <status>: <message>" when Type is empty.
func (e *Error) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("appwrite: %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("appwrite: %d %s: %s", e.Status, e.Type, e.Message)
}

// IsType reports whether err is or wraps an *Error whose Type equals typ.
func IsType(err error, typ string) bool {
	var appwriteErr *Error
	return errors.As(err, &appwriteErr) && appwriteErr.Type == typ
}

// errorBody is Appwrite's error model. Its "code" field repeats the HTTP
// status (a number on the wire, a string in the published spec) and is not read.
type errorBody struct {
	Message *string `json:"message"`
	Type    *string `json:"type"`
	Version string  `json:"version"`
}

// responseError turns a non-2xx response into an *Error.
func (c *Client) responseError(resp *response) *Error {
	var body errorBody
	if !resp.tooLarge && json.Unmarshal(resp.body, &body) == nil && body.Message != nil && body.Type != nil {
		return &Error{
			Status:  resp.status,
			Type:    c.scrub(*body.Type),
			Message: truncate(c.scrub(*body.Message), maxMessageBytes),
			Version: truncate(c.scrub(body.Version), 64),
		}
	}
	return &Error{Status: resp.status, Message: describeForeignBody(resp)}
}

// describeForeignBody describes a body that is not an Appwrite error by its
// media type and size only, so upstream pages never reach callers.
func describeForeignBody(resp *response) string {
	mediaType, _, err := mime.ParseMediaType(resp.header.Get("Content-Type"))
	if err != nil {
		mediaType = "unknown media type"
	}
	if resp.tooLarge {
		return fmt.Sprintf("response body is not an Appwrite error (%s, more than %d bytes)", mediaType, maxBodyBytes)
	}
	return fmt.Sprintf("response body is not an Appwrite error (%s, %d bytes)", mediaType, len(resp.body))
}

// scrub replaces the API key in text taken from a response.
func (c *Client) scrub(s string) string {
	return strings.ReplaceAll(s, c.apiKey, redacted)
}

// truncate cuts s to at most limit bytes, without splitting a UTF-8
// sequence, and marks a cut with an ellipsis.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
