package bridge_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tokenbridge/tokenbridge/bridge"
	"github.com/tokenbridge/tokenbridge/internal/testop"
)

// pendingFlow is a flow stopped at the provider: the provider's redirect
// back to the bridge has not been followed yet.
type pendingFlow struct {
	callback string // the callback URL with code and state
	cookies  []*http.Cookie
}

// startFlow runs /login and the provider's authorization step in b and
// stops before the callback.
func startFlow(t *testing.T, s *stack, b *browser) pendingFlow {
	t.Helper()
	follow := b.client.CheckRedirect
	defer func() { b.client.CheckRedirect = follow }()
	var callback string
	b.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.Contains(req.URL.Path, "/callback/") {
			callback = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}
	b.get(t, s.loginURL(successURL, failureURL))
	if callback == "" {
		t.Fatal("the flow never reached the callback")
	}
	return pendingFlow{callback: callback, cookies: b.client.Jar.Cookies(mustParse(t, s.bridge.URL))}
}

// flowCookie returns the cookie of f among f.cookies. Its name is the
// prefix and the first 8 bytes of the state's SHA-256 in hex.
func flowCookie(t *testing.T, f pendingFlow) *http.Cookie {
	t.Helper()
	sum := sha256.Sum256([]byte(mustParse(t, f.callback).Query().Get("state")))
	name := "tb_flow_" + hex.EncodeToString(sum[:8])
	for _, c := range f.cookies {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cookie named %s among %d cookies", name, len(f.cookies))
	return nil
}

// expectNoUpstream checks that the rejected callbacks reached neither the
// token endpoint nor Appwrite since tokensBefore and appwriteBefore.
func expectNoUpstream(t *testing.T, s *stack, tokensBefore, appwriteBefore int) {
	t.Helper()
	if n := s.op.Count(testop.EndpointToken) - tokensBefore; n != 0 {
		t.Errorf("token endpoint called %d times", n)
	}
	if n := s.upstream.calls() - appwriteBefore; n != 0 {
		t.Errorf("Appwrite called %d times", n)
	}
}

func TestCallbackGarbledState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, state string
	}{
		{"empty", ""},
		{"NUL byte", "%00"},
		{"markup", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"},
		{"non-ASCII", "%C3%A4%E2%80%AE"},
		{"invalid UTF-8", "%FF%FE"},
		{"spaces", "a%20b%20c"},
		{"just over the length bound", strings.Repeat("a", 129)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{})
			b := newBrowser(t)
			f := startFlow(t, s, b)
			code := mustParse(t, f.callback).Query().Get("code")

			raw := s.bridge.URL + "/callback/" + providerID + "?code=" + url.QueryEscape(code) + "&state=" + tt.state
			expectPage(t, b.get(t, raw), http.StatusBadRequest, "This sign-in expired")
			expectNoUpstream(t, s, 0, 0)
		})
	}
}

func TestCallbackWithoutItsCookie(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	f := startFlow(t, s, newBrowser(t))

	// Another browser, such as an attacker's, opens the callback link.
	expectPage(t, newBrowser(t).get(t, f.callback), http.StatusBadRequest, "This sign-in expired")
	expectNoUpstream(t, s, 0, 0)
}

func TestFlowCookieUnderAnotherName(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	first := startFlow(t, s, newBrowser(t))
	second := startFlow(t, s, newBrowser(t))
	firstCookie, secondCookie := flowCookie(t, first), flowCookie(t, second)

	// The first flow's cookie value under the name the second state needs.
	b := newBrowser(t)
	base := mustParse(t, s.bridge.URL)
	b.client.Jar.SetCookies(base, []*http.Cookie{{Name: secondCookie.Name, Value: firstCookie.Value, Path: "/"}})
	expectPage(t, b.get(t, second.callback), http.StatusBadRequest, "This sign-in expired")
	expectNoUpstream(t, s, 0, 0)
}

func TestMorePendingFlowsThanTheBound(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{maxPending: 2})
	b := newBrowser(t)
	oldest := startFlow(t, s, b)
	middle := startFlow(t, s, b)
	newest := startFlow(t, s, b)
	if n := len(b.client.Jar.Cookies(mustParse(t, s.bridge.URL))); n != 2 {
		t.Errorf("the browser keeps %d flow cookies, want 2", n)
	}

	expectPage(t, b.get(t, oldest.callback), http.StatusBadRequest, "This sign-in expired")
	expectNoUpstream(t, s, 0, 0)
	expectSuccess(t, b.get(t, middle.callback))
	expectSuccess(t, b.get(t, newest.callback))
}

func TestConcurrentReplaysMintOneToken(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	f := startFlow(t, s, newBrowser(t))
	base := mustParse(t, s.bridge.URL)

	const attempts = 10
	results := make([]result, attempts)
	var wg sync.WaitGroup
	for i := range attempts {
		b := newBrowser(t)
		b.client.Jar.SetCookies(base, f.cookies)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = b.get(t, f.callback)
		}()
	}
	wg.Wait()

	successes := 0
	for i, r := range results {
		switch {
		case r.status == http.StatusFound && r.location != nil && r.location.Path == "/done":
			successes++
		case r.status != http.StatusBadRequest:
			t.Errorf("attempt %d: status %d, want 302 or 400", i, r.status)
		}
	}
	if successes != 1 {
		t.Errorf("%d of %d copies of one callback succeeded, want 1", successes, attempts)
	}
	if n := s.upstream.tokenRequests(); n != 1 {
		t.Errorf("custom tokens requested = %d, want 1", n)
	}
	if n := s.op.Count(testop.EndpointToken); n != 1 {
		t.Errorf("token endpoint calls = %d, want 1", n)
	}
}

