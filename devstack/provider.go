package devstack

import (
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// maxFormBytes bounds the sign-in forms' request bodies.
const maxFormBytes = 16 << 10

// ProviderConfig configures a development OpenID provider.
type ProviderConfig struct {
	// Issuer is the provider's URL, http://127.0.0.1:PORT or
	// http://[::1]:PORT, without a path. Required.
	Issuer string
	// ClientID, ClientSecret and RedirectURI register the one client the
	// provider serves, which authenticates with HTTP Basic at the token
	// endpoint. All three are required.
	ClientID     string
	ClientSecret string
	RedirectURI  string
	// Identities are offered on the sign-in page. nil means
	// DefaultIdentities(), and an empty slice offers none.
	Identities []Identity
}

// Provider is a development OpenID provider built on zitadel/oidc's op
// package. It serves discovery, JWKS, /authorize, the token endpoint and
// userinfo, and a sign-in page where the developer picks a saved identity,
// types a new one or denies the request. It requires PKCE (S256) and a
// nonce, and signs ID tokens with RS256 carrying sub, email,
// email_verified, name, groups and nonce.
//
// Anyone who reaches it can sign in as anyone, so serve it on loopback only.
type Provider struct {
	issuer   string
	storage  *storage
	op       *op.Provider
	mux      *http.ServeMux
	pages    *template.Template
	security map[string]string // headers of every sign-in page
}

// NewProvider checks cfg and builds the provider with a new signing key.
func NewProvider(cfg ProviderConfig) (*Provider, error) {
	if err := checkLoopbackIssuer(cfg.Issuer); err != nil {
		return nil, err
	}
	redirect, err := url.Parse(cfg.RedirectURI)
	if err != nil || (redirect.Scheme != "http" && redirect.Scheme != "https") || redirect.Host == "" {
		return nil, fmt.Errorf("development provider: redirect URI %q is not an absolute http(s) URL", cfg.RedirectURI)
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("development provider: client ID and client secret are required")
	}
	identities := cfg.Identities
	if identities == nil {
		identities = DefaultIdentities()
	}

	c := &client{
		id:          cfg.ClientID,
		secret:      cfg.ClientSecret,
		redirectURI: cfg.RedirectURI,
		loginURL: func(authRequestID string) string {
			return cfg.Issuer + "/login?id=" + url.QueryEscape(authRequestID)
		},
	}
	st, err := newStorage(c, identities)
	if err != nil {
		return nil, fmt.Errorf("development provider: %w", err)
	}

	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:      cryptoKey,
		CryptoKeyId:    randomHex(4),
		CodeMethodS256: true,
		AuthMethodPost: true,
	}, st, op.StaticIssuer(cfg.Issuer), op.WithAllowInsecure())
	if err != nil {
		return nil, fmt.Errorf("development provider: %w", err)
	}

	pages, err := template.ParseFS(assets, "assets/signin.html")
	if err != nil {
		return nil, fmt.Errorf("development provider: %w", err)
	}
	p := &Provider{
		issuer:  cfg.Issuer,
		storage: st,
		op:      provider,
		pages:   pages,
		security: map[string]string{
			// No form-action: browsers apply it to every redirect that
			// follows a form post, and a sign-in ends, through the client,
			// at an app origin this provider cannot know.
			"Content-Security-Policy": "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'",
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-store",
		},
	}
	p.mux = p.routes()
	return p, nil
}

// checkLoopbackIssuer accepts http://127.0.0.1:PORT and http://[::1]:PORT.
func checkLoopbackIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme != "http" || u.Port() == "" || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.HasSuffix(issuer, "/") {
		return fmt.Errorf("development provider: issuer %q is not of the form http://127.0.0.1:PORT", issuer)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("development provider: issuer %q is not on a loopback address (it signs anyone in, so it serves only 127.0.0.1 or ::1)", issuer)
	}
	return nil
}

