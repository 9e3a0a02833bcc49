package emulator

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Config configures an emulated Appwrite project.
type Config struct {
	// ProjectID is the only project the emulator serves; callers send it in
	// X-Appwrite-Project. Required, and it must follow Appwrite's ID rules.
	ProjectID string

	// APIKey is the key callers must send in X-Appwrite-Key for the Users
	// API. It carries every scope. Required.
	APIKey string

	// Version is the emulated Appwrite version, "1.5.0" to "1.9.x", default
	// DefaultVersion. It selects version-dependent behaviour: user_blocked is
	// 401 before 1.9.0 and 403 from 1.9.0, the key-and-session error type is
	// renamed in 1.9.0, a 201 from sessions/token resets its rate-limit
	// counter from 1.9.0, and the origin check covers GET from 1.9.0.
	Version string

	// DisableRateLimit turns off the limit of 10 requests per hour per IP
	// and user ID on POST /v1/account/sessions/token, for load tests. The
	// real server always enforces it for callers without an API key.
	DisableRateLimit bool

	// DataFile, when set, keeps users, hashed tokens and hashed sessions
	// across restarts. It is read by New and rewritten atomically after each
	// change. A damaged file makes New fail; it is never replaced.
	DataFile string

	// AllowedOrigins lists the browser origins ("http://localhost:5173")
	// that may call the emulator, like the web platforms of an Appwrite
	// project. Empty means every origin is allowed. Requests from other
	// origins without an API key get 403 general_unknown_origin.
	AllowedOrigins []string

	// Now is the clock, default time.Now. Tests set it to move time.
	Now func() time.Time
}

// Server is an in-memory Appwrite server for one project. It is safe for
// concurrent use; requests are served one at a time under one lock.
type Server struct {
	projectID      string
	apiKey         string
	version        serverVersion
	now            func() time.Time
	dataFile       string
	allowedOrigins map[string]bool // nil means any origin
	mux            *http.ServeMux

	mu      sync.Mutex // guards the fields below
	store   *store
	limiter *rateLimiter // nil when the rate limit is disabled
	saveErr error        // last failed write of the data file, returned by Close
}

// access is who may call a route.
type access int

const (
	accessKey     access = iota // API key with the route's scope (Users API)
	accessSession               // a signed-in user (Account API)
	accessGuest                 // anyone, including guests
)

// route is one endpoint. scope names the Appwrite scope in
// general_unauthorized_scope messages.
type route struct {
	pattern string
	access  access
	scope   string
	handle  func(*call) error
}

// call is one request after its project, key and session were resolved.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	hasKey  bool           // a valid X-Appwrite-Key was sent
	session *sessionRecord // the caller's session, nil for guests and keys
	user    *userRecord    // the session's user
}

