package emulator

import (
	"net/http"
	"strconv"
	"time"
)

// Rate limit of POST /v1/account/sessions/token in Appwrite 1.5 to 1.9:
// 10 requests per fixed one-hour window, keyed by client IP and userId.
const (
	sessionTokenLimit  = 10
	sessionTokenWindow = time.Hour
)

// rateLimiter counts requests per key in fixed windows aligned to
// multiples of the window length, as Appwrite's abuse library does. Every
// request counts, successful or not.
type rateLimiter struct {
	counts map[string]windowCount
}

type windowCount struct {
	start time.Time
	count int
}

func newRateLimiter() *rateLimiter {
	return &rateLimiter{counts: map[string]windowCount{}}
}

// allow counts one request for key and reports whether it is within the
// limit. It also sets the X-RateLimit-* headers on w.
func (l *rateLimiter) allow(w http.ResponseWriter, key string, now time.Time) bool {
	start := now.Truncate(sessionTokenWindow)
	entry := l.counts[key]
	if !entry.start.Equal(start) {
		entry = windowCount{start: start}
	}

	allowed := entry.count < sessionTokenLimit
	if allowed {
		entry.count++
		l.counts[key] = entry
	}

	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(sessionTokenLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(sessionTokenLimit-entry.count))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(start.Add(sessionTokenWindow).Unix(), 10))
	l.dropOldWindows(start)
	return allowed
}

// reset clears the counter of key.
func (l *rateLimiter) reset(key string) {
	delete(l.counts, key)
}

// dropOldWindows deletes counters of past windows so memory stays bounded.
func (l *rateLimiter) dropOldWindows(current time.Time) {
	for key, entry := range l.counts {
		if entry.start.Before(current) {
			delete(l.counts, key)
		}
	}
}
