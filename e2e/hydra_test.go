package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hydraBinaryEnv names the ORY Hydra v2.3.0 binary. Without it the tests
// look in the cache folder that tools/hydra/build.sh writes to.
const hydraBinaryEnv = "TOKENBRIDGE_HYDRA"

// idTokenKeySet is the Hydra key set that signs ID tokens.
const idTokenKeySet = "hydra.openid.id-token"

// hydraPerson is one account of the login app in front of Hydra.
type hydraPerson struct {
	Subject string
	Name    string
	Email   string
}

// hydraPeople are the accounts the login app accepts, by the user name
// typed into its form.
var hydraPeople = map[string]hydraPerson{
	"grace": {Subject: "user-grace", Name: "Grace Hopper", Email: "grace@example.test"},
}

// hydraBinaryPath finds the Hydra binary, or skips the test (fails it under
// TOKENBRIDGE_REQUIRE_E2E=1) when it is missing.
func hydraBinaryPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv(hydraBinaryEnv)
	if path == "" {
		cache := os.Getenv("TOKENBRIDGE_CACHE")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				skipOrFail(t, "ORY Hydra not found: set %s or HOME (%v)", hydraBinaryEnv, err)
			}
			cache = filepath.Join(home, ".cache", "tokenbridge")
		}
		path = filepath.Join(cache, "hydra-v2.3.0")
	}
	if info, err := os.Stat(path); err != nil || info.IsDir() {
		skipOrFail(t, "ORY Hydra not found at %s: build it with `bash tools/hydra/build.sh`, or set %s", path, hydraBinaryEnv)
	}
	return path
}

// hydra is an ORY Hydra server in memory on 127.0.0.1, reached through a
// recording proxy.
type hydra struct {
	Issuer   string // the proxy's URL, which Hydra announces as its issuer
	AdminURL string
	Process  *process
	recorder *hydraRecorder
	client   *http.Client
}

// hydraRecorder notes what passes between the bridge and Hydra's public
// port: the key ID of each ID token Hydra issues and the time of each JWKS
// download. It never keeps a token.
type hydraRecorder struct {
	mu           sync.Mutex
	idTokenKeys  []string
	jwksRequests []time.Time
}

func (r *hydraRecorder) keyIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.idTokenKeys...)
}

func (r *hydraRecorder) jwksFetches() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.jwksRequests...)
}

// startHydra runs Hydra with telemetry off and its login and consent URLs
// pointing at loginAppURL, and waits until its admin API is ready.
func startHydra(t *testing.T, loginAppURL string) *hydra {
	t.Helper()
	binary := hydraBinaryPath(t)

	// The proxy's address must be known before Hydra starts, because
	// Hydra builds every public URL from its issuer.
	proxyListener := listenLoopback(t)
	h := &hydra{
		Issuer:   "http://" + proxyListener.Addr().String(),
		recorder: &hydraRecorder{},
		client:   &http.Client{Timeout: 10 * time.Second},
	}

	const attempts = 3
	var publicAddress string
	for attempt := 1; ; attempt++ {
		publicAddress = freeAddress(t)
		adminAddress := freeAddress(t)
		publicHost, publicPort := splitAddress(t, publicAddress)
		adminHost, adminPort := splitAddress(t, adminAddress)

		cmd := exec.Command(binary, "serve", "all", "--dev", "--sqa-opt-out")
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + t.TempDir(),
			"DSN=memory",
			"SQA_OPT_OUT=true", // no anonymous usage telemetry
			"LOG_LEVEL=warn",
			"SECRETS_SYSTEM=" + randomText(t, 32),
			"URLS_SELF_ISSUER=" + h.Issuer,
			"URLS_LOGIN=" + loginAppURL + "/login",
			"URLS_CONSENT=" + loginAppURL + "/consent",
			"SERVE_PUBLIC_HOST=" + publicHost,
			"SERVE_PUBLIC_PORT=" + publicPort,
			"SERVE_ADMIN_HOST=" + adminHost,
			"SERVE_ADMIN_PORT=" + adminPort,
		}
		p := startProcess(t, fmt.Sprintf("hydra (attempt %d)", attempt), cmd)
		h.AdminURL = "http://" + adminAddress
		err := p.waitReady(h.AdminURL+"/health/ready", 30*time.Second)
		if err == nil {
			h.Process = p
			break
		}
		if errors.Is(err, errPortTaken) && attempt < attempts {
			t.Logf("a Hydra port was taken; retrying on other ports")
			continue
		}
		t.Fatalf("start Hydra: %v\noutput:\n%s", err, p.output.String())
	}

	serve(t, proxyListener, h.proxy(&url.URL{Scheme: "http", Host: publicAddress}))
	return h
}

