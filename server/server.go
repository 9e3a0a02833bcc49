// Package server assembles a runnable tokenbridge from a validated
// configuration: the Appwrite client, the providers, the return-URL
// allow-list and the HTTP handler, and serves it until its context ends.
// The tokenbridge command and the development stack share it, so both run
// the same wiring.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tokenbridge/tokenbridge/accounts"
	"github.com/tokenbridge/tokenbridge/appwrite"
	"github.com/tokenbridge/tokenbridge/bridge"
	"github.com/tokenbridge/tokenbridge/config"
	"github.com/tokenbridge/tokenbridge/providers"
	"github.com/tokenbridge/tokenbridge/returnurl"
)

// firstDiscoveryTimeout bounds the discovery attempt made before serving.
// A provider that is down then keeps being retried in the background.
const firstDiscoveryTimeout = 10 * time.Second

// App is the wired bridge, ready to serve.
type App struct {
	Handler   *bridge.Handler
	Providers []*providers.Provider
	logger    *slog.Logger
	publicURL string
}

// Options are the settings of Build that do not come from the configuration.
type Options struct {
	ConfigPath string       // names the file in error messages
	UserAgent  string       // sent to Appwrite, such as "tokenbridge/v1.2.3"
	Logger     *slog.Logger // receives start-up warnings and the bridge's logs
}

// Build turns a validated configuration into a bridge handler. It does not
// contact any provider or Appwrite.
func Build(cfg *config.Config, opts Options) (*App, error) {
	logger := opts.Logger
	allow, err := ParseAllowList(cfg, opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	for _, warning := range append(cfg.Warnings(), allow.Warnings()...) {
		logger.Warn("risky configuration", slog.String("warning", warning))
	}
	publicURL, err := url.Parse(cfg.Server.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("server.public_url: %w", err)
	}

	keys := make([]bridge.KeyPair, 0, len(cfg.Flow.Keys))
	for i, key := range cfg.Flow.Keys {
		hash, encryption, err := key.Decode()
		if err != nil {
			return nil, fmt.Errorf("flow.keys[%d]: %w", i, err)
		}
		keys = append(keys, bridge.KeyPair{HashKey: hash, EncryptionKey: encryption})
	}

	trusted, err := parseNetworks(cfg.Server.TrustedProxies)
	if err != nil {
		return nil, err
	}

	client, err := appwrite.New(appwrite.Config{
		Endpoint:  cfg.Appwrite.Endpoint,
		ProjectID: cfg.Appwrite.ProjectID,
		APIKey:    cfg.Appwrite.APIKey.Reveal(),
		Timeout:   cfg.Appwrite.Timeout,
		UserAgent: opts.UserAgent,
	})
	if err != nil {
		return nil, fmt.Errorf("appwrite: %w", err)
	}

	providerClient := &http.Client{Timeout: 10 * time.Second, Transport: newTransport()}
	var list []bridge.Provider
	var plain []*providers.Provider
	for _, pc := range cfg.Providers {
		providerCfg, err := pc.ProviderConfig(bridge.CallbackURL(publicURL, pc.ID))
		if err != nil {
			return nil, fmt.Errorf("provider %q: %w", pc.ID, err)
		}
		p, err := providers.New(providerCfg, providerClient)
		if err != nil {
			return nil, err
		}
		list = append(list, bridge.Provider{Provider: p, Policy: pc.Policy()})
		plain = append(plain, p)
	}

	handler, err := bridge.New(bridge.Options{
		PublicURL:   publicURL,
		Providers:   list,
		AllowList:   allow,
		Accounts:    accounts.NewResolver(client),
		Appwrite:    client,
		TokenLength: cfg.Appwrite.TokenLength,
		TokenExpiry: cfg.Appwrite.TokenExpiry,
		Flow: bridge.FlowOptions{
			CookieName: cfg.Flow.CookieName,
			Lifetime:   cfg.Flow.Lifetime,
			MaxPending: cfg.Flow.MaxPending,
			Keys:       keys,
		},
		RateLimit:      bridge.RateLimit{RequestsPerMinute: cfg.Server.RateLimit.RequestsPerMinute, Burst: cfg.Server.RateLimit.Burst},
		TrustedProxies: trusted,
		Logger:         logger,
	})
	if err != nil {
		return nil, err
	}
	return &App{Handler: handler, Providers: plain, logger: logger, publicURL: publicURL.String()}, nil
}

// newTransport returns an HTTP transport that keeps connections to the
// providers open between logins.
func newTransport() *http.Transport {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 16
	return transport
}

// ParseAllowList checks return_urls and reports each bad entry with its line.
func ParseAllowList(cfg *config.Config, configPath string) (*returnurl.AllowList, error) {
	allow, err := returnurl.Parse(cfg.ReturnURLs)
	if err == nil {
		return allow, nil
	}
	var parseErr *returnurl.ParseError
	if !errors.As(err, &parseErr) {
		return nil, fmt.Errorf("return_urls: %w", err)
	}
	lines := make([]string, 0, len(parseErr.Entries))
	for _, entry := range parseErr.Entries {
		key := fmt.Sprintf("return_urls[%d]", entry.Index)
		lines = append(lines, fmt.Sprintf("%s:%d: %s: %s", configPath, cfg.Line(key), key, entry.Problem))
	}
	return nil, fmt.Errorf("invalid configuration:\n%s", strings.Join(lines, "\n"))
}

func parseNetworks(values []string) ([]*net.IPNet, error) {
	var networks []*net.IPNet
	for i, value := range values {
		if !strings.Contains(value, "/") {
			if ip := net.ParseIP(value); ip != nil && ip.To4() != nil {
				value += "/32"
			} else {
				value += "/128"
			}
		}
		_, network, err := net.ParseCIDR(value)
		if err != nil {
			return nil, fmt.Errorf("server.trusted_proxies[%d]: %q is not an IP address or CIDR", i, values[i])
		}
		networks = append(networks, network)
	}
	return networks, nil
}

// NewLogger builds the slog logger, text or JSON, that adds request IDs.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("server.log_level: %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var handler slog.Handler
	switch format {
	case "json":
		handler = slog.NewJSONHandler(w, opts)
	case "text", "":
		handler = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("server.log_format: %q is not text or json", format)
	}
	return slog.New(bridge.NewLogHandler(handler)), nil
}

