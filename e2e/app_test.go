package e2e

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tokenbridge/tokenbridge/internal/browsertest"
)

// npmDir is the folder of the test's Node packages, relative to this
// package's folder.
const npmDir = "../testdata/npm"

// webSDKScript is the official Appwrite web SDK's browser build
// (appwrite@27.0.0) under npmDir. It assigns the global Appwrite.
const webSDKScript = "node_modules/appwrite/dist/iife/sdk.js"

// demoApp is the app page the browser signs in from, in place of a real app
// built on Appwrite. It links to the bridge's /login. On its success URL it
// exchanges the custom token for a session with the real web SDK and reads
// the account back.
type demoApp struct {
	Origin     string // scheme://host:port of the app, no trailing slash
	BridgeURL  string // the bridge's public URL
	ProviderID string
	Endpoint   string // Appwrite endpoint, ending in /v1
	ProjectID  string
	sdkScript  []byte
}

// SuccessURL returns the URL the bridge sends the custom token to.
func (a *demoApp) SuccessURL() string { return a.Origin + "/done" }

// FailureURL returns the URL the bridge sends error codes to.
func (a *demoApp) FailureURL() string { return a.Origin + "/failed" }

// LoginURL returns the bridge's /login URL for the app's provider, with
// the failure URL when withFailure is set.
func (a *demoApp) LoginURL(withFailure bool) string {
	query := url.Values{"success": {a.SuccessURL()}}
	if withFailure {
		query.Set("failure", a.FailureURL())
	}
	return a.BridgeURL + "/login/" + url.PathEscape(a.ProviderID) + "?" + query.Encode()
}

// readWebSDK loads the web SDK script, skipping or failing the test when
// the npm packages are not installed.
func readWebSDK(t *testing.T) []byte {
	t.Helper()
	browsertest.RequireNodeModules(t, npmDir, "appwrite")
	path := filepath.Join(npmDir, webSDKScript)
	script, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the Appwrite web SDK: %v", err)
	}
	return script
}

func (a *demoApp) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.serveHome)
	mux.HandleFunc("GET /done", a.serveDone)
	mux.HandleFunc("GET /failed", a.serveFailed)
	mux.HandleFunc("GET /sdk.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(a.sdkScript)
	})
	// Anything else, including /favicon.ico, is a plain 404 from the mux.
	return mux
}

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo app</title></head>
<body>
<h1>Demo app</h1>
<p>You are not signed in.</p>
<p><a id="sign-in" href="{{.WithFailure}}">Sign in</a></p>
<p><a id="sign-in-no-failure" href="{{.WithoutFailure}}">Sign in without a failure URL</a></p>
</body></html>
`))

func (a *demoApp) serveHome(w http.ResponseWriter, r *http.Request) {
	writeHTML(w, http.StatusOK, homePage, map[string]string{
		"WithFailure":    a.LoginURL(true),
		"WithoutFailure": a.LoginURL(false),
	})
}

// donePage exchanges the custom token from the query for a session, then
// shows the account. It writes #result only once it has finished, with
// data-state "signed-in" or "error", so tests can wait for that element.
var donePage = template.Must(template.New("done").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo app: signing in</title>
<script src="/sdk.js"></script></head>
<body>
<h1>Demo app</h1>
<p id="progress">Signing in…</p>
<script>
(async () => {
  const params = new URLSearchParams(location.search);
  const userId = params.get("userId");
  const secret = params.get("secret");
  // The secret is single-use; keep it out of the history and the Referer.
  history.replaceState(null, "", location.pathname);

  const result = document.createElement("dl");
  result.id = "result";
  const show = (id, label, value) => {
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.id = id;
    detail.textContent = value;
    result.append(term, detail);
  };
  show("token-user-id", "User ID from the bridge", userId || "(none)");
  try {
    const client = new Appwrite.Client().setEndpoint({{.Endpoint}}).setProject({{.ProjectID}});
    const account = new Appwrite.Account(client);
    const session = await account.createSession(userId, secret);
    const user = await account.get();
    result.dataset.state = "signed-in";
    show("session-user-id", "Session user ID", session.userId);
    show("account-id", "Account ID", user.$id);
    show("account-name", "Name", user.name);
    show("account-email", "Email", user.email);
    document.getElementById("progress").textContent = "Signed in as " + user.name + ".";
  } catch (err) {
    result.dataset.state = "error";
    show("error-type", "Error type", err.type || err.name || "unknown");
    show("error-message", "Error message", err.message || String(err));
    document.getElementById("progress").textContent = "Sign-in failed.";
  }
  document.body.append(result);
})();
</script>
</body></html>
`))

func (a *demoApp) serveDone(w http.ResponseWriter, r *http.Request) {
	writeHTML(w, http.StatusOK, donePage, map[string]string{"Endpoint": a.Endpoint, "ProjectID": a.ProjectID})
}

var failedPage = template.Must(template.New("failed").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo app: sign-in failed</title></head>
<body>
<h1>Sign-in failed</h1>
<dl id="result" data-state="failed">
<dt>Error</dt><dd id="error">{{.Error}}</dd>
<dt>Description</dt><dd id="error-description">{{.Description}}</dd>
</dl>
</body></html>
`))

func (a *demoApp) serveFailed(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	writeHTML(w, http.StatusOK, failedPage, map[string]string{
		"Error":       query.Get("error"),
		"Description": query.Get("error_description"),
	})
}

// writeHTML renders a page with an explicit Content-Type, because Go's
// content sniffing does not recognise every page as HTML.
func writeHTML(w http.ResponseWriter, status int, page *template.Template, data any) {
	var body bytes.Buffer
	if err := page.Execute(&body, data); err != nil {
		http.Error(w, "render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body.Bytes())
}

// appResult is what the app page shows after a sign-in, read from the
// browser. Fields the page did not show are empty.
type appResult struct {
	State            string `json:"state"` // "signed-in", "error" or "failed"
	TokenUserID      string `json:"tokenUserId"`
	SessionUserID    string `json:"sessionUserId"`
	AccountID        string `json:"accountId"`
	Name             string `json:"name"`
	Email            string `json:"email"`
	ErrorType        string `json:"errorType"`
	ErrorMessage     string `json:"errorMessage"`
	Error            string `json:"error"`
	ErrorDescription string `json:"errorDescription"`
	URL              string `json:"url"`
	PageText         string `json:"pageText"` // the body's rendered text
}

// readAppResultScript collects appResult from the page's #result element.
const readAppResultScript = `(() => {
  const text = id => { const e = document.getElementById(id); return e ? e.innerText : ""; };
  const result = document.getElementById("result");
  return {
    state: result ? (result.dataset.state || "") : "",
    tokenUserId: text("token-user-id"),
    sessionUserId: text("session-user-id"),
    accountId: text("account-id"),
    name: text("account-name"),
    email: text("account-email"),
    errorType: text("error-type"),
    errorMessage: text("error-message"),
    error: text("error"),
    errorDescription: text("error-description"),
    url: location.href,
    pageText: document.body.innerText,
  };
})()`

// readSignInResult waits for the app page's #result element and reads it.
func readSignInResult(t *testing.T, ctx context.Context) appResult {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#result"))); err != nil {
		t.Fatalf("wait for the app's result: %v", err)
	}
	result, err := chromedp.Run(ctx, chromedp.Evaluate[appResult](readAppResultScript))
	if err != nil {
		t.Fatalf("read the app's result: %v", err)
	}
	return result
}

// visibleText returns the rendered text of the first element matching css.
func visibleText(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("read the text of %s: %v", css, err)
	}
	return text
}