// proxy forwards to Hydra's public port and records ID token key IDs and
// JWKS downloads.
func (h *hydra) proxy(target *url.URL) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			// An uncompressed token response can be read below.
			r.Out.Header.Del("Accept-Encoding")
		},
		ModifyResponse: func(resp *http.Response) error {
			switch resp.Request.URL.Path {
			case "/.well-known/jwks.json":
				h.recorder.mu.Lock()
				h.recorder.jwksRequests = append(h.recorder.jwksRequests, time.Now())
				h.recorder.mu.Unlock()
			case "/oauth2/token":
				return h.recordIDTokenKey(resp)
			}
			return nil
		},
	}
}

// recordIDTokenKey notes the kid header of the ID token in a token
// response and passes the body on unchanged.
func (h *hydra) recordIDTokenKey(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read token response: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode != http.StatusOK {
		return nil
	}

	var tokens struct {
		IDToken string `json:"id_token"`
	}
	if err := json.Unmarshal(body, &tokens); err != nil {
		return nil // not a token response the bridge can use either
	}
	header, _, _ := strings.Cut(tokens.IDToken, ".")
	rawHeader, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return nil
	}
	var jose struct {
		KeyID string `json:"kid"`
	}
	if json.Unmarshal(rawHeader, &jose) == nil {
		h.recorder.mu.Lock()
		h.recorder.idTokenKeys = append(h.recorder.idTokenKeys, jose.KeyID)
		h.recorder.mu.Unlock()
	}
	return nil
}

func splitAddress(t *testing.T, address string) (host, port string) {
	t.Helper()
	i := strings.LastIndex(address, ":")
	if i < 0 {
		t.Fatalf("address %q has no port", address)
	}
	return address[:i], address[i+1:]
}

// adminJSON sends a JSON request to Hydra's admin API and decodes the JSON
// response into out, which may be nil. Statuses other than wantStatus fail.
func (h *hydra) adminJSON(method, path string, body any, wantStatus int, out any) error {
	// Errors name the path without its query, which carries a challenge.
	route, _, _ := strings.Cut(path, "?")
	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, route, err)
		}
		reader = bytes.NewReader(encoded)
	}

	req, err := http.NewRequest(method, h.AdminURL+path, reader)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, route, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := h.client.Do(req)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // url.Error repeats the URL with its query
		}
		return fmt.Errorf("%s %s: %w", method, route, err)
	}
	defer resp.Body.Close()
	response, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read response of %s %s: %w", method, route, err)
	}
	if resp.StatusCode != wantStatus {
		return fmt.Errorf("%s %s: status %s, want %d: %s", method, route, resp.Status, wantStatus, response)
	}

	if out != nil {
		if err := json.Unmarshal(response, out); err != nil {
			return fmt.Errorf("decode response of %s %s: %w", method, route, err)
		}
	}
	return nil
}

// registerClient creates an OAuth client for the bridge at bridgeURL and
// returns the provider configuration for it.
func (h *hydra) registerClient(t *testing.T, bridgeURL string) providerConfig {
	t.Helper()
	const providerID = "hydra"
	request := map[string]any{
		"client_name":                "tokenbridge end-to-end test",
		"grant_types":                []string{"authorization_code"},
		"response_types":             []string{"code"},
		"scope":                      "openid email profile",
		"redirect_uris":              []string{callbackURL(bridgeURL, providerID)},
		"token_endpoint_auth_method": "client_secret_basic",
	}
	var client struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := h.adminJSON(http.MethodPost, "/admin/clients", request, http.StatusCreated, &client); err != nil {
		t.Fatalf("create Hydra client: %v", err)
	}
	return providerConfig{
		ID:           providerID,
		Name:         "ORY Hydra",
		Issuer:       h.Issuer,
		ClientID:     client.ClientID,
		ClientSecret: client.ClientSecret,
	}
}

// rotateIDTokenKey makes Hydra generate a new RS256 key for ID tokens,
// which it signs with from then on. The old keys stay in its JWKS.
func (h *hydra) rotateIDTokenKey(t *testing.T) string {
	t.Helper()
	keyID := "rotated-" + randomText(t, 4)
	request := map[string]string{"alg": "RS256", "use": "sig", "kid": keyID}
	if err := h.adminJSON(http.MethodPost, "/admin/keys/"+idTokenKeySet, request, http.StatusCreated, nil); err != nil {
		t.Fatalf("rotate Hydra's ID token key: %v", err)
	}
	return keyID
}

// hydraLoginApp is the login and consent app Hydra sends the browser to.
// It shows a sign-in form and a consent form, and reports each decision to
// Hydra's admin API.
type hydraLoginApp struct {
	hydra *hydra
}

func (a *hydraLoginApp) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", a.serveLoginForm)
	mux.HandleFunc("POST /login", a.handleLogin)
	mux.HandleFunc("GET /consent", a.serveConsentForm)
	mux.HandleFunc("POST /consent", a.handleConsent)
	return mux
}

var hydraLoginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hydra test sign-in</title></head>
<body>
<h1>Sign in to the test provider</h1>
{{if .Error}}<p id="login-error">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="login_challenge" value="{{.Challenge}}">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username">
<button id="submit-login" type="submit">Sign in</button>
</form>
</body></html>
`))

func (a *hydraLoginApp) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	writeHTML(w, http.StatusOK, hydraLoginPage, map[string]string{"Challenge": r.URL.Query().Get("login_challenge")})
}

func (a *hydraLoginApp) handleLogin(w http.ResponseWriter, r *http.Request) {
	challenge := r.PostFormValue("login_challenge")
	username := r.PostFormValue("username")
	person, ok := hydraPeople[username]
	if !ok {
		writeHTML(w, http.StatusUnauthorized, hydraLoginPage, map[string]string{"Challenge": challenge, "Error": "Unknown user name."})
		return
	}

	var accepted struct {
		RedirectTo string `json:"redirect_to"`
	}
	path := "/admin/oauth2/auth/requests/login/accept?login_challenge=" + url.QueryEscape(challenge)
	body := map[string]any{"subject": person.Subject, "remember": false}
	if err := a.hydra.adminJSON(http.MethodPut, path, body, http.StatusOK, &accepted); err != nil {
		http.Error(w, "accept login: "+err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, accepted.RedirectTo, http.StatusFound)
}

var hydraConsentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hydra test consent</title></head>
<body>
<h1>Share your name and email?</h1>
<p>{{.Client}} asks for: {{.Scopes}}.</p>
<form method="post" action="/consent">
<input type="hidden" name="consent_challenge" value="{{.Challenge}}">
<button id="allow" type="submit" name="decision" value="allow">Allow</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>
`))

// consentRequest is the part of Hydra's consent request the app uses.
type consentRequest struct {
	Subject        string   `json:"subject"`
	RequestedScope []string `json:"requested_scope"`
	Client         struct {
		ClientName string `json:"client_name"`
	} `json:"client"`
}

func (a *hydraLoginApp) consentRequest(challenge string) (*consentRequest, error) {
	var request consentRequest
	path := "/admin/oauth2/auth/requests/consent?consent_challenge=" + url.QueryEscape(challenge)
	if err := a.hydra.adminJSON(http.MethodGet, path, nil, http.StatusOK, &request); err != nil {
		return nil, err
	}
	return &request, nil
}

func (a *hydraLoginApp) serveConsentForm(w http.ResponseWriter, r *http.Request) {
	challenge := r.URL.Query().Get("consent_challenge")
	request, err := a.consentRequest(challenge)
	if err != nil {
		http.Error(w, "read consent request: "+err.Error(), http.StatusBadGateway)
		return
	}
	writeHTML(w, http.StatusOK, hydraConsentPage, map[string]string{
		"Challenge": challenge,
		"Client":    request.Client.ClientName,
		"Scopes":    strings.Join(request.RequestedScope, ", "),
	})
}

func (a *hydraLoginApp) handleConsent(w http.ResponseWriter, r *http.Request) {
	challenge := r.PostFormValue("consent_challenge")
	request, err := a.consentRequest(challenge)
	if err != nil {
		http.Error(w, "read consent request: "+err.Error(), http.StatusBadGateway)
		return
	}

	var path string
	var body any
	switch r.PostFormValue("decision") {
	case "allow":
		person := personBySubject(request.Subject)
		path = "/admin/oauth2/auth/requests/consent/accept?consent_challenge=" + url.QueryEscape(challenge)
		body = map[string]any{
			"grant_scope": request.RequestedScope,
			"remember":    false,
			"session": map[string]any{
				"id_token": map[string]any{
					"email":          person.Email,
					"email_verified": true,
					"name":           person.Name,
				},
			},
		}
	case "deny":
		path = "/admin/oauth2/auth/requests/consent/reject?consent_challenge=" + url.QueryEscape(challenge)
		body = map[string]string{
			"error":             "access_denied",
			"error_description": "The person declined to share their name and email.",
		}
	default:
		http.Error(w, "decision must be allow or deny", http.StatusBadRequest)
		return
	}

	var answer struct {
		RedirectTo string `json:"redirect_to"`
	}
	if err := a.hydra.adminJSON(http.MethodPut, path, body, http.StatusOK, &answer); err != nil {
		http.Error(w, "report consent: "+err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, answer.RedirectTo, http.StatusFound)
}

func personBySubject(subject string) hydraPerson {
	for _, person := range hydraPeople {
		if person.Subject == subject {
			return person
		}
	}
	return hydraPerson{Subject: subject}
}

// startHydraStack starts Hydra, its login app, the emulator, the bridge
// and the demo app.
func startHydraStack(t *testing.T) (*testStack, *hydra) {
	t.Helper()
	loginListener := listenLoopback(t)
	h := startHydra(t, "http://"+loginListener.Addr().String())
	serve(t, loginListener, (&hydraLoginApp{hydra: h}).handler())

	stack := startStack(t, func(bridgeURL string) providerConfig {
		return h.registerClient(t, bridgeURL)
	})
	return stack, h
}
