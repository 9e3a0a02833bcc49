package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenbridge/tokenbridge/accounts"
	"github.com/tokenbridge/tokenbridge/appwrite"
	"github.com/tokenbridge/tokenbridge/providers"
	"github.com/tokenbridge/tokenbridge/returnurl"
	"github.com/tokenbridge/tokenbridge/templates"
)

// Appwrite is the part of the Appwrite client the handler calls directly.
// *appwrite.Client implements it.
type Appwrite interface {
	CreateToken(ctx context.Context, userID string, length int, expire time.Duration) (*appwrite.Token, error)
	Version(ctx context.Context) (string, error)
}

var _ Appwrite = (*appwrite.Client)(nil)

// Provider is one configured provider with its per-provider rules.
type Provider struct {
	*providers.Provider
	Policy accounts.Policy
}

// Options configure a Handler. Every field without a stated default is required.
type Options struct {
	// PublicURL is the externally visible base URL; callback URLs and the
	// cookie path derive from it, never from request headers.
	PublicURL *url.URL
	Providers []Provider // in chooser order
	AllowList *returnurl.AllowList
	Accounts  *accounts.Resolver
	Appwrite  Appwrite

	TokenLength int           // Appwrite custom token length, 4 to 128
	TokenExpiry time.Duration // Appwrite custom token lifetime, 60 s to 31536000 s

	Flow FlowOptions

	// RateLimit limits /login and /callback per client IP. Zero
	// RequestsPerMinute disables it.
	RateLimit RateLimit
	// TrustedProxies are the peers whose X-Forwarded-For header names the
	// client IP. Empty means the TCP peer is the client.
	TrustedProxies []*net.IPNet

	Logger *slog.Logger // default: slog.Default()
}

// RateLimit is a token bucket per client IP.
type RateLimit struct {
	RequestsPerMinute int
	Burst             int
}

// Handler serves the bridge's routes.
type Handler struct {
	echo        *echo.Echo
	publicURL   *url.URL
	providers   map[string]*Provider
	order       []*Provider
	allow       *returnurl.AllowList
	accounts    *accounts.Resolver
	appwrite    Appwrite
	tokenLength int
	tokenExpiry time.Duration
	flows       *flowStore
	pages       *templates.Pages
	logger      *slog.Logger
	readiness   *readiness
}

// New builds a Handler and its Echo instance.
func New(opts Options) (*Handler, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	pages, err := templates.Load()
	if err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	flows, err := newFlowStore(opts.Flow, opts.PublicURL)
	if err != nil {
		return nil, err
	}

	h := &Handler{
		publicURL:   opts.PublicURL,
		providers:   make(map[string]*Provider, len(opts.Providers)),
		allow:       opts.AllowList,
		accounts:    opts.Accounts,
		appwrite:    opts.Appwrite,
		tokenLength: opts.TokenLength,
		tokenExpiry: opts.TokenExpiry,
		flows:       flows,
		pages:       pages,
		logger:      logger,
	}
	for i := range opts.Providers {
		p := &opts.Providers[i]
		if _, dup := h.providers[p.ID()]; dup {
			return nil, fmt.Errorf("provider %q is configured twice", p.ID())
		}
		h.providers[p.ID()] = p
		h.order = append(h.order, p)
	}
	h.readiness = newReadiness(h.order, opts.Appwrite)
	h.echo = h.newEcho(opts)
	return h, nil
}

func (o *Options) validate() error {
	var problems []string
	if o.PublicURL == nil || !o.PublicURL.IsAbs() {
		problems = append(problems, "PublicURL must be an absolute URL")
	}
	if len(o.Providers) == 0 {
		problems = append(problems, "at least one provider is required")
	}
	if o.AllowList == nil {
		problems = append(problems, "AllowList is required")
	}
	if o.Accounts == nil || o.Appwrite == nil {
		problems = append(problems, "Accounts and Appwrite are required")
	}
	if o.TokenLength < 4 || o.TokenLength > 128 {
		problems = append(problems, fmt.Sprintf("TokenLength %d is outside Appwrite's range 4-128", o.TokenLength))
	}
	if o.TokenExpiry < time.Minute || o.TokenExpiry > 31536000*time.Second || o.TokenExpiry%time.Second != 0 {
		problems = append(problems, fmt.Sprintf("TokenExpiry %s must be whole seconds from 60s to 31536000s", o.TokenExpiry))
	}
	if len(problems) > 0 {
		return errors.New("bridge options: " + strings.Join(problems, "; "))
	}
	return nil
}

// ServeHTTP makes the Handler an http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.echo.ServeHTTP(w, r)
}

// CallbackURL returns the redirect URI to register at a provider.
func CallbackURL(publicURL *url.URL, providerID string) string {
	return strings.TrimSuffix(publicURL.String(), "/") + "/callback/" + url.PathEscape(providerID)
}

// basePath is the public URL's path without a trailing slash ("" for the root).
func (h *Handler) basePath() string {
	return strings.TrimSuffix(h.publicURL.Path, "/")
}
