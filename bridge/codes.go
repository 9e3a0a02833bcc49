package bridge

// ErrorCode is the stable, machine-readable value sent as the error
// parameter to the app's failure URL. Apps branch on it, so values never
// change meaning.
type ErrorCode string

// Error codes an app can receive. The README lists each with its cause and
// what the app should do.
const (
	// CodeAccessDenied: the person or the provider declined the sign-in.
	CodeAccessDenied ErrorCode = "access_denied"
	// CodeIDPError: the provider returned an error code tokenbridge does
	// not pass on as is.
	CodeIDPError ErrorCode = "idp_error"
	// CodeInvalidRequest: the provider's callback lacked the authorization code.
	CodeInvalidRequest ErrorCode = "invalid_request"
	// CodeInvalidGrant: the provider refused to redeem the authorization code,
	// for example because it expired.
	CodeInvalidGrant ErrorCode = "invalid_grant"
	// CodeInvalidToken: the ID token or userinfo failed verification.
	CodeInvalidToken ErrorCode = "invalid_token"
	// CodeAccountBlocked: the Appwrite user is blocked.
	CodeAccountBlocked ErrorCode = "account_blocked"
	// CodeEmailInUse: another Appwrite user has the email and linking is off.
	CodeEmailInUse ErrorCode = "email_in_use"
	// CodeEmailNotVerified: linking by email needs a verified email.
	CodeEmailNotVerified ErrorCode = "email_not_verified"
	// CodeAccountConflict: the email matches users that cannot be linked safely.
	CodeAccountConflict ErrorCode = "account_conflict"
	// CodeUpstreamError: the provider or Appwrite failed or did not respond.
	CodeUpstreamError ErrorCode = "upstream_error"
	// CodeServerError: tokenbridge itself failed.
	CodeServerError ErrorCode = "server_error"
)

// providerErrorCodes are the error values of RFC 6749 section 4.1.2.1 and
// OpenID Connect Core 1.0 section 3.1.2.6 that are passed on to the app as
// the provider sent them. Any other value becomes CodeIDPError.
var providerErrorCodes = map[string]ErrorCode{
	"access_denied":              CodeAccessDenied,
	"invalid_request":            "invalid_request",
	"unauthorized_client":        "unauthorized_client",
	"unsupported_response_type":  "unsupported_response_type",
	"invalid_scope":              "invalid_scope",
	"server_error":               "server_error",
	"temporarily_unavailable":    "temporarily_unavailable",
	"interaction_required":       "interaction_required",
	"login_required":             "login_required",
	"account_selection_required": "account_selection_required",
	"consent_required":           "consent_required",
	"invalid_request_uri":        "invalid_request_uri",
	"invalid_request_object":     "invalid_request_object",
	"request_not_supported":      "request_not_supported",
	"request_uri_not_supported":  "request_uri_not_supported",
	"registration_not_supported": "registration_not_supported",
}
