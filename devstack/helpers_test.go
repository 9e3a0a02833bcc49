package devstack

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// testProvider is a development provider served on 127.0.0.1 with an
// OAuth client configured for it.
type testProvider struct {
	provider *Provider
	issuer   string
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
	http     *http.Client // follows no redirects
}

// startTestProvider serves a provider whose redirect URI is an httptest
// server that returns 204. The tests read redirects to it without following them.
func startTestProvider(t *testing.T, identities []Identity) *testProvider {
	t.Helper()

	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(callback.Close)

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	issuer := "http://" + listener.Addr().String()
	secret := "test-secret-" + randomHex(8)
	p, err := NewProvider(ProviderConfig{
		Issuer:       issuer,
		ClientID:     "test-client",
		ClientSecret: secret,
		RedirectURI:  callback.URL + "/callback",
		Identities:   identities,
	})
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	server := httptest.NewUnstartedServer(p)
	server.Listener.Close()
	server.Listener = listener
	server.Start()
	t.Cleanup(server.Close)

	ctx := context.Background()
	discovered, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	endpoint := discovered.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return &testProvider{
		provider: p,
		issuer:   issuer,
		oauth: &oauth2.Config{
			ClientID:     "test-client",
			ClientSecret: secret,
			Endpoint:     endpoint,
			RedirectURL:  callback.URL + "/callback",
			Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
		},
		verifier: discovered.Verifier(&oidc.Config{ClientID: "test-client"}),
		http: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

// clientFlow is what a client keeps during one authorization request.
type clientFlow struct {
	state    string
	nonce    string
	verifier string
}

func newClientFlow() clientFlow {
	return clientFlow{state: randomHex(16), nonce: randomHex(16), verifier: oauth2.GenerateVerifier()}
}

// authURL is the authorization URL with PKCE S256 and the nonce.
func (tp *testProvider) authURL(f clientFlow) string {
	return tp.oauth.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.verifier), oidc.Nonce(f.nonce))
}

// get sends a GET and returns the response, without following redirects.
func (tp *testProvider) get(t *testing.T, rawURL string) *http.Response {
	t.Helper()
	resp, err := tp.http.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// post sends a form to the provider and returns the response, without
// following redirects.
func (tp *testProvider) post(t *testing.T, path string, form url.Values) *http.Response {
	t.Helper()
	resp, err := tp.http.PostForm(tp.issuer+path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// openSignIn follows /authorize to the sign-in page and returns the auth
// request ID from its URL.
func (tp *testProvider) openSignIn(t *testing.T, authURL string) string {
	t.Helper()
	resp := tp.get(t, authURL)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET /authorize: status %d, want 302", resp.StatusCode)
	}
	location, err := resp.Location()
	if err != nil {
		t.Fatalf("GET /authorize: %v", err)
	}
	if location.Path != "/login" {
		t.Fatalf("GET /authorize redirected to %s, want the sign-in page /login", location.Redacted())
	}
	id := location.Query().Get("id")
	if id == "" {
		t.Fatal("the sign-in page URL has no id")
	}
	return id
}

// leaveProvider follows the provider's own redirects from resp and
// returns the first URL outside the provider: the client's redirect URI
// with its query.
func (tp *testProvider) leaveProvider(t *testing.T, resp *http.Response) *url.URL {
	t.Helper()
	for range 5 {
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("status %d, want a 302 towards the client", resp.StatusCode)
		}
		location, err := resp.Location()
		if err != nil {
			t.Fatalf("redirect: %v", err)
		}
		if !strings.HasPrefix(location.String(), tp.issuer+"/") {
			return location
		}
		resp = tp.get(t, location.String())
	}
	t.Fatal("more than 5 redirects inside the provider")
	return nil
}