// StartDiscovery loads every provider's discovery document. It fails when a
// provider's configuration is wrong, such as an issuer mismatch. A provider
// that cannot be reached is retried in the background while the bridge
// serves, and /readyz stays false until it loads.
func (a *App) StartDiscovery(ctx context.Context) error {
	errs := make([]error, len(a.Providers))
	var wg sync.WaitGroup
	for i, p := range a.Providers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			attemptCtx, cancel := context.WithTimeout(ctx, firstDiscoveryTimeout)
			defer cancel()
			errs[i] = p.Discover(attemptCtx)
		}()
	}
	wg.Wait()

	var fatal []error
	for i, err := range errs {
		p := a.Providers[i]
		switch {
		case err == nil:
			a.logger.Info("provider ready", slog.String("provider", p.ID()), slog.String("issuer", p.Issuer()))
		case errors.Is(err, providers.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded):
			a.logger.Warn("provider discovery failed; retrying in the background", slog.String("provider", p.ID()), slog.Any("err", err))
			go a.retryDiscovery(ctx, p)
		default:
			fatal = append(fatal, err)
		}
	}
	return errors.Join(fatal...)
}

func (a *App) retryDiscovery(ctx context.Context, p *providers.Provider) {
	err := p.Run(ctx, func(err error, wait time.Duration) {
		a.logger.Warn("provider discovery failed", slog.String("provider", p.ID()), slog.Duration("retry_in", wait), slog.Any("err", err))
	})
	switch {
	case err == nil:
		a.logger.Info("provider ready", slog.String("provider", p.ID()), slog.String("issuer", p.Issuer()))
	case ctx.Err() != nil:
	default:
		a.logger.Error("provider cannot be used until the configuration is fixed", slog.String("provider", p.ID()), slog.Any("err", err))
	}
}

// Serve runs the HTTP server on listener until ctx ends, then lets requests
// in flight finish within shutdownTimeout. It loads every provider's
// discovery document first and fails when a provider is misconfigured.
func (a *App) Serve(ctx context.Context, listener net.Listener, shutdownTimeout time.Duration) error {
	server := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	discoveryCtx, stopDiscovery := context.WithCancel(ctx)
	defer stopDiscovery()
	if err := a.StartDiscovery(discoveryCtx); err != nil {
		listener.Close()
		return err
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(listener) }()
	a.logger.Info("tokenbridge serving", slog.String("address", listener.Addr().String()),
		slog.String("public_url", a.publicURL))

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.logger.Info("shutting down; finishing requests in flight", slog.Duration("timeout", shutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	a.logger.Info("tokenbridge stopped")
	return nil
}
