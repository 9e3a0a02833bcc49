package bridge

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenbridge/tokenbridge/returnurl"
	"github.com/tokenbridge/tokenbridge/templates"
)

// handleChooser lists the providers, carrying the app's success and failure
// URLs into each login link. The URLs are checked at /login, not here.
func (h *Handler) handleChooser(c echo.Context) error {
	query := url.Values{}
	success := c.QueryParam("success")
	if success != "" {
		query.Set("success", success)
	}
	if failure := c.QueryParam("failure"); failure != "" {
		query.Set("failure", failure)
	}

	data := templates.Chooser{MissingSuccess: success == "", RequestID: requestID(c.Request().Context())}
	for _, p := range h.order {
		link := h.basePath() + "/login/" + url.PathEscape(p.ID())
		if len(query) > 0 {
			link += "?" + query.Encode()
		}
		data.Providers = append(data.Providers, templates.ProviderLink{Name: p.Name(), URL: link, Ready: p.Ready()})
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return h.pages.RenderChooser(c.Response(), data)
}

// handleLogin validates the app's return URLs, starts a flow and sends the
// browser to the provider. Nothing is stored before both URLs pass.
func (h *Handler) handleLogin(c echo.Context) error {
	p, err := h.lookupProvider(c)
	if err != nil {
		return err
	}
	success, failure, err := h.returnURLs(c)
	if err != nil {
		return err
	}

	f := newFlow(p.ID(), success.String(), urlString(failure), time.Now())
	authURL, err := p.AuthCodeURL(f.State, f.Nonce, f.Verifier)
	if err != nil {
		return &flowError{
			status: http.StatusServiceUnavailable, code: CodeUpstreamError, page: codePages[CodeUpstreamError],
			failure: failure, level: slog.LevelWarn, provider: p.ID(), err: err,
		}
	}
	if err := h.flows.save(c.Response(), c.Request(), f); err != nil {
		if errors.Is(err, errFlowTooLarge) {
			// Only the app's return URLs vary in size, so the link is at fault.
			return pageError(http.StatusBadRequest, pageBadReturnURL, slog.LevelWarn, err)
		}
		return err
	}
	h.logger.DebugContext(c.Request().Context(), "flow started", slog.String("provider", p.ID()))
	return c.Redirect(http.StatusFound, authURL)
}

func (h *Handler) lookupProvider(c echo.Context) (*Provider, error) {
	id := c.Param("provider")
	p, ok := h.providers[id]
	if !ok {
		return nil, pageError(http.StatusNotFound, pageUnknownProvider, slog.LevelWarn,
			fmt.Errorf("unknown provider %q", truncateRunes(id, 64)))
	}
	return p, nil
}

// returnURLs checks the success URL (required) and the failure URL
// (optional) against the allow-list. A rejected URL is never replaced by a
// default: the request ends with an error page.
func (h *Handler) returnURLs(c echo.Context) (success, failure *url.URL, err error) {
	query := c.QueryParams()
	if len(query["success"]) > 1 || len(query["failure"]) > 1 {
		return nil, nil, pageError(http.StatusBadRequest, pageBadReturnURL, slog.LevelWarn,
			errors.New("success or failure is given more than once"))
	}
	rawSuccess := query.Get("success")
	if rawSuccess == "" {
		return nil, nil, pageError(http.StatusBadRequest, pageMissingSuccess, slog.LevelWarn,
			errors.New("the success parameter is missing"))
	}
	success, err = h.allow.Check(rawSuccess)
	if err != nil {
		return nil, nil, returnURLError("success", err)
	}
	if rawFailure := query.Get("failure"); rawFailure != "" {
		failure, err = h.allow.Check(rawFailure)
		if err != nil {
			return nil, nil, returnURLError("failure", err)
		}
	}
	return success, failure, nil
}

func returnURLError(param string, err error) *flowError {
	level := slog.LevelWarn
	if !errors.Is(err, returnurl.ErrNotAllowed) && !errors.Is(err, returnurl.ErrMalformed) {
		level = slog.LevelError
	}
	return pageError(http.StatusBadRequest, pageBadReturnURL, level, fmt.Errorf("%s URL rejected: %w", param, err))
}

func urlString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}
