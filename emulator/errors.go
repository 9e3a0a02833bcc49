package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// ErrorType is the value of the `type` field of an Appwrite error body. The
// strings are the ones Appwrite 1.5.11 through 1.9.6 send.
type ErrorType string

// Error types the emulator sends.
const (
	TypeArgumentInvalid     ErrorType = "general_argument_invalid"
	TypeRouteNotFound       ErrorType = "general_route_not_found"
	TypeUnauthorizedScope   ErrorType = "general_unauthorized_scope"
	TypeRateLimitExceeded   ErrorType = "general_rate_limit_exceeded"
	TypeUnknownOrigin       ErrorType = "general_unknown_origin"
	TypeServerError         ErrorType = "general_server_error"
	TypeCursorNotFound      ErrorType = "general_cursor_not_found"
	TypeProjectNotFound     ErrorType = "project_not_found"
	TypeUserNotFound        ErrorType = "user_not_found"
	TypeUserAlreadyExists   ErrorType = "user_already_exists"
	TypeUserEmailExists     ErrorType = "user_email_already_exists"
	TypeUserTargetExists    ErrorType = "user_target_already_exists"
	TypeUserInvalidToken    ErrorType = "user_invalid_token"
	TypeUserBlocked         ErrorType = "user_blocked"
	TypeUserSessionExists   ErrorType = "user_session_already_exists"
	TypeUserSessionNotFound ErrorType = "user_session_not_found"
	TypeKeyAndSessionSet    ErrorType = "user_key_and_session_set"     // up to 1.8.x
	TypeAPIKeyAndSessionSet ErrorType = "user_api_key_and_session_set" // from 1.9.0
)

// apiError is a failure that the emulator sends to the caller as an Appwrite
// error body. Status is the HTTP status and equals the body's `code`.
type apiError struct {
	Status  int
	Type    ErrorType
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message)
}

func newError(status int, typ ErrorType, format string, args ...any) *apiError {
	return &apiError{Status: status, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// argumentError builds the 400 that Appwrite's parameter validators send,
// with the message shape "Invalid `name` param: description".
func argumentError(param, description string) *apiError {
	return newError(http.StatusBadRequest, TypeArgumentInvalid, "Invalid `%s` param: %s", param, description)
}

// missingParamError is the 400 for a required parameter that was not sent.
func missingParamError(param string) *apiError {
	return newError(http.StatusBadRequest, TypeArgumentInvalid, "Param `%s` is required.", param)
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Message string    `json:"message"`
	Code    int       `json:"code"`
	Type    ErrorType `json:"type"`
	Version string    `json:"version"`
}

// writeError sends err as an Appwrite error body. Errors that are not an
// *apiError become 500 general_server_error with a fixed message, as the real
// server hides internal failures.
func (s *Server) writeError(w http.ResponseWriter, err error) {
	var apiErr *apiError
	if !errors.As(err, &apiErr) {
		apiErr = newError(http.StatusInternalServerError, TypeServerError, "Server Error")
	}
	writeJSON(w, apiErr.Status, errorBody{
		Message: apiErr.Message,
		Code:    apiErr.Status,
		Type:    apiErr.Type,
		Version: s.version.String(),
	})
}

// writeJSON sends v as a JSON body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Every value passed here is built from plain maps and structs, so a
		// marshal failure is a programming error.
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