// New checks cfg, loads the data file if one is configured, and returns a
// server ready to serve.
func New(cfg Config) (*Server, error) {
	if cfg.ProjectID == "" {
		return nil, errors.New("emulator config: project ID is empty")
	}
	if err := checkUID("projectId", cfg.ProjectID); err != nil {
		return nil, fmt.Errorf("emulator config: project ID %q: %w", cfg.ProjectID, err)
	}
	if cfg.APIKey == "" {
		return nil, errors.New("emulator config: API key is empty")
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	version, err := parseVersion(cfg.Version)
	if err != nil {
		return nil, fmt.Errorf("emulator config: %w", err)
	}
	origins, err := parseOrigins(cfg.AllowedOrigins)
	if err != nil {
		return nil, fmt.Errorf("emulator config: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}

	s := &Server{
		projectID:      cfg.ProjectID,
		apiKey:         cfg.APIKey,
		version:        version,
		now:            cfg.Now,
		dataFile:       cfg.DataFile,
		allowedOrigins: origins,
		store:          newStore(),
	}
	if !cfg.DisableRateLimit {
		s.limiter = newRateLimiter()
	}
	if cfg.DataFile != "" {
		loaded, err := loadDataFile(cfg.DataFile, cfg.ProjectID)
		if err != nil {
			return nil, err
		}
		s.store = loaded
	}
	s.mux = s.routes()
	return s, nil
}

// routes builds the router from Go 1.22 ServeMux patterns. The catch-all
// "/" returns 404 general_route_not_found for everything else, including
// known paths with another method, as Appwrite does.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health/version", s.handleHealthVersion)
	for _, rt := range []route{
		{"POST /v1/users", accessKey, "users.write", s.handleCreateUser},
		{"GET /v1/users", accessKey, "users.read", s.handleListUsers},
		{"GET /v1/users/{userId}", accessKey, "users.read", s.handleGetUser},
		{"DELETE /v1/users/{userId}", accessKey, "users.write", s.handleDeleteUser},
		{"PATCH /v1/users/{userId}/name", accessKey, "users.write", s.handleUpdateName},
		{"PATCH /v1/users/{userId}/email", accessKey, "users.write", s.handleUpdateEmail},
		{"PATCH /v1/users/{userId}/verification", accessKey, "users.write", s.handleUpdateEmailVerification},
		{"PATCH /v1/users/{userId}/status", accessKey, "users.write", s.handleUpdateStatus},
		{"PUT /v1/users/{userId}/labels", accessKey, "users.write", s.handleUpdateLabels},
		{"GET /v1/users/{userId}/prefs", accessKey, "users.read", s.handleGetPrefs},
		{"PATCH /v1/users/{userId}/prefs", accessKey, "users.write", s.handleUpdatePrefs},
		{"POST /v1/users/{userId}/tokens", accessKey, "users.write", s.handleCreateToken},
		{"DELETE /v1/users/{userId}/sessions", accessKey, "users.write", s.handleDeleteUserSessions},
		{"POST /v1/account/sessions/token", accessGuest, "sessions.write", s.handleCreateSession},
		{"GET /v1/account", accessSession, "account", s.handleGetAccount},
		{"DELETE /v1/account/sessions", accessSession, "account", s.handleDeleteSessions},
		{"DELETE /v1/account/sessions/{sessionId}", accessSession, "account", s.handleDeleteSession},
	} {
		mux.Handle(rt.pattern, s.serveRoute(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, newError(http.StatusNotFound, TypeRouteNotFound, "Route not found: check the method and path against the Appwrite REST API reference."))
	})
	return mux
}

// ServeHTTP serves the Appwrite REST API under /v1.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	allowed := s.setCORSHeaders(w, r)
	if r.Method == http.MethodOptions {
		if allowed {
			writePreflight(w)
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Close writes the data file one last time, if one is configured, and
// returns the last write error.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.dataFile == "" {
		return nil
	}
	s.saveErr = saveDataFile(s.dataFile, s.projectID, s.store)
	return s.saveErr
}

func (s *Server) handleHealthVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"version": s.version.String()})
}

// serveRoute wraps a handler with the checks every API request passes, in
// the order Appwrite applies them: project, origin, key and session,
// blocked user, scope.
func (s *Server) serveRoute(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()

		if err := s.authorize(rt, &call{w: w, r: r}); err != nil {
			s.writeError(w, err)
		}
	})
}

func (s *Server) authorize(rt route, c *call) error {
	if err := s.checkProject(c.r); err != nil {
		return err
	}

	key := c.r.Header.Get("X-Appwrite-Key")
	c.hasKey = key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.apiKey)) == 1
	if !c.hasKey {
		if err := s.checkOrigin(c.r); err != nil {
			return err
		}
	}

	c.session, c.user = s.resolveSession(c.r)
	if key != "" && c.session != nil {
		return newError(http.StatusForbidden, s.version.keyAndSessionType(), "The request carries both an API key and a session. Send only one of them.")
	}
	if c.user != nil && !c.user.Status {
		return newError(s.version.blockedStatus(), TypeUserBlocked, "The user of this session is blocked.")
	}

	switch {
	case rt.access == accessKey && !c.hasKey:
		return scopeError(roleOf(c), rt.scope)
	case rt.access == accessSession && c.session == nil:
		return scopeError(roleOf(c), rt.scope)
	}
	return rt.handle(c)
}

// roleOf names the caller's role the way Appwrite's scope errors do.
func roleOf(c *call) string {
	switch {
	case c.hasKey:
		return "applications"
	case c.session != nil:
		return "users"
	default:
		return "guests"
	}
}

func scopeError(role, scope string) *apiError {
	return newError(http.StatusUnauthorized, TypeUnauthorizedScope, "User (role: %s) missing scope (%s)", role, scope)
}

// checkProject accepts the configured project from X-Appwrite-Project or,
// as Appwrite does for browser redirects, the `project` query parameter.
func (s *Server) checkProject(r *http.Request) error {
	project := r.Header.Get("X-Appwrite-Project")
	if project == "" {
		project = r.URL.Query().Get("project")
	}
	if project == "" {
		return newError(http.StatusNotFound, TypeProjectNotFound, "Project not found: send the project ID in the X-Appwrite-Project header.")
	}
	if project != s.projectID {
		return newError(http.StatusNotFound, TypeProjectNotFound, "Unknown project ID: check the X-Appwrite-Project header.")
	}
	return nil
}

// save writes the data file after a change, when one is configured. A
// failure is kept for Close and sent to the caller as a server error.
func (s *Server) save() error {
	if s.dataFile == "" {
		return nil
	}
	s.saveErr = saveDataFile(s.dataFile, s.projectID, s.store)
	return s.saveErr
}
