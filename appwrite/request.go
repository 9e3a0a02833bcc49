package appwrite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// maxBodyBytes caps how much of a response body the client reads. A larger
// body is an error. One user is a few KiB, so this fits a full page of 100
// users unless their preferences are large.
const maxBodyBytes = 1 << 20

// maxDrainBytes is how much of an unread body is discarded before closing it,
// so that small leftovers do not cost the keep-alive connection.
const maxDrainBytes = 64 << 10

// retryDelays are the waits before the second and third attempt of a GET
// request. Their count is the number of retries.
var retryDelays = []time.Duration{50 * time.Millisecond, 150 * time.Millisecond}

// maxRetryAfter is the longest Retry-After wait a 429 response may request
// and still be retried. A longer wait ends the call with the 429 error.
const maxRetryAfter = time.Second

// request is one API call relative to the endpoint.
type request struct {
	method   string
	path     string // escaped path below the endpoint, such as /users/u1/name
	rawQuery string // encoded query string without the leading '?'
	body     any    // encoded as JSON when not nil
	noKey    bool   // leaves out X-Appwrite-Key, for public routes
}

// String names the call in error messages: method and path, never the query.
func (r request) String() string {
	return r.method + " " + r.path
}

// response is a fully read HTTP response.
type response struct {
	status   int
	header   http.Header
	body     []byte
	tooLarge bool // the body was longer than maxBodyBytes and body holds its start
}

// do sends r and decodes a 2xx JSON body into out. GET requests are retried
// on transport errors and on 429, 502, 503 and 504; other methods are sent
// once, because a repeated write could, for example, mint two tokens.
func (c *Client) do(ctx context.Context, r request, out any) error {
	var body []byte
	if r.body != nil {
		var err error
		body, err = json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("appwrite: %s: encode request body: %w", r, err)
		}
	}

	retries := 0
	if r.method == http.MethodGet {
		retries = len(retryDelays)
	}

	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, r, body)
		if err == nil && resp.status >= 200 && resp.status < 300 {
			return decodeBody(r, resp, out)
		}

		var failure error
		var wait time.Duration
		retryable := false
		if err != nil {
			failure = err
			retryable = ctx.Err() == nil
			wait = retryDelays[min(attempt, len(retryDelays)-1)]
		} else {
			failure = c.responseError(resp)
			wait, retryable = retryWait(resp, attempt)
		}
		if !retryable || attempt >= retries {
			return failure
		}

		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("%w (stopped retrying: %w)", failure, err)
		}
	}
}

// send makes one attempt under a deadline of at most c.timeout and reads
// the whole response.
func (c *Client) send(ctx context.Context, r request, body []byte) (*response, error) {
	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	target := c.endpoint + r.path
	if r.rawQuery != "" {
		target += "?" + r.rawQuery
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(attemptCtx, r.method, target, reader)
	if err != nil {
		return nil, fmt.Errorf("appwrite: %s: build request: %w", r, unwrapURLError(err))
	}
	c.setHeaders(req, r, body != nil)

	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, r, "", err)
	}
	data, tooLarge, err := readBody(resp.Body)
	if err != nil {
		return nil, c.transportError(ctx, r, "read response body: ", err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data, tooLarge: tooLarge}, nil
}

func (c *Client) setHeaders(req *http.Request, r request, hasBody bool) {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Appwrite-Project", c.projectID)
	req.Header.Set("X-Appwrite-Response-Format", responseFormat)
	if !r.noKey {
		req.Header.Set("X-Appwrite-Key", c.apiKey)
	}
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
}

// transportError wraps err with the call but without the URL, because
// *url.Error prints the full URL and its query. A deadline that ended only
// the attempt, not ctx, is reported as the attempt timing out.
func (c *Client) transportError(ctx context.Context, r request, step string, err error) error {
	cause := unwrapURLError(err)
	if errors.Is(cause, context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("appwrite: %s: %sno response within %s: %w", r, step, c.timeout, cause)
	}
	return fmt.Errorf("appwrite: %s: %s%w", r, step, cause)
}

func unwrapURLError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) && urlErr.Err != nil {
		return urlErr.Err
	}
	return err
}

// readBody reads at most maxBodyBytes, then drains a bounded rest and closes
// the body so the connection can be reused.
func readBody(body io.ReadCloser) (data []byte, tooLarge bool, err error) {
	defer body.Close()

	data, err = io.ReadAll(io.LimitReader(body, maxBodyBytes+1))
	if err != nil {
		return nil, false, err
	}
	if len(data) > maxBodyBytes {
		_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrainBytes))
		return data[:maxBodyBytes], true, nil
	}
	return data, false, nil
}

// retryWait reports whether a response may be retried and how long to wait.
func retryWait(resp *response, attempt int) (time.Duration, bool) {
	backoff := retryDelays[min(attempt, len(retryDelays)-1)]
	switch resp.status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return backoff, true
	case http.StatusTooManyRequests:
		wait, ok := parseRetryAfter(resp.header.Get("Retry-After"), time.Now())
		if !ok {
			return backoff, true
		}
		if wait > maxRetryAfter {
			return 0, false
		}
		return wait, true
	default:
		return 0, false
	}
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date.
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.Atoi(value); err == nil {
		if seconds < 0 {
			return 0, false
		}
		return time.Duration(seconds) * time.Second, true
	}
	when, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(when.Sub(now), 0), true
}

// sleep waits for d or until ctx ends, and then returns ctx.Err().
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// decodeBody decodes a 2xx body into out.
func decodeBody(r request, resp *response, out any) error {
	if resp.tooLarge {
		return fmt.Errorf("appwrite: %s: %d response body is larger than %d bytes", r, resp.status, maxBodyBytes)
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		// The json error is described, not wrapped, because its text can
		// quote values from the body, such as a token secret sent as a number.
		return fmt.Errorf("appwrite: %s: decode %d response: %s", r, resp.status, describeJSONError(err))
	}
	return nil
}

// describeJSONError names what was wrong with a body without quoting it.
func describeJSONError(err error) string {
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Sprintf("invalid JSON at byte offset %d", syntaxErr.Offset)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return fmt.Sprintf("JSON value does not fit %s", typeErr.Type)
		}
		return fmt.Sprintf("field %q does not fit %s", typeErr.Field, typeErr.Type)
	}
	return "body does not match the expected model"
}

// invalidResponse reports a 2xx body that decoded but lacks a required value.
func invalidResponse(r request, problem string) error {
	return fmt.Errorf("appwrite: %s: invalid response: %s", r, problem)
}