func (p *Provider) routes() *http.ServeMux {
	withIssuer := op.NewIssuerInterceptor(p.op.IssuerFromRequest)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", p.handleSignInPage)
	mux.HandleFunc("POST /login/select", withIssuer.HandlerFunc(p.handleSelect))
	mux.HandleFunc("POST /login/new", withIssuer.HandlerFunc(p.handleNew))
	mux.HandleFunc("POST /login/deny", p.handleDeny)
	mux.HandleFunc("GET /assets/devstack.css", serveStylesheet)
	mux.Handle("/", p.op)
	return mux
}

// ServeHTTP serves the OpenID endpoints and the sign-in page.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mux.ServeHTTP(w, r)
}

// Issuer returns the provider's issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// Identities returns the saved identities, the defaults first and then
// those typed in, in the order they were first saved.
func (p *Provider) Identities() []Identity { return p.storage.savedIdentities() }

// signInPage is the data of assets/signin.html.
type signInPage struct {
	AuthRequestID string
	ClientID      string
	Identities    []Identity
	Error         string
	Form          newIdentityForm
}

// newIdentityForm keeps what was typed, to show it again after an error.
type newIdentityForm struct {
	Email         string
	Name          string
	EmailVerified bool
	Groups        string
}

func (p *Provider) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if _, err := p.storage.AuthRequestByID(r.Context(), id); err != nil {
		p.writeExpired(w)
		return
	}
	p.renderSignIn(w, http.StatusOK, signInPage{AuthRequestID: id, Form: newIdentityForm{EmailVerified: true}})
}

func (p *Provider) handleSelect(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	id := r.PostFormValue("id")
	if err := p.storage.completeAuthRequest(id, r.PostFormValue("subject")); err != nil {
		p.writeExpired(w)
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(r.Context(), id), http.StatusFound)
}

func (p *Provider) handleNew(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	id := r.PostFormValue("id")
	form := newIdentityForm{
		Email:         r.PostFormValue("email"),
		Name:          r.PostFormValue("name"),
		EmailVerified: r.PostFormValue("email_verified") != "",
		Groups:        r.PostFormValue("groups"),
	}
	if _, err := p.storage.AuthRequestByID(r.Context(), id); err != nil {
		p.writeExpired(w)
		return
	}
	identity, err := NewIdentity(form.Email, form.Name, form.EmailVerified, form.Groups)
	if err != nil {
		p.renderSignIn(w, http.StatusUnprocessableEntity, signInPage{AuthRequestID: id, Error: err.Error(), Form: form})
		return
	}

	subject := p.storage.saveIdentity(identity)
	if err := p.storage.completeAuthRequest(id, subject); err != nil {
		p.writeExpired(w)
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(r.Context(), id), http.StatusFound)
}

// handleDeny sends error=access_denied to the client's redirect URI, as a
// provider does when the person declines. It builds the redirect itself
// because op.AuthRequestError logs the state.
func (p *Provider) handleDeny(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	id := r.PostFormValue("id")
	req, err := p.storage.AuthRequestByID(r.Context(), id)
	if err != nil {
		p.writeExpired(w)
		return
	}
	_ = p.storage.DeleteAuthRequest(r.Context(), id)

	denied := oidc.ErrAccessDenied().WithDescription("The person declined to sign in.")
	denied.State = req.GetState()
	target, err := op.AuthResponseURL(req.GetRedirectURI(), req.GetResponseType(), req.GetResponseMode(), denied, p.op.Encoder())
	if err != nil {
		p.setSecurityHeaders(w)
		http.Error(w, "The denial cannot be sent back to the app.", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

func (p *Provider) renderSignIn(w http.ResponseWriter, status int, page signInPage) {
	page.ClientID = p.storage.client.id
	page.Identities = p.storage.savedIdentities()
	p.setSecurityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = p.pages.ExecuteTemplate(w, "signin.html", page) // a failed write means the browser left
}

// writeExpired responds to a sign-in form whose auth request is unknown or
// expired. It shows a page because no redirect URI is known to go back to.
func (p *Provider) writeExpired(w http.ResponseWriter) {
	p.setSecurityHeaders(w)
	http.Error(w, "This sign-in request is unknown or expired. Start again from the app.", http.StatusBadRequest)
}

func (p *Provider) setSecurityHeaders(w http.ResponseWriter) {
	for name, value := range p.security {
		w.Header().Set(name, value)
	}
}
