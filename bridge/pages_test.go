package bridge_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenbridge/tokenbridge/appwrite"
	"github.com/tokenbridge/tokenbridge/internal/testop"
)

func appwriteUser(id, email string) appwrite.CreateUserRequest {
	return appwrite.CreateUserRequest{UserID: id, Email: email}
}

func TestLoginRejectsReturnURLs(t *testing.T) {
	tests := []struct {
		name, success, failure string
		expectText             string
	}{
		{"missing success", "", failureURL, "incomplete"},
		{"success not allowed", "https://evil.test/done", failureURL, "not valid"},
		{"failure not allowed", successURL, "https://evil.test/failed", "not valid"},
		{"look-alike host", "http://127.0.0.1.evil.test/done", "", "not valid"},
		{"javascript scheme", "javascript:alert(1)", "", "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			r := newBrowser(t).get(t, s.loginURL(tt.success, tt.failure))
			expectPage(t, r, http.StatusBadRequest, tt.expectText)
			if cookies := r.header.Values("Set-Cookie"); len(cookies) != 0 {
				t.Errorf("a rejected login set cookies: %v", cookies)
			}
			if n := s.op.Count(testop.EndpointAuthorize); n != 0 {
				t.Errorf("the browser reached the provider %d times", n)
			}
		})
	}
}

func TestLoginDuplicateSuccessParameter(t *testing.T) {
	s := newStack(t, stackOptions{})
	raw := s.bridge.URL + "/login/" + providerID + "?success=" + url.QueryEscape(successURL) + "&success=" + url.QueryEscape("http://127.0.0.1:9/failed")
	expectPage(t, newBrowser(t).get(t, raw), http.StatusBadRequest, "not valid")
}

func TestUnknownProvider(t *testing.T) {
	s := newStack(t, stackOptions{})
	r := newBrowser(t).get(t, s.bridge.URL+"/login/nope?success="+url.QueryEscape(successURL))
	expectPage(t, r, http.StatusNotFound, "Unknown sign-in provider")
}

func TestFailureWithoutFailureURLShowsPage(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.op.SetIDTokenFaults(testop.IDTokenFaults{BadSignature: true})
	r := newBrowser(t).get(t, s.loginURL(successURL, ""))
	expectPage(t, r, http.StatusUnauthorized, "could not be verified")
	if !strings.Contains(r.body, "invalid_token") {
		t.Errorf("page lacks the error code")
	}
	if strings.Contains(r.body, "signature") {
		t.Errorf("page leaks the internal cause: %s", r.body)
	}
}

func TestCallbackWithoutFlow(t *testing.T) {
	tests := []struct {
		name, query string
	}{
		{"no state", "code=abc"},
		{"unknown state", "code=abc&state=unknown"},
		{"oversized state", "code=abc&state=" + strings.Repeat("a", 5000)},
		{"two states", "code=abc&state=a&state=b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			r := newBrowser(t).get(t, s.bridge.URL+"/callback/"+providerID+"?"+tt.query)
			expectPage(t, r, http.StatusBadRequest, "This sign-in expired")
			if n := s.op.Count(testop.EndpointToken); n != 0 {
				t.Errorf("token endpoint called %d times", n)
			}
			if n := s.upstream.calls(); n != 0 {
				t.Errorf("Appwrite called %d times", n)
			}
		})
	}
}

func TestReplayedCallback(t *testing.T) {
	s := newStack(t, stackOptions{})
	b := newBrowser(t)
	// Stop at the bridge's callback to capture its URL and the flow cookie.
	var callback string
	b.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.Contains(req.URL.Path, "/callback/") && callback == "" {
			callback = req.URL.String()
			return http.ErrUseLastResponse
		}
		if strings.HasPrefix(req.URL.String(), appOrigin) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	b.get(t, s.loginURL(successURL, failureURL))
	if callback == "" {
		t.Fatal("never reached the callback")
	}
	cookies := b.client.Jar.Cookies(mustParse(t, s.bridge.URL))

	expectSuccess(t, b.get(t, callback))
	tokens := s.op.Count(testop.EndpointToken)

	// Replay with the original cookie put back, as an attacker holding a copy would.
	replay := newBrowser(t)
	replay.client.Jar.SetCookies(mustParse(t, s.bridge.URL), cookies)
	expectPage(t, replay.get(t, callback), http.StatusBadRequest, "This sign-in expired")
	if n := s.op.Count(testop.EndpointToken) - tokens; n != 0 {
		t.Errorf("replay reached the token endpoint %d times", n)
	}
}

