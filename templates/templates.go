// Package templates holds the HTML pages that tokenbridge shows to people:
// the provider chooser and the error page, both rendered inside one layout.
// The files are embedded, so the binary needs nothing on disk.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
)

//go:embed layout.html chooser.html error.html
var pageFiles embed.FS

//go:embed static
var staticFiles embed.FS

// ProviderLink is one entry of the chooser page.
type ProviderLink struct {
	Name  string // display name
	URL   string // /login/{id} with the app's success and failure URLs
	Ready bool   // false while the provider's discovery has not completed
}

// Chooser is the data of the provider chooser page.
type Chooser struct {
	Providers      []ProviderLink
	MissingSuccess bool // the page was opened without a success URL
	RequestID      string
}

// Error is the data of the error page. Every text is fixed wording chosen by
// the caller, never an error message, which could carry upstream data.
type Error struct {
	Status    int    // HTTP status
	Title     string // short headline
	Message   string // one plain sentence describing the failure
	NextStep  string // the person's next step
	Code      string // stable error code, shown for support requests
	Detail    string // optional provider-supplied description, shown escaped
	RetryURL  string // optional link to start again
	RequestID string
}

// Pages renders the embedded templates.
type Pages struct {
	chooser *template.Template
	errors  *template.Template
}

// Load parses the embedded templates.
func Load() (*Pages, error) {
	parse := func(page string) (*template.Template, error) {
		tmpl, err := template.New("layout.html").ParseFS(pageFiles, "layout.html", page)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", page, err)
		}
		return tmpl, nil
	}
	chooser, err := parse("chooser.html")
	if err != nil {
		return nil, err
	}
	errorPage, err := parse("error.html")
	if err != nil {
		return nil, err
	}
	return &Pages{chooser: chooser, errors: errorPage}, nil
}

// RenderChooser writes the chooser page. It renders into a buffer first so
// that a template failure never leaves a half-written page.
func (p *Pages) RenderChooser(w io.Writer, data Chooser) error {
	return render(w, p.chooser, data)
}

// RenderError writes the error page.
func (p *Pages) RenderError(w io.Writer, data Error) error {
	return render(w, p.errors, data)
}

func render(w io.Writer, tmpl *template.Template, data any) error {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("render %s: %w", tmpl.Name(), err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// Static returns the stylesheet and other files served under /assets/.
func Static() fs.FS {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		// The path is a compile-time constant of an embedded tree.
		panic(err)
	}
	return sub
}
