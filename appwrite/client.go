package appwrite

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout is the time limit of one HTTP attempt when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// responseFormat is the X-Appwrite-Response-Format value sent with every
// request. Appwrite reads list queries as JSON strings from 1.5.0 on, and a
// newer server uses this value to keep requests and responses compatible
// with 1.5.
const responseFormat = "1.5.0"

const redacted = "[redacted]"

// Config holds the settings of a Client.
type Config struct {
	// Endpoint is the absolute http or https base URL of the API, including
	// the /v1 path, for example http://127.0.0.1:8090/v1. A trailing slash is
	// removed. It must not carry user info, a query or a fragment.
	Endpoint string

	// ProjectID is sent as X-Appwrite-Project on every request.
	ProjectID string

	// APIKey is the server API key, sent as X-Appwrite-Key. String, GoString
	// and LogValue of Config and Client print it as [redacted].
	APIKey string

	// Timeout limits each HTTP attempt, including reading the response body.
	// An attempt ends at whichever comes first, Timeout or the context's
	// deadline. GET calls make up to three attempts, so without a context
	// deadline they can take three times Timeout plus 200 ms of backoff.
	// Zero means DefaultTimeout.
	Timeout time.Duration

	// HTTPClient sends the requests. Nil means one client shared by the
	// package, whose transport keeps up to 32 idle connections per host. The
	// client is copied and the copy never follows redirects, because a
	// redirect would carry the X-Appwrite-Key header to the new location.
	HTTPClient *http.Client

	// UserAgent is sent as User-Agent when not empty. When empty, net/http
	// sends its default.
	UserAgent string
}

// String returns the settings with the API key redacted.
func (c Config) String() string {
	return fmt.Sprintf("appwrite.Config{Endpoint: %q, ProjectID: %q, APIKey: %s, Timeout: %s, UserAgent: %q}",
		redactEndpoint(c.Endpoint), c.ProjectID, redactedIfSet(c.APIKey), c.Timeout, c.UserAgent)
}

// GoString returns the same text as String, so %#v does not print the API key.
func (c Config) GoString() string { return c.String() }

// LogValue implements slog.LogValuer and leaves out the API key's value.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", redactEndpoint(c.Endpoint)),
		slog.String("project_id", c.ProjectID),
		slog.String("api_key", redactedIfSet(c.APIKey)),
		slog.Duration("timeout", c.Timeout),
	)
}

func redactedIfSet(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}

// Client calls the Appwrite server API with an API key. It is safe for
// concurrent use and holds no state between calls apart from pooled
// connections.
type Client struct {
	endpoint   string // without trailing slash
	projectID  string
	apiKey     string
	timeout    time.Duration
	httpClient *http.Client
	userAgent  string
}

// New validates cfg and returns a Client. It returns an error when the
// endpoint is not an absolute http or https URL, when the project ID or the
// API key is empty, or when the timeout is negative. New sends no request.
func New(cfg Config) (*Client, error) {
	endpoint, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if cfg.ProjectID == "" {
		return nil, errors.New("appwrite: project ID is empty (set the ID of the Appwrite project)")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("appwrite: API key is empty (create a server API key with the users.read and users.write scopes)")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("appwrite: timeout %s is negative (use zero for the default of %s)", cfg.Timeout, DefaultTimeout)
	}

	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}

	return &Client{
		endpoint:   endpoint,
		projectID:  cfg.ProjectID,
		apiKey:     cfg.APIKey,
		timeout:    timeout,
		httpClient: withoutRedirects(cfg.HTTPClient),
		userAgent:  cfg.UserAgent,
	}, nil
}

// parseEndpoint checks that raw is an absolute http(s) URL and returns it
// without a trailing slash. Its messages leave out the URL itself, which
// could carry a password or a query.
func parseEndpoint(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("appwrite: endpoint is empty (set the API base URL, for example http://127.0.0.1:8090/v1)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("appwrite: endpoint is not a valid URL: %w", unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("appwrite: endpoint scheme %q is not http or https (use an absolute URL such as http://127.0.0.1:8090/v1)", u.Scheme)
	}
	if u.Host == "" {
		return "", errors.New("appwrite: endpoint has no host (use an absolute URL such as http://127.0.0.1:8090/v1)")
	}
	if u.User != nil {
		return "", errors.New("appwrite: endpoint must not contain user info (pass credentials as the API key)")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("appwrite: endpoint for host %q must not have a query or a fragment", u.Host)
	}
	return strings.TrimRight(raw, "/"), nil
}

// redactEndpoint hides a password in an endpoint URL for display.
func redactEndpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// sharedHTTPClient is the default client, created once so that every Client
// without its own HTTPClient reuses the same connection pool.
var sharedHTTPClient = sync.OnceValue(func() *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 100
	transport.MaxIdleConnsPerHost = 32
	transport.IdleConnTimeout = 90 * time.Second
	return &http.Client{
		Transport:     transport,
		CheckRedirect: rejectRedirect,
	}
})

// withoutRedirects returns the shared client for nil, or a copy of hc that
// does not follow redirects.
func withoutRedirects(hc *http.Client) *http.Client {
	if hc == nil {
		return sharedHTTPClient()
	}
	clone := *hc
	clone.CheckRedirect = rejectRedirect
	return &clone
}

// rejectRedirect makes net/http return a 3xx response as it is, which the
// client then reports as an *Error.
func rejectRedirect(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}

// String describes the client without its API key.
func (c *Client) String() string {
	return fmt.Sprintf("appwrite.Client{Endpoint: %q, ProjectID: %q, APIKey: %s, Timeout: %s}",
		c.endpoint, c.projectID, redacted, c.timeout)
}

// GoString returns the same text as String, so %#v does not print the API key.
func (c *Client) GoString() string { return c.String() }

// LogValue implements slog.LogValuer and leaves out the API key.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", c.endpoint),
		slog.String("project_id", c.projectID),
		slog.Duration("timeout", c.timeout),
	)
}
