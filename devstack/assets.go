package devstack

import (
	"embed"
	"net/http"
)

// assets holds the sign-in page, the demo app's page and script, and the
// stylesheet both share.
//
//go:embed assets
var assets embed.FS

// serveStylesheet serves assets/devstack.css.
func serveStylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFileFS(w, r, assets, "assets/devstack.css")
}
