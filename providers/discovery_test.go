package providers_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tokenbridge/tokenbridge/internal/testop"
	"github.com/tokenbridge/tokenbridge/providers"
)

func newTestProvider(t *testing.T, op *testop.Provider, change func(*providers.Config)) *providers.Provider {
	t.Helper()
	cfg := providers.Config{
		ID: "test", Issuer: op.Issuer(), ClientID: op.ClientID(), ClientSecret: op.ClientSecret(),
		Scopes: []string{"openid"}, RedirectURL: "http://127.0.0.1:9/callback/test",
	}
	if change != nil {
		change(&cfg)
	}
	p, err := providers.New(cfg, &http.Client{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("providers.New: %v", err)
	}
	return p
}

func TestDiscoverIssuerMismatch(t *testing.T) {
	t.Parallel()
	op := testop.New(t)
	const other = "http://127.0.0.1:1/other-tenant"
	op.SetDiscoveryFaults(testop.DiscoveryFaults{Issuer: other})
	p := newTestProvider(t, op, nil)

	err := p.Discover(context.Background())
	if !errors.Is(err, providers.ErrIssuerMismatch) {
		t.Fatalf("Discover error = %v, want ErrIssuerMismatch", err)
	}
	for _, value := range []string{op.Issuer(), other} {
		if !strings.Contains(err.Error(), value) {
			t.Errorf("error %q does not name %q", err, value)
		}
	}
	if p.Ready() {
		t.Error("provider is ready after an issuer mismatch")
	}

	// Run gives up at once: retrying cannot fix the configuration.
	retried := false
	err = p.Run(context.Background(), func(error, time.Duration) { retried = true })
	if !errors.Is(err, providers.ErrIssuerMismatch) || retried {
		t.Errorf("Run = %v, retried %v; want ErrIssuerMismatch without a retry", err, retried)
	}
}

func TestDiscoverAlgorithmsWithoutOverlap(t *testing.T) {
	t.Parallel()
	op := testop.New(t, testop.WithSigningAlgorithm(jose.ES256))
	p := newTestProvider(t, op, func(c *providers.Config) { c.Algorithms = []string{"RS256"} })
	err := p.Discover(context.Background())
	if err == nil || errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("Discover error = %v, want a configuration error", err)
	}
	if !strings.Contains(err.Error(), "RS256") || !strings.Contains(err.Error(), "ES256") {
		t.Errorf("error %q does not name both algorithm lists", err)
	}
}

func TestRunRetriesUntilDiscoveryLoads(t *testing.T) {
	t.Parallel()
	op := testop.New(t)
	op.SetDiscoveryFaults(testop.DiscoveryFaults{Failures: 1})
	p := newTestProvider(t, op, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var waits []time.Duration
	if err := p.Run(ctx, func(err error, wait time.Duration) {
		if !errors.Is(err, providers.ErrUnavailable) {
			t.Errorf("retried error %v does not wrap ErrUnavailable", err)
		}
		waits = append(waits, wait)
	}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(waits) != 1 || waits[0] != time.Second {
		t.Errorf("retry waits = %v, want [1s]", waits)
	}
	if !p.Ready() {
		t.Error("provider is not ready after Run returned nil")
	}
	if n := op.Count(testop.EndpointDiscovery); n != 2 {
		t.Errorf("discovery requests = %d, want 2", n)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	t.Parallel()
	op := testop.New(t)
	op.SetDiscoveryFaults(testop.DiscoveryFaults{Failures: 1000})
	p := newTestProvider(t, op, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := p.Run(ctx, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want context.DeadlineExceeded", err)
	}
	if p.Ready() {
		t.Error("provider is ready while discovery keeps failing")
	}
	if _, err := p.AuthCodeURL("state", "nonce", strings.Repeat("v", 43)); !errors.Is(err, providers.ErrNotReady) {
		t.Errorf("AuthCodeURL before discovery = %v, want ErrNotReady", err)
	}
}