func TestSetCookieBoundWithHugeClaims(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.op.SetDefaultIdentity(testop.Identity{
		Subject: "huge-claims",
		Email:   "huge@example.test",
		Name:    strings.Repeat("N", 20000),
		Groups:  []string{strings.Repeat("g", 10000), strings.Repeat("h", 10000)},
		Extra:   map[string]any{"picture": strings.Repeat("p", 50000)},
	})
	b := newRecordingBrowser(t)
	expectSuccess(t, b.get(t, s.loginURL(successURL, failureURL)))

	cookies := 0
	for _, h := range b.recorded() {
		for _, c := range h.header.Values("Set-Cookie") {
			cookies++
			if len(c) >= 4096 {
				t.Errorf("%s set a cookie of %d bytes", h.url, len(c))
			}
		}
	}
	if cookies < 2 {
		t.Errorf("saw %d Set-Cookie headers, want the flow cookie and its deletion", cookies)
	}
}

func TestLongReturnURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		queryLength int
		expectOK    bool
	}{
		{"short", 100, true},
		{"medium", 700, true},
		{"too long for one cookie", 1900, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{})
			b := newBrowser(t)
			b.client.CheckRedirect = stopAtProvider(s)
			success := appOrigin + "/done?app=1&pad=" + strings.Repeat("s", tt.queryLength)
			failure := appOrigin + "/failed?pad=" + strings.Repeat("f", tt.queryLength)
			r := b.get(t, s.loginURL(success, failure))

			for _, c := range r.header.Values("Set-Cookie") {
				if len(c) >= 4096 {
					t.Errorf("Set-Cookie of %d bytes", len(c))
				}
			}
			if !tt.expectOK {
				expectPage(t, r, http.StatusBadRequest, "This sign-in link is not valid")
				if cookies := r.header.Values("Set-Cookie"); len(cookies) != 0 {
					t.Errorf("a rejected login set cookies: %d", len(cookies))
				}
				return
			}
			if r.status != http.StatusFound || r.location == nil || !strings.HasPrefix(r.location.String(), s.op.URL()) {
				t.Fatalf("status %d, want a redirect to the provider", r.status)
			}
			b.client.CheckRedirect = newBrowser(t).client.CheckRedirect
			expectSuccess(t, b.get(t, r.location.String()))
		})
	}
}

func TestCookieKeyRotation(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	oldKey := s.keys[0]
	newKey := bridge.KeyPair{HashKey: randomBytes(64), EncryptionKey: randomBytes(16)}
	setKeys := func(keys ...bridge.KeyPair) {
		s.rebuild(t, func(o *bridge.Options) { o.Flow.Keys = keys })
	}

	// A flow begun before the rotation finishes after it.
	b := newBrowser(t)
	before := startFlow(t, s, b)
	setKeys(newKey, oldKey)
	expectSuccess(t, b.get(t, before.callback))

	// The first pair signs: a flow begun now survives dropping the old key.
	during := startFlow(t, s, b)
	setKeys(newKey)
	expectSuccess(t, b.get(t, during.callback))

	// A cookie signed with a key that was removed no longer verifies.
	setKeys(oldKey)
	stale := startFlow(t, s, b)
	setKeys(newKey)
	tokens := s.op.Count(testop.EndpointToken)
	appwriteCalls := s.upstream.calls()
	expectPage(t, b.get(t, stale.callback), http.StatusBadRequest, "This sign-in expired")
	expectNoUpstream(t, s, tokens, appwriteCalls)
}

func TestFlowCookieDeletedAtCallback(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	b := newBrowser(t)
	f := startFlow(t, s, b)
	name := flowCookie(t, f).Name

	r := b.get(t, f.callback)
	expectSuccess(t, r)
	var deletion string
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, name+"=") {
			deletion = c
		}
	}
	if deletion == "" {
		t.Fatalf("the callback did not delete the flow cookie; Set-Cookie: %v", r.header.Values("Set-Cookie"))
	}
	for _, attr := range []string{name + "=;", "Max-Age=0", "Path=/", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(deletion, attr) {
			t.Errorf("deletion cookie lacks %q: %s", attr, deletion)
		}
	}
	if n := len(b.client.Jar.Cookies(mustParse(t, s.bridge.URL))); n != 0 {
		t.Errorf("the browser still holds %d cookies after the callback", n)
	}
}

func TestFlowCookieSecureBehindHTTPS(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	public := mustParse(t, strings.Replace(s.bridge.URL, "http://", "https://", 1)+"/auth/")
	s.rebuild(t, func(o *bridge.Options) { o.PublicURL = public })

	b := newBrowser(t)
	b.client.CheckRedirect = stopAtProvider(s)
	r := b.get(t, s.loginURL(successURL, failureURL))
	cookies := r.header.Values("Set-Cookie")
	if len(cookies) != 1 {
		t.Fatalf("Set-Cookie headers: %v", cookies)
	}
	for _, attr := range []string{"Secure", "HttpOnly", "SameSite=Lax", "Path=/auth/"} {
		if !strings.Contains(cookies[0], attr) {
			t.Errorf("flow cookie behind an https public URL lacks %s: %s", attr, cookies[0])
		}
	}
}
