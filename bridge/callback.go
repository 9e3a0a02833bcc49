package bridge

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/tokenbridge/tokenbridge/accounts"
	"github.com/tokenbridge/tokenbridge/providers"
)

// handleCallback finishes a flow: it checks the state, redeems the code,
// verifies the ID token, resolves the Appwrite user, mints a custom token
// and redirects to the app's success URL with userId and secret.
func (h *Handler) handleCallback(c echo.Context) error {
	start := time.Now()
	ctx := c.Request().Context()
	p, err := h.lookupProvider(c)
	if err != nil {
		return err
	}

	f, success, failure, err := h.takeFlow(c, p)
	if err != nil {
		return err
	}
	fail := func(code ErrorCode, status int, level slog.Level, cause error) error {
		h.logFinished(c, p.ID(), "", code, start)
		text, ok := codePages[code]
		if !ok {
			// A provider error code passed on as is.
			text = codePages[CodeIDPError]
		}
		return &flowError{status: status, code: code, page: text, failure: failure, level: level, provider: p.ID(), err: cause}
	}

	query := c.QueryParams()
	if providerErr := query.Get("error"); providerErr != "" {
		code, ok := providerErrorCodes[providerErr]
		if !ok {
			code = CodeIDPError
		}
		fe := fail(code, http.StatusForbidden, slog.LevelWarn,
			fmt.Errorf("provider returned error %q", truncateRunes(cleanText(providerErr), 64))).(*flowError)
		fe.detail = cleanText(query.Get("error_description"))
		if code != CodeAccessDenied {
			fe.status = http.StatusBadGateway
		}
		return fe
	}
	// RFC 9207: when the provider names itself in the callback, it must be
	// the provider this flow went to.
	if iss, ok := query["iss"]; ok && (len(iss) != 1 || iss[0] != p.Issuer()) {
		return fail(CodeInvalidRequest, http.StatusBadRequest, slog.LevelWarn, errors.New("the callback's iss parameter names another issuer"))
	}
	code := query.Get("code")
	if code == "" || len(query["code"]) > 1 {
		return fail(CodeInvalidRequest, http.StatusBadRequest, slog.LevelWarn, errors.New("the callback has no single code parameter"))
	}

	identity, err := p.Exchange(ctx, code, f.Verifier, f.Nonce)
	if err != nil {
		code, status, level := exchangeOutcome(err)
		fe := fail(code, status, level, err).(*flowError)
		var denied *providers.AccessDeniedError
		if errors.As(err, &denied) {
			// Fixed text naming the failed rule; the log gets the details.
			fe.detail = denied.Description
		}
		return fe
	}
	h.logger.DebugContext(ctx, "ID token verified", slog.String("provider", p.ID()))

	result, err := h.accounts.Resolve(ctx, identity, p.Policy)
	if err != nil {
		code, status, level := resolveOutcome(err)
		return fail(code, status, level, err)
	}
	for _, skipped := range result.Skipped {
		h.logger.WarnContext(ctx, "profile field not stored", slog.String("provider", p.ID()),
			slog.String("appwrite_user_id", result.User.ID), slog.String("reason", skipped))
	}

	token, err := h.appwrite.CreateToken(ctx, result.User.ID, h.tokenLength, h.tokenExpiry)
	if err != nil {
		return fail(CodeUpstreamError, http.StatusBadGateway, slog.LevelError, fmt.Errorf("create custom token: %w", err))
	}

	target := withQuery(success, map[string]string{"userId": token.UserID, "secret": token.Secret})
	h.logFinished(c, p.ID(), result.User.ID, "", start,
		slog.Bool("created", result.Created), slog.Bool("linked", result.Linked), slog.Any("updated", result.Updated))
	return c.Redirect(http.StatusFound, target)
}

