package bridge_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenbridge/tokenbridge/internal/testop"
	"github.com/tokenbridge/tokenbridge/providers"
)

// secretSet collects every secret value seen during the flows, by kind.
type secretSet map[string]map[string]bool

func (s secretSet) add(kind, value string) {
	if len(value) < 8 {
		return // too short to search for without false alarms
	}
	if s[kind] == nil {
		s[kind] = map[string]bool{}
	}
	s[kind][value] = true
	if escaped := url.QueryEscape(value); escaped != value {
		s[kind][escaped] = true
	}
}

// addBytes adds a key in its raw, hex and base64 forms.
func (s secretSet) addBytes(kind string, key []byte) {
	s.add(kind, string(key))
	s.add(kind, hex.EncodeToString(key))
	s.add(kind, base64.StdEncoding.EncodeToString(key))
	s.add(kind, base64.RawURLEncoding.EncodeToString(key))
}

func TestLogsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	transport := &providerTransport{}
	s := newStack(t, stackOptions{
		providerTransport: transport.wrap,
		providerConfig:    func(c *providers.Config) { c.UserInfo = true },
	})
	secrets := secretSet{}
	var hops []hop

	// run performs one login in a recording browser and keeps its hops.
	run := func(success, failure string) result {
		b := newRecordingBrowser(t)
		r := b.get(t, s.loginURL(success, failure))
		hops = append(hops, b.recorded()...)
		return r
	}

	expectSuccess(t, run(successURL, failureURL))
	expectSuccess(t, run(successURL, ""))

	s.op.SetIDTokenFaults(testop.IDTokenFaults{BadSignature: true})
	expectFailure(t, run(successURL, failureURL), "invalid_token")
	s.op.SetIDTokenFaults(testop.IDTokenFaults{Nonce: "a-forged-nonce-value"})
	expectFailure(t, run(successURL, failureURL), "invalid_token")
	s.op.ResetFaults()
	s.op.SetUserinfoFaults(testop.UserinfoFaults{Subject: "someone-else"})
	expectFailure(t, run(successURL, failureURL), "invalid_token")
	s.op.ResetFaults()
	s.op.SetAuthorizeFaults(testop.AuthorizeFaults{Error: "access_denied", ErrorDescription: "declined"})
	expectFailure(t, run(successURL, failureURL), "access_denied")
	s.op.ResetFaults()
	s.op.SetTokenFaults(testop.TokenFaults{ErrorWithOK: true})
	expectFailure(t, run(successURL, failureURL), "invalid_grant")
	s.op.ResetFaults()

	s.upstream.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/tokens") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	expectFailure(t, run(successURL, failureURL), "upstream_error")
	s.upstream.setFault(nil)

	// A replayed callback and a tampered cookie.
	b := newBrowser(t)
	f := startFlow(t, s, b)
	expectSuccess(t, b.get(t, f.callback))
	replay := newBrowser(t)
	replay.client.Jar.SetCookies(mustParse(t, s.bridge.URL), f.cookies)
	expectPage(t, replay.get(t, f.callback), http.StatusBadRequest, "This sign-in expired")
	tampered := startFlow(t, s, newBrowser(t))
	forged := newBrowser(t)
	cookie := flowCookie(t, tampered)
	forged.client.Jar.SetCookies(mustParse(t, s.bridge.URL), []*http.Cookie{{Name: cookie.Name, Value: "x" + cookie.Value[1:], Path: "/"}})
	expectPage(t, forged.get(t, tampered.callback), http.StatusBadRequest, "This sign-in expired")

	// Secrets the browser saw: state, nonce and code challenge on the way
	// to the provider, the code on the way back, cookie values, and the
	// token secret in the success URL.
	for _, flow := range []pendingFlow{f, tampered} {
		secrets.add("authorization code", mustParse(t, flow.callback).Query().Get("code"))
		secrets.add("state", mustParse(t, flow.callback).Query().Get("state"))
		for _, c := range flow.cookies {
			secrets.add("cookie value", c.Value)
		}
	}
	for _, h := range hops {
		u := mustParse(t, h.url)
		q := u.Query()
		secrets.add("authorization code", q.Get("code"))
		secrets.add("state", q.Get("state"))
		secrets.add("nonce", q.Get("nonce"))
		secrets.add("code challenge", q.Get("code_challenge"))
		secrets.add("token secret", q.Get("secret"))
		if loc := h.header.Get("Location"); loc != "" {
			lq := mustParse(t, loc).Query()
			secrets.add("state", lq.Get("state"))
			secrets.add("nonce", lq.Get("nonce"))
			secrets.add("code challenge", lq.Get("code_challenge"))
			secrets.add("token secret", lq.Get("secret"))
		}
		for _, c := range (&http.Response{Header: h.header}).Cookies() {
			secrets.add("cookie value", c.Value)
		}
	}

	// Secrets between the bridge and the provider: the token request and
	// response, and the userinfo request.
	for _, rec := range transport.records() {
		form, _ := url.ParseQuery(rec.requestBody)
		secrets.add("authorization code", form.Get("code"))
		secrets.add("PKCE code verifier", form.Get("code_verifier"))
		secrets.add("client secret", form.Get("client_secret"))
		if scheme, value, ok := strings.Cut(rec.authorization, " "); ok {
			secrets.add(scheme+" authorization", value)
		}
		var body map[string]any
		if json.Unmarshal([]byte(rec.responseBody), &body) == nil {
			for _, field := range []string{"access_token", "id_token", "refresh_token"} {
				if value, ok := body[field].(string); ok {
					secrets.add(field, value)
					if parts := strings.Split(value, "."); len(parts) == 3 {
						secrets.add(field+" signature", parts[2])
					}
				}
			}
		}
	}

	// Configured secrets.
	secrets.add("client secret", s.op.ClientSecret())
	secrets.add("API key", testAPIKey)
	for _, key := range s.keys {
		secrets.addBytes("cookie hash key", key.HashKey)
		secrets.addBytes("cookie encryption key", key.EncryptionKey)
	}

	for _, kind := range []string{"authorization code", "state", "nonce", "code challenge", "PKCE code verifier",
		"access_token", "id_token", "token secret", "client secret", "cookie value", "Bearer authorization"} {
		if len(secrets[kind]) == 0 {
			t.Errorf("no %s was captured, so the check below proves nothing for it", kind)
		}
	}

	logs := s.logs.String()
	if !strings.Contains(logs, `"level":"DEBUG"`) || !strings.Contains(logs, "login finished") {
		t.Fatalf("the captured log lacks debug or info lines:\n%s", logs)
	}
	for kind, values := range secrets {
		for value := range values {
			if strings.Contains(logs, value) {
				t.Errorf("the log contains a %s", kind)
			}
		}
	}
}
