package bridge

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tokenbridge/tokenbridge/templates"
)

// maxDescriptionLength caps error_description values, in code points.
const maxDescriptionLength = 200

// page is the fixed wording of an error page.
type page struct {
	title, message, nextStep string
}

// Wording of the error pages. Each is fixed text; causes go to the log.
var (
	pageBadReturnURL = page{"This sign-in link is not valid",
		"The app asked to return to an address that this sign-in service does not allow, or the address is malformed.",
		"Go back to the app and start the sign-in from there. If this keeps happening, tell the app's support team."}
	pageMissingSuccess = page{"This sign-in link is incomplete",
		"The link does not say where to return after signing in.",
		"Go back to the app and start the sign-in from there."}
	pageUnknownProvider = page{"Unknown sign-in provider",
		"This sign-in service has no provider with that name.",
		"Go back to the app and choose one of the offered sign-in options."}
	pageFlowExpired = page{"This sign-in expired",
		"This sign-in expired or was already used, or the browser did not keep its cookie.",
		"Start again from the app. Signing in within ten minutes, in the same browser, avoids this."}
	pageNotFound = page{"Page not found",
		"There is nothing at this address.",
		"Check the address, or go back to the app."}
	pageRateLimited = page{"Too many sign-in attempts",
		"This browser or network started too many sign-ins in a short time.",
		"Wait a minute, then start again from the app."}
	pageServerError = page{"Something went wrong",
		"The sign-in service failed to complete this request.",
		"Try again in a moment. If it keeps failing, tell the app's support team and quote the request ID below."}
)

// codePages is the wording used when a login fails after its return URLs
// were validated but no failure URL is available.
var codePages = map[ErrorCode]page{
	CodeAccessDenied: {"Sign-in declined",
		"The sign-in was declined, at the provider or by this service's access rules.",
		"If you think you should have access, ask the app's administrator."},
	CodeIDPError: {"The sign-in provider reported a problem",
		"The sign-in provider could not complete the sign-in.",
		"Try again. If it keeps failing, try another sign-in option."},
	CodeInvalidRequest: {"The sign-in provider sent an incomplete answer",
		"The answer from the sign-in provider lacked the data needed to finish.",
		"Start again from the app."},
	CodeInvalidGrant: {"The sign-in could not be completed",
		"The sign-in provider refused to confirm this sign-in, usually because it took too long.",
		"Start again from the app."},
	CodeInvalidToken: {"The sign-in could not be verified",
		"The sign-in provider's answer failed verification, so it was not trusted.",
		"Start again from the app. If it keeps failing, tell the app's support team and quote the request ID below."},
	CodeAccountBlocked: {"This account is blocked",
		"The app has blocked this account.",
		"Contact the app's support team."},
	CodeEmailInUse: {"This email is already in use",
		"Another account of this app already uses the email address of this sign-in.",
		"Sign in the way you did before, or contact the app's support team."},
	CodeEmailNotVerified: {"Email address not verified",
		"The sign-in provider has not verified your email address, so it cannot be matched to your existing account.",
		"Verify your email address with the sign-in provider, then start again."},
	CodeAccountConflict: {"This sign-in matches several accounts",
		"Your email address matches accounts that cannot be linked safely.",
		"Contact the app's support team and quote the request ID below."},
	CodeUpstreamError: {"A service is not responding",
		"The sign-in provider or the app's backend did not answer in time or failed.",
		"Try again in a moment."},
	CodeServerError: pageServerError,
}

// flowError is a failed request with everything the error handler needs to
// log it and respond.
type flowError struct {
	status   int
	code     ErrorCode // empty for failures before the return URLs were validated
	page     page
	detail   string   // provider-supplied description; escaped wherever shown
	failure  *url.URL // the app's validated failure URL, if any
	level    slog.Level
	provider string
	err      error // the cause, for the log only
}

func (e *flowError) Error() string {
	if e.err != nil {
		return string(e.code) + ": " + e.err.Error()
	}
	return string(e.code) + ": " + e.page.title
}

func (e *flowError) Unwrap() error { return e.err }

// pageError is a failure shown as an error page only.
func pageError(status int, p page, level slog.Level, cause error) *flowError {
	return &flowError{status: status, page: p, level: level, err: cause}
}

// handleError is Echo's HTTPErrorHandler. It logs each failure once, then
// redirects to the app's failure URL or renders the error page.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	fe := h.classify(err)
	ctx := c.Request().Context()

	attrs := []any{slog.Int("status", fe.status), slog.String("path", c.Path())}
	if fe.provider != "" {
		attrs = append(attrs, slog.String("provider", fe.provider))
	}
	if fe.code != "" {
		attrs = append(attrs, slog.String("error_code", string(fe.code)))
	}
	if fe.err != nil {
		attrs = append(attrs, slog.Any("err", fe.err))
	}
	h.logger.Log(ctx, fe.level, "request failed", attrs...)

	if fe.failure != nil && fe.code != "" {
		target := withQuery(fe.failure, map[string]string{
			"error":             string(fe.code),
			"error_description": truncateRunes(describe(fe), maxDescriptionLength),
		})
		if err := c.Redirect(http.StatusFound, target); err != nil {
			h.logger.ErrorContext(ctx, "write redirect", slog.Any("err", err))
		}
		return
	}
	h.renderError(c, fe)
}

// classify turns any error a handler or middleware returned into a flowError.
func (h *Handler) classify(err error) *flowError {
	var fe *flowError
	if errors.As(err, &fe) {
		return fe
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			return pageError(he.Code, pageNotFound, slog.LevelDebug, err)
		case http.StatusTooManyRequests:
			return pageError(he.Code, pageRateLimited, slog.LevelWarn, err)
		}
		if he.Code < 500 {
			return pageError(he.Code, pageNotFound, slog.LevelWarn, err)
		}
	}
	if errors.Is(err, context.Canceled) {
		// The client went away, so the response goes unread.
		return pageError(499, pageServerError, slog.LevelInfo, err)
	}
	return pageError(http.StatusInternalServerError, pageServerError, slog.LevelError, err)
}

func (h *Handler) renderError(c echo.Context, fe *flowError) {
	status := fe.status
	if status == 499 {
		status = http.StatusBadRequest
	}
	data := templates.Error{
		Status:    status,
		Title:     fe.page.title,
		Message:   fe.page.message,
		NextStep:  fe.page.nextStep,
		Code:      string(fe.code),
		Detail:    truncateRunes(fe.detail, maxDescriptionLength),
		RequestID: requestID(c.Request().Context()),
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	if c.Request().Method == http.MethodHead {
		return
	}
	if err := h.pages.RenderError(c.Response(), data); err != nil {
		h.logger.ErrorContext(c.Request().Context(), "render error page", slog.Any("err", err))
	}
}

// describe returns the short error_description sent to the failure URL:
// the provider's own description for provider errors, else the page text.
func describe(fe *flowError) string {
	if fe.detail != "" {
		return fe.detail
	}
	return fe.page.message
}

// truncateRunes cuts s to at most limit code points.
func truncateRunes(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)
	return string(runes[:limit])
}
