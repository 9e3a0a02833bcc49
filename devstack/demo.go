package devstack

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// DemoConfig configures the demo app.
type DemoConfig struct {
	// URL is the demo app's own origin, such as http://127.0.0.1:3000,
	// without a path. Its /done and /failed pages are the success and
	// failure URLs. Required.
	URL string
	// LoginURL is the bridge's login URL for one provider, such as
	// http://127.0.0.1:8080/login/dev, without a query. Required.
	LoginURL string
	// Endpoint is the Appwrite endpoint, ending in /v1. Required.
	Endpoint string
	// ProjectID is the Appwrite project ID. Required.
	ProjectID string
}

// DemoApp serves a one-page Appwrite web app that signs in through the
// bridge. Its "Sign in" link starts /login with the app's /done and
// /failed pages as success and failure URLs. On /done its script
// exchanges userId and secret for a session with POST
// /v1/account/sessions/token, then shows the account from GET
// /v1/account. On /failed it shows the error code and description.
type DemoApp struct {
	page    []byte // the rendered page, the same for /, /done and /failed
	headers map[string]string
}

// NewDemoApp checks cfg and renders the page.
func NewDemoApp(cfg DemoConfig) (*DemoApp, error) {
	appURL, err := parseOrigin(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("demo app: URL: %w", err)
	}
	if _, err := parseHTTPURL(cfg.LoginURL); err != nil {
		return nil, fmt.Errorf("demo app: login URL: %w", err)
	}
	endpoint, err := parseHTTPURL(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("demo app: Appwrite endpoint: %w", err)
	}
	if cfg.ProjectID == "" {
		return nil, errors.New("demo app: project ID is empty")
	}

	tmpl, err := template.ParseFS(assets, "assets/demo.html")
	if err != nil {
		return nil, fmt.Errorf("demo app: %w", err)
	}
	var page bytes.Buffer
	err = tmpl.Execute(&page, struct{ Endpoint, ProjectID, SignInURL string }{
		Endpoint:  strings.TrimSuffix(cfg.Endpoint, "/"),
		ProjectID: cfg.ProjectID,
		SignInURL: SignInURL(cfg.LoginURL, appURL),
	})
	if err != nil {
		return nil, fmt.Errorf("demo app: render page: %w", err)
	}

	return &DemoApp{
		page: page.Bytes(),
		headers: map[string]string{
			// The script calls only Appwrite; the sign-in link is a plain
			// navigation, which the policy does not restrict.
			"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src " +
				endpoint.Scheme + "://" + endpoint.Host + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
			"X-Frame-Options":        "DENY",
			"X-Content-Type-Options": "nosniff",
			// /done carries the token secret in its query; keep it out of
			// the Referer of the calls to Appwrite.
			"Referrer-Policy": "no-referrer",
			"Cache-Control":   "no-store",
		},
	}, nil
}

// SignInURL returns loginURL with the demo app's /done and /failed pages
// (under appURL) as the success and failure URLs.
func SignInURL(loginURL, appURL string) string {
	query := url.Values{}
	query.Set("success", SuccessURL(appURL))
	query.Set("failure", FailureURL(appURL))
	return loginURL + "?" + query.Encode()
}

// SuccessURL returns the demo app's success URL under appURL.
func SuccessURL(appURL string) string { return strings.TrimSuffix(appURL, "/") + "/done" }

// FailureURL returns the demo app's failure URL under appURL.
func FailureURL(appURL string) string { return strings.TrimSuffix(appURL, "/") + "/failed" }

// ServeHTTP serves the page at /, /done and /failed, and its script and
// stylesheet.
func (d *DemoApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/", "/done", "/failed":
		for name, value := range d.headers {
			w.Header().Set(name, value)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(d.page)
	case "/assets/demo.js":
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeFileFS(w, r, assets, "assets/demo.js")
	case "/assets/devstack.css":
		serveStylesheet(w, r)
	default:
		http.NotFound(w, r)
	}
}

// parseOrigin accepts an absolute http(s) URL without a path, query or
// fragment and returns it without a trailing slash.
func parseOrigin(raw string) (string, error) {
	u, err := parseHTTPURL(raw)
	if err != nil {
		return "", err
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an origin of the form http://host:port", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return u, nil
}
