package appwrite

import (
	"context"
	"net/http"
)

// Version returns the server's version string, such as "1.5.11"
// (GET /health/version). The route is public, so the request carries no API
// key and a successful response does not prove that the key is valid. GET
// requests are retried, which suits readiness checks.
func (c *Client) Version(ctx context.Context) (string, error) {
	r := request{method: http.MethodGet, path: "/health/version", noKey: true}
	var body struct {
		Version string `json:"version"`
	}
	if err := c.do(ctx, r, &body); err != nil {
		return "", err
	}
	if body.Version == "" {
		return "", invalidResponse(r, "version is empty")
	}
	return body.Version, nil
}
