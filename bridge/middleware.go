package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/tokenbridge/tokenbridge/templates"
)

// contentSecurityPolicy allows the pages only their own stylesheet: no
// scripts, no frames, no form posts elsewhere.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// newEcho builds the Echo instance with middleware, routes and the error handler.
func (h *Handler) newEcho(opts Options) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = h.handleError
	e.IPExtractor = ipExtractor(opts)

	e.Use(h.requestIDMiddleware)
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod:    true,
		LogRoutePath: true,
		LogStatus:    true,
		LogLatency:   true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			// The route path, never the URI: callback queries carry codes and state.
			h.logger.DebugContext(c.Request().Context(), "request",
				slog.String("method", v.Method), slog.String("route", v.RoutePath),
				slog.Int("status", v.Status), slog.Int64("latency_us", v.Latency.Microseconds()))
			return nil
		},
	}))
	e.Use(middleware.Recover())
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ContentSecurityPolicy: contentSecurityPolicy,
		ReferrerPolicy:        "no-referrer",
	}))
	e.Use(noStore)

	limited := []echo.MiddlewareFunc{}
	if opts.RateLimit.RequestsPerMinute > 0 {
		limited = append(limited, h.rateLimiter(opts.RateLimit))
	}

	e.GET("/", h.handleChooser)
	e.GET("/login/:provider", h.handleLogin, limited...)
	e.GET("/callback/:provider", h.handleCallback, limited...)
	e.GET("/healthz", h.handleHealthz)
	e.GET("/readyz", h.handleReadyz)
	e.StaticFS("/assets", templates.Static())
	return e
}

// ipExtractor believes X-Forwarded-For only from configured proxies.
func ipExtractor(opts Options) echo.IPExtractor {
	if len(opts.TrustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, network := range opts.TrustedProxies {
		trust = append(trust, echo.TrustIPRange(network))
	}
	return echo.ExtractIPFromXFFHeader(trust...)
}

func (h *Handler) rateLimiter(limit RateLimit) echo.MiddlewareFunc {
	burst := max(limit.Burst, 1)
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate:      rate.Limit(float64(limit.RequestsPerMinute) / 60),
		Burst:     burst,
		ExpiresIn: 5 * time.Minute,
	})
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: store,
		IdentifierExtractor: func(c echo.Context) (string, error) {
			return c.RealIP(), nil
		},
		ErrorHandler: func(c echo.Context, err error) error {
			return echo.NewHTTPError(http.StatusForbidden).SetInternal(err)
		},
		DenyHandler: func(c echo.Context, identifier string, err error) error {
			return echo.NewHTTPError(http.StatusTooManyRequests).SetInternal(err)
		},
	})
}

// noStore keeps every response but the stylesheet out of caches, because redirects
// carry token secrets and pages carry request IDs.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !strings.HasPrefix(c.Request().URL.Path, "/assets/") {
			c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
			c.Response().Header().Set("Pragma", "no-cache")
		}
		return next(c)
	}
}

type requestIDKey struct{}

// validRequestID accepts the request IDs a proxy might set; anything longer
// or odder is replaced, so logs and pages never echo arbitrary input.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{8,64}$`)

// requestIDMiddleware gives every request an ID, kept from X-Request-Id when
// it looks sane, and puts it into the response header and the context.
func (h *Handler) requestIDMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		ctx := context.WithValue(c.Request().Context(), requestIDKey{}, id)
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requestID returns the request ID stored in ctx, or "".
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
