package bridge_test

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenbridge/tokenbridge/bridge"
	"github.com/tokenbridge/tokenbridge/internal/testop"
)

// expectSecurityHeaders checks the headers every page and redirect carries.
func expectSecurityHeaders(t *testing.T, label string, header http.Header) {
	t.Helper()
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
		"Cache-Control":          "no-store",
	}
	for name, value := range want {
		if got := header.Get(name); got != value {
			t.Errorf("%s: %s = %q, want %q", label, name, got, value)
		}
	}
	csp := header.Get("Content-Security-Policy")
	for _, directive := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, directive) {
			t.Errorf("%s: Content-Security-Policy %q lacks %s", label, csp, directive)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-") {
		t.Errorf("%s: Content-Security-Policy %q allows scripts or unsafe sources", label, csp)
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{rateLimit: bridge.RateLimit{RequestsPerMinute: 1, Burst: 30}})

	// Every hop of a successful and of a failed login.
	b := newRecordingBrowser(t)
	expectSuccess(t, b.get(t, s.loginURL(successURL, failureURL)))
	s.op.SetAuthorizeFaults(testop.AuthorizeFaults{Error: "access_denied"})
	expectFailure(t, b.get(t, s.loginURL(successURL, failureURL)), "access_denied")
	s.op.ResetFaults()
	for _, h := range b.recorded() {
		if strings.HasPrefix(h.url, s.op.URL()) {
			continue // the provider's own answers
		}
		expectSecurityHeaders(t, h.url, h.header)
	}

	pages := []string{
		"/",
		"/login/" + providerID + "?success=" + url.QueryEscape("https://evil.test/"),
		"/login/nope?success=" + url.QueryEscape(successURL),
		"/callback/" + providerID + "?code=x&state=y",
		"/no-such-page",
		"/readyz",
	}
	for _, path := range pages {
		r := newBrowser(t).get(t, s.bridge.URL+path)
		expectSecurityHeaders(t, path, r.header)
	}

	// The rate-limit page, after the burst is spent.
	var limited *result
	for range 40 {
		r := newBrowser(t).get(t, s.bridge.URL+"/callback/"+providerID)
		if r.status == http.StatusTooManyRequests {
			limited = &r
			break
		}
	}
	if limited == nil {
		t.Fatal("the rate limit never answered 429")
	}
	expectSecurityHeaders(t, "rate-limit page", limited.header)
}

func TestRateLimitPerClientIP(t *testing.T) {
	t.Parallel()
	_, loopback, _ := net.ParseCIDR("127.0.0.1/32")
	_, elsewhere, _ := net.ParseCIDR("10.0.0.0/8")
	tests := []struct {
		name              string
		givenProxies      []*net.IPNet
		givenForwardedFor [3]string // the X-Forwarded-For of three requests
		expectThird       int
	}{
		{"same client", nil, [3]string{"", "", ""}, http.StatusTooManyRequests},
		{"forwarded header ignored without trusted proxies", nil,
			[3]string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}, http.StatusTooManyRequests},
		{"forwarded header ignored from an untrusted peer", []*net.IPNet{elsewhere},
			[3]string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}, http.StatusTooManyRequests},
		{"trusted proxy, another client", []*net.IPNet{loopback},
			[3]string{"203.0.113.1", "203.0.113.1", "203.0.113.2"}, http.StatusFound},
		{"trusted proxy, same client", []*net.IPNet{loopback},
			[3]string{"203.0.113.1", "203.0.113.1", "203.0.113.1"}, http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{
				rateLimit:      bridge.RateLimit{RequestsPerMinute: 1, Burst: 2},
				trustedProxies: tt.givenProxies,
			})
			var statuses []int
			for _, forwardedFor := range tt.givenForwardedFor {
				statuses = append(statuses, loginStatus(t, s, forwardedFor))
			}
			if statuses[0] != http.StatusFound || statuses[1] != http.StatusFound {
				t.Fatalf("first two logins answered %v, want 302", statuses[:2])
			}
			if statuses[2] != tt.expectThird {
				t.Errorf("third login answered %d, want %d", statuses[2], tt.expectThird)
			}
		})
	}
}

// loginStatus sends one /login request with an optional X-Forwarded-For
// header and returns the status, without following the redirect.
func loginStatus(t *testing.T, s *stack, forwardedFor string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.loginURL(successURL, failureURL), nil)
	if err != nil {
		t.Fatal(err)
	}
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		body := make([]byte, 4096)
		n, _ := resp.Body.Read(body)
		if !strings.Contains(string(body[:n]), "Too many sign-in attempts") {
			t.Errorf("429 answer is not the rate-limit page: %s", body[:n])
		}
	}
	return resp.StatusCode
}

func TestRateLimitCoversCallback(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{rateLimit: bridge.RateLimit{RequestsPerMinute: 1, Burst: 1}})
	if status := loginStatus(t, s, ""); status != http.StatusFound {
		t.Fatalf("first login answered %d", status)
	}
	r := newBrowser(t).get(t, s.bridge.URL+"/callback/"+providerID+"?code=x&state=y")
	expectPage(t, r, http.StatusTooManyRequests, "Too many sign-in attempts")
	if r := newBrowser(t).get(t, s.bridge.URL+"/healthz"); r.status != http.StatusOK {
		t.Errorf("/healthz is rate limited: %d", r.status)
	}
}
