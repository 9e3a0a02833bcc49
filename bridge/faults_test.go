package bridge_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// providerTransport sits between the bridge's provider HTTP client and the
// test provider. It can respond to a request itself to inject a fault, and it
// keeps a copy of every request and response body for the redaction test.
type providerTransport struct {
	next http.RoundTripper

	mu    sync.Mutex
	fault func(*http.Request) (*http.Response, error, bool)
	seen  []exchangeRecord
}

// exchangeRecord is one request to the provider with its response.
type exchangeRecord struct {
	path          string
	authorization string
	requestBody   string
	responseBody  string
}

func (p *providerTransport) wrap(next http.RoundTripper) http.RoundTripper {
	p.next = next
	return p
}

func (p *providerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	record := exchangeRecord{path: req.URL.Path, authorization: req.Header.Get("Authorization")}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		record.requestBody = string(body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}

	p.mu.Lock()
	fault := p.fault
	p.mu.Unlock()
	if fault != nil {
		if resp, err, handled := fault(req); handled {
			return resp, err
		}
	}

	resp, err := p.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	record.responseBody = string(body)

	p.mu.Lock()
	p.seen = append(p.seen, record)
	p.mu.Unlock()
	return resp, nil
}

func (p *providerTransport) setFault(f func(*http.Request) (*http.Response, error, bool)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

func (p *providerTransport) records() []exchangeRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]exchangeRecord(nil), p.seen...)
}

// onPath returns a fault that responds with answer to requests whose path
// ends with suffix.
func onPath(suffix string, answer func(*http.Request) (*http.Response, error)) func(*http.Request) (*http.Response, error, bool) {
	return func(req *http.Request) (*http.Response, error, bool) {
		if !strings.HasSuffix(req.URL.Path, suffix) {
			return nil, nil, false
		}
		resp, err := answer(req)
		return resp, err, true
	}
}

// answerWith returns a canned response.
func answerWith(status int, contentType, body string) func(*http.Request) (*http.Response, error) {
	return func(req *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: status,
			Status:     http.StatusText(status),
			Header:     http.Header{"Content-Type": {contentType}},
			Body:       io.NopCloser(strings.NewReader(body)),
			Request:    req,
		}, nil
	}
}

// hang never responds, so the client's timeout ends the request.
func hang(req *http.Request) (*http.Response, error) {
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// testClock is a clock for providers.WithClock that a test moves forward.
type testClock struct {
	offset atomic.Int64 // nanoseconds added to time.Now
}

func (c *testClock) now() time.Time {
	return time.Now().Add(time.Duration(c.offset.Load()))
}

func (c *testClock) advance(d time.Duration) {
	c.offset.Add(int64(d))
}

// hop is one response the browser received on its way.
type hop struct {
	url    string // the requested URL
	status int
	header http.Header
}

// recordingBrowser is a browser that keeps every response of each
// redirect chain it follows.
type recordingBrowser struct {
	*browser
	mu   sync.Mutex
	hops []hop
}

func newRecordingBrowser(t *testing.T) *recordingBrowser {
	t.Helper()
	b := &recordingBrowser{browser: newBrowser(t)}
	follow := b.client.CheckRedirect
	b.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if prev := req.Response; prev != nil {
			b.record(prev.Request.URL.String(), prev.StatusCode, prev.Header)
		}
		return follow(req, via)
	}
	return b
}

func (b *recordingBrowser) record(url string, status int, header http.Header) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hops = append(b.hops, hop{url: url, status: status, header: header})
}

// get follows the chain from rawURL and records its last response too,
// under the URL that started the chain.
func (b *recordingBrowser) get(t *testing.T, rawURL string) result {
	t.Helper()
	r := b.browser.get(t, rawURL)
	b.record(rawURL, r.status, r.header)
	return r
}

func (b *recordingBrowser) recorded() []hop {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]hop(nil), b.hops...)
}