// takeFlow loads and spends the flow named by the state parameter and
// re-checks its return URLs, since the allow-list may have changed since
// the flow began.
func (h *Handler) takeFlow(c echo.Context, p *Provider) (f *flow, success, failure *url.URL, err error) {
	expired := func(cause error) error {
		return pageError(http.StatusBadRequest, pageFlowExpired, slog.LevelWarn, cause)
	}
	states := c.QueryParams()["state"]
	if len(states) != 1 || states[0] == "" || len(states[0]) > maxStateLength {
		return nil, nil, nil, expired(errors.New("the callback has no usable state parameter"))
	}
	f, err = h.flows.take(c.Response(), c.Request(), states[0], time.Now())
	if err != nil {
		return nil, nil, nil, expired(err)
	}
	if f.Provider != p.ID() {
		return nil, nil, nil, expired(fmt.Errorf("the flow began at provider %q", f.Provider))
	}
	success, err = h.allow.Check(f.Success)
	if err != nil {
		return nil, nil, nil, returnURLError("success", err)
	}
	if f.Failure != "" {
		failure, err = h.allow.Check(f.Failure)
		if err != nil {
			return nil, nil, nil, returnURLError("failure", err)
		}
	}
	return f, success, failure, nil
}

// exchangeOutcome maps a providers error to an error code, status and log level.
func exchangeOutcome(err error) (ErrorCode, int, slog.Level) {
	switch {
	case errors.Is(err, providers.ErrAccessDenied):
		return CodeAccessDenied, http.StatusForbidden, slog.LevelWarn
	case errors.Is(err, providers.ErrInvalidIDToken), errors.Is(err, providers.ErrUserInfo):
		return CodeInvalidToken, http.StatusUnauthorized, slog.LevelWarn
	case errors.Is(err, providers.ErrExchangeRejected):
		return CodeInvalidGrant, http.StatusBadRequest, slog.LevelWarn
	case errors.Is(err, providers.ErrUnavailable), errors.Is(err, providers.ErrNotReady):
		return CodeUpstreamError, http.StatusBadGateway, slog.LevelWarn
	default:
		return CodeServerError, http.StatusInternalServerError, slog.LevelError
	}
}

// resolveOutcome maps an accounts error to an error code, status and log level.
func resolveOutcome(err error) (ErrorCode, int, slog.Level) {
	switch {
	case errors.Is(err, accounts.ErrInvalidUserID):
		// The provider's user_id strategy does not fit its subjects.
		return CodeServerError, http.StatusInternalServerError, slog.LevelError
	case errors.Is(err, accounts.ErrBlocked):
		return CodeAccountBlocked, http.StatusForbidden, slog.LevelWarn
	case errors.Is(err, accounts.ErrEmailInUse):
		return CodeEmailInUse, http.StatusConflict, slog.LevelWarn
	case errors.Is(err, accounts.ErrEmailNotVerified):
		return CodeEmailNotVerified, http.StatusForbidden, slog.LevelWarn
	case errors.Is(err, accounts.ErrAccountConflict):
		return CodeAccountConflict, http.StatusConflict, slog.LevelWarn
	default:
		// Appwrite error responses, transport failures and timeouts.
		return CodeUpstreamError, http.StatusBadGateway, slog.LevelError
	}
}

// logFinished writes the one Info line of a finished login.
func (h *Handler) logFinished(c echo.Context, provider, userID string, code ErrorCode, start time.Time, extra ...any) {
	outcome := "success"
	if code != "" {
		outcome = "failure"
	}
	attrs := []any{
		slog.String("provider", provider),
		slog.String("outcome", outcome),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()),
	}
	if userID != "" {
		attrs = append(attrs, slog.String("appwrite_user_id", userID))
	}
	if code != "" {
		attrs = append(attrs, slog.String("error_code", string(code)))
	}
	h.logger.InfoContext(c.Request().Context(), "login finished", append(attrs, extra...)...)
}

// cleanText makes provider-supplied text safe to show and log: valid UTF-8,
// no control characters, single-spaced.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return truncateRunes(strings.Join(strings.Fields(s), " "), maxDescriptionLength)
}
