package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/tokenbridge/tokenbridge/accounts"
	"github.com/tokenbridge/tokenbridge/appwrite"
	"github.com/tokenbridge/tokenbridge/bridge"
	"github.com/tokenbridge/tokenbridge/config"
	"github.com/tokenbridge/tokenbridge/providers"
	"github.com/tokenbridge/tokenbridge/returnurl"
)

// discoveryTimeout bounds loading the development provider's discovery
// document, which is served by the same process.
const discoveryTimeout = 10 * time.Second

// devBridge is the bridge wired from a generated configuration.
type devBridge struct {
	handler   *bridge.Handler
	providers []*providers.Provider
}

// newBridge wires the bridge from cfg the way "tokenbridge serve" does,
// for the settings a generated configuration uses: no trusted proxies and
// no risky settings to warn about.
//
// NOTE: this repeats part of the wiring in cmd/tokenbridge/build.go, which
// a test cannot import. A setting added there also needs adding here.
func newBridge(cfg *config.Config, logger *slog.Logger) (*devBridge, error) {
	publicURL, err := url.Parse(cfg.Server.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("server.public_url: %w", err)
	}
	allow, err := returnurl.Parse(cfg.ReturnURLs)
	if err != nil {
		return nil, fmt.Errorf("return_urls: %w", err)
	}

	keys := make([]bridge.KeyPair, 0, len(cfg.Flow.Keys))
	for i, key := range cfg.Flow.Keys {
		hash, encryption, err := key.Decode()
		if err != nil {
			return nil, fmt.Errorf("flow.keys[%d]: %w", i, err)
		}
		keys = append(keys, bridge.KeyPair{HashKey: hash, EncryptionKey: encryption})
	}

	client, err := appwrite.New(appwrite.Config{
		Endpoint:  cfg.Appwrite.Endpoint,
		ProjectID: cfg.Appwrite.ProjectID,
		APIKey:    cfg.Appwrite.APIKey.Reveal(),
		Timeout:   cfg.Appwrite.Timeout,
		UserAgent: "tokenbridge-dev",
	})
	if err != nil {
		return nil, fmt.Errorf("appwrite: %w", err)
	}

	httpClient := &http.Client{Timeout: 10 * time.Second}
	b := &devBridge{}
	var list []bridge.Provider
	for _, pc := range cfg.Providers {
		p, err := providers.New(providers.Config{
			ID:              pc.ID,
			Name:            pc.Name,
			Issuer:          pc.Issuer,
			ClientID:        pc.ClientID,
			ClientSecret:    pc.ClientSecret.Reveal(),
			Scopes:          pc.Scopes,
			AuthParams:      pc.AuthParams,
			TokenAuthMethod: pc.TokenAuthMethod,
			Algorithms:      pc.Algorithms,
			ClockSkew:       pc.ClockSkew,
			UserInfo:        pc.UserInfo,
			RedirectURL:     bridge.CallbackURL(publicURL, pc.ID),
		}, httpClient)
		if err != nil {
			return nil, err
		}
		list = append(list, bridge.Provider{Provider: p, Policy: accounts.Policy{LinkByEmail: pc.LinkByEmail}})
		b.providers = append(b.providers, p)
	}

	b.handler, err = bridge.New(bridge.Options{
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
		RateLimit: bridge.RateLimit{RequestsPerMinute: cfg.Server.RateLimit.RequestsPerMinute, Burst: cfg.Server.RateLimit.Burst},
		Logger:    logger,
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// discover loads every provider's discovery document. The providers run in
// this process and already serve, so a failure is fatal rather than retried.
func (b *devBridge) discover(ctx context.Context) error {
	for _, p := range b.providers {
		attemptCtx, cancel := context.WithTimeout(ctx, discoveryTimeout)
		err := p.Discover(attemptCtx)
		cancel()
		if err != nil {
			return fmt.Errorf("load the discovery document of provider %q: %w", p.ID(), err)
		}
	}
	return nil
}
