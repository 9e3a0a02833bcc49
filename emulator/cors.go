package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// corsAllowHeaders are the request headers browsers may send: the ones the
// official web SDK sets, the Appwrite auth headers and a few standard ones.
var corsAllowHeaders = strings.Join([]string{
	"Accept",
	"Cache-Control",
	"Content-Range",
	"Content-Type",
	"Origin",
	"Range",
	"X-Appwrite-Dev-Key",
	"X-Appwrite-ID",
	"X-Appwrite-JWT",
	"X-Appwrite-Key",
	"X-Appwrite-Locale",
	"X-Appwrite-Mode",
	"X-Appwrite-Project",
	"X-Appwrite-Response-Format",
	"X-Appwrite-Session",
	"X-Appwrite-Timeout",
	"X-Fallback-Cookies",
	"X-Forwarded-User-Agent",
	"X-Requested-With",
	"X-SDK-GraphQL",
	"X-SDK-Language",
	"X-SDK-Name",
	"X-SDK-Platform",
	"X-SDK-Version",
}, ", ")

// corsExposeHeaders are the response headers scripts may read. The web SDK
// reads X-Fallback-Cookies to keep the session when cookies are blocked.
const corsExposeHeaders = "X-Appwrite-Session, X-Fallback-Cookies"

// originRule is one entry of Config.AllowedOrigins.
type originRule struct {
	origin   string // "scheme://host[:port]", or "" when only host is set
	hostname string
}

// parseOrigins checks Config.AllowedOrigins. An entry is either an origin
// ("http://localhost:5173"), matched exactly, or a bare hostname
// ("localhost"), matched on any scheme and port like an Appwrite web
// platform. nil means every origin is allowed.
func parseOrigins(entries []string) (map[string]bool, error) {
	if len(entries) == 0 {
		return nil, nil
	}

	allowed := make(map[string]bool, len(entries))
	for _, entry := range entries {
		rule, err := parseOriginRule(entry)
		if err != nil {
			return nil, err
		}
		if rule.origin != "" {
			allowed[rule.origin] = true
		} else {
			allowed["host:"+rule.hostname] = true
		}
	}
	return allowed, nil
}

func parseOriginRule(entry string) (originRule, error) {
	entry = strings.ToLower(strings.TrimSpace(entry))
	if !strings.Contains(entry, "://") {
		if entry == "" || strings.ContainsAny(entry, "/:?#@ ") {
			return originRule{}, fmt.Errorf("allowed origin %q is neither an origin like http://localhost:5173 nor a hostname like localhost", entry)
		}
		return originRule{hostname: entry}, nil
	}

	u, err := url.Parse(entry)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return originRule{}, fmt.Errorf("allowed origin %q is not an origin of the form http[s]://host[:port]", entry)
	}
	return originRule{origin: u.Scheme + "://" + u.Host, hostname: u.Hostname()}, nil
}

// originAllowed reports whether a request origin may call the emulator.
func (s *Server) originAllowed(origin string) bool {
	if s.allowedOrigins == nil {
		return true
	}
	origin = strings.ToLower(origin)
	if s.allowedOrigins[origin] {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return s.allowedOrigins["host:"+u.Hostname()]
}

// setCORSHeaders allows a credentialed cross-origin call from an allowed
// Origin by echoing it exactly; browsers reject "*" with credentials. It
// reports whether the origin was allowed.
func (s *Server) setCORSHeaders(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Add("Vary", "Origin")

	origin := r.Header.Get("Origin")
	if origin == "" || !s.originAllowed(origin) {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	return true
}

// writePreflight adds the headers of a CORS preflight response.
func writePreflight(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", "3600")
}

// checkOrigin rejects browser calls from origins that are not allowed, as
// Appwrite's platform check does for callers without an API key. Up to
// 1.8.x Appwrite checks only write methods and falls back to Referer; from
// 1.9.0 it checks every method but only the Origin header.
func (s *Server) checkOrigin(r *http.Request) error {
	if s.allowedOrigins == nil {
		return nil
	}

	origin := r.Header.Get("Origin")
	if !s.version.atLeast(1, 9) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return nil
		}
		if origin == "" {
			origin = refererOrigin(r.Header.Get("Referer"))
		}
	}
	if origin == "" || s.originAllowed(origin) {
		return nil
	}
	return newError(http.StatusForbidden, TypeUnknownOrigin, "Origin %s is not allowed: add it to the emulator's allowed origins.", origin)
}

// refererOrigin returns the origin part of a Referer URL, or "".
func refererOrigin(referer string) string {
	u, err := url.Parse(referer)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