func TestTamperedFlowCookie(t *testing.T) {
	s := newStack(t, stackOptions{})
	b := newBrowser(t)
	b.client.CheckRedirect = stopAtProvider(s)
	start := b.get(t, s.loginURL(successURL, failureURL))
	base := mustParse(t, s.bridge.URL)
	var tampered []*http.Cookie
	for _, c := range b.client.Jar.Cookies(base) {
		c.Value = c.Value[:len(c.Value)-4] + "AAAA"
		tampered = append(tampered, c)
	}
	if len(tampered) != 1 {
		t.Fatalf("want one flow cookie, have %d", len(tampered))
	}
	b.client.Jar.SetCookies(base, tampered)
	b.client.CheckRedirect = newBrowser(t).client.CheckRedirect
	expectPage(t, b.get(t, start.location.String()), http.StatusBadRequest, "This sign-in expired")
	if n := s.op.Count(testop.EndpointToken); n != 0 {
		t.Errorf("token endpoint called %d times", n)
	}
}

func TestFlowCookieAttributes(t *testing.T) {
	s := newStack(t, stackOptions{})
	b := newBrowser(t)
	b.client.CheckRedirect = stopAtProvider(s)
	r := b.get(t, s.loginURL(successURL, failureURL))
	setCookies := r.header.Values("Set-Cookie")
	if len(setCookies) != 1 {
		t.Fatalf("Set-Cookie headers: %v", setCookies)
	}
	c := setCookies[0]
	for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Max-Age=600", "Path=/"} {
		if !strings.Contains(c, attr) {
			t.Errorf("flow cookie lacks %s: %s", attr, c)
		}
	}
	if strings.Contains(c, "Secure") {
		t.Errorf("flow cookie is Secure on an http public URL: %s", c)
	}
	if len(c) > 4096 {
		t.Errorf("flow cookie is %d bytes", len(c))
	}
	if !strings.HasPrefix(c, "tb_flow_") {
		t.Errorf("flow cookie name: %s", c)
	}

	q := r.location.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Errorf("authorization request lacks PKCE, nonce or state: %v", q)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newStack(t, stackOptions{})
	for _, path := range []string{"/", "/login/" + providerID + "?success=" + url.QueryEscape(successURL), "/callback/" + providerID} {
		b := newBrowser(t)
		b.client.CheckRedirect = stopAtProvider(s)
		r := b.get(t, s.bridge.URL+path)
		checks := map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"Cache-Control":          "no-store",
			"X-Frame-Options":        "DENY",
		}
		for header, want := range checks {
			if got := r.header.Get(header); got != want {
				t.Errorf("%s: %s = %q, want %q", path, header, got, want)
			}
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy = %q", path, csp)
		}
	}
}

func TestChooserKeepsReturnURLs(t *testing.T) {
	s := newStack(t, stackOptions{})
	r := newBrowser(t).get(t, s.bridge.URL+"/?success="+url.QueryEscape(successURL)+"&failure="+url.QueryEscape(failureURL))
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	if !strings.Contains(r.body, "Continue with Test provider") {
		t.Errorf("chooser lacks the provider: %s", r.body)
	}
	wantLink := "/login/test?failure=" + url.QueryEscape(failureURL) + "&amp;success=" + url.QueryEscape(successURL)
	if !strings.Contains(r.body, wantLink) {
		t.Errorf("chooser link does not keep success and failure; want %s in %s", wantLink, r.body)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	s := newStack(t, stackOptions{})
	b := newBrowser(t)
	if r := b.get(t, s.bridge.URL+"/healthz"); r.status != http.StatusOK {
		t.Errorf("/healthz = %d", r.status)
	}
	if r := b.get(t, s.bridge.URL+"/readyz"); r.status != http.StatusOK {
		t.Errorf("/readyz = %d: %s", r.status, r.body)
	}
}

func TestReadinessFalseWhenAppwriteDown(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.upstream.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusBadGateway)
		return true
	})
	r := newBrowser(t).get(t, s.bridge.URL+"/readyz")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "appwrite") {
		t.Errorf("/readyz = %d %s, want 503 naming appwrite", r.status, r.body)
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
