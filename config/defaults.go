package config

import (
	"strings"
	"time"
)

// Defaults, each documented in config.example.yaml.
const (
	defaultListen            = "127.0.0.1:8080"
	defaultLogFormat         = "text"
	defaultLogLevel          = "info"
	defaultShutdownTimeout   = 15 * time.Second
	defaultRequestsPerMinute = 60
	defaultBurst             = 20
	defaultTokenLength       = 64
	defaultTokenExpiry       = 60 * time.Second
	defaultAppwriteTimeout   = 10 * time.Second
	defaultCookieName        = "tb_flow"
	defaultFlowLifetime      = 10 * time.Minute
	defaultMaxPending        = 5
	defaultTokenAuthMethod   = "auto"
	defaultClockSkew         = 2 * time.Minute
	defaultPreset            = "oidc"
)

var (
	defaultScopes     = []string{"openid", "email", "profile"}
	defaultAlgorithms = []string{"RS256", "ES256"}
)

// applyDefaults fills every setting that has a default. A string setting
// takes its default when it is empty. Any other setting takes it when its
// key is absent or null, which set tells by holding only the key paths
// written with a value. So an explicit 0 or [] stays and meets validation.
// It also trims the trailing slashes that URL joining would double.
func applyDefaults(c *Config, set map[string]bool) {
	c.Server.PublicURL = strings.TrimRight(c.Server.PublicURL, "/")
	c.Appwrite.Endpoint = strings.TrimRight(c.Appwrite.Endpoint, "/")

	defaultString(&c.Server.Listen, defaultListen)
	defaultString(&c.Server.LogFormat, defaultLogFormat)
	defaultString(&c.Server.LogLevel, defaultLogLevel)
	if !set["server.shutdown_timeout"] {
		c.Server.ShutdownTimeout = defaultShutdownTimeout
	}
	if !set["server.rate_limit.requests_per_minute"] {
		c.Server.RateLimit.RequestsPerMinute = defaultRequestsPerMinute
	}
	if !set["server.rate_limit.burst"] {
		c.Server.RateLimit.Burst = defaultBurst
	}

	if !set["appwrite.token_length"] {
		c.Appwrite.TokenLength = defaultTokenLength
	}
	if !set["appwrite.token_expiry"] {
		c.Appwrite.TokenExpiry = defaultTokenExpiry
	}
	if !set["appwrite.timeout"] {
		c.Appwrite.Timeout = defaultAppwriteTimeout
	}

	defaultString(&c.Flow.CookieName, defaultCookieName)
	if !set["flow.lifetime"] {
		c.Flow.Lifetime = defaultFlowLifetime
	}
	if !set["flow.max_pending"] {
		c.Flow.MaxPending = defaultMaxPending
	}

	for i := range c.Providers {
		p := &c.Providers[i]
		path := providerPath(i)
		defaultString(&p.Name, p.ID)
		defaultString(&p.Preset, defaultPreset)
		defaultString(&p.TokenAuthMethod, defaultTokenAuthMethod)
		if !set[path+".scopes"] {
			p.Scopes = append([]string(nil), defaultScopes...)
		}
		if !set[path+".algorithms"] {
			p.Algorithms = append([]string(nil), defaultAlgorithms...)
		}
		if !set[path+".clock_skew"] {
			p.ClockSkew = defaultClockSkew
		}
	}
}

func defaultString(s *string, value string) {
	if *s == "" {
		*s = value
	}
}
