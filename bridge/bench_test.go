package bridge_test

import (
	"net/http"
	"strings"
	"testing"
)

// BenchmarkLoginReturningUser measures one whole login of a returning user:
// /login, the test provider's authorization endpoint, and /callback with its
// token exchange, ID token verification, Appwrite read and custom token. The
// provider and the Appwrite emulator run in the same process, so the figure
// includes their work (RSA signing, above all).
func BenchmarkLoginReturningUser(b *testing.B) {
	s := newStack(b, stackOptions{})
	expectSuccess(b, s.login(b))
	b.ReportAllocs()
	for b.Loop() {
		expectSuccess(b, s.login(b))
	}
}

// BenchmarkCallbackReturningUser measures the callback request alone: the
// browser stand-in reaches the provider untimed, then the timed part runs
// from the provider's redirect to the bridge's redirect to the app.
func BenchmarkCallbackReturningUser(b *testing.B) {
	s := newStack(b, stackOptions{})
	expectSuccess(b, s.login(b))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		browser := newBrowser(b)
		var callback string
		browser.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if strings.Contains(req.URL.Path, "/callback/") {
				callback = req.URL.String()
				return http.ErrUseLastResponse
			}
			return nil
		}
		browser.get(b, s.loginURL(successURL, failureURL))
		browser.client.CheckRedirect = newBrowser(b).client.CheckRedirect
		b.StartTimer()

		expectSuccess(b, browser.get(b, callback))
	}
}
