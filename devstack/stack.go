package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/tokenbridge/tokenbridge/emulator"
	"github.com/tokenbridge/tokenbridge/server"
)

// shutdownTimeout bounds how long requests in flight may run after the
// stack's context ends.
const shutdownTimeout = 5 * time.Second

// Component names one server of the stack.
type Component string

// The stack's servers.
const (
	ComponentBridge   Component = "bridge"
	ComponentProvider Component = "development provider"
	ComponentAppwrite Component = "Appwrite emulator"
	ComponentApp      Component = "demo app"
)

// Options configure Start.
type Options struct {
	// BridgeAddress, ProviderAddress, AppwriteAddress and AppAddress are
	// the host:port each server listens on. The host must be a loopback IP
	// address, such as 127.0.0.1, and port 0 picks a free port. Default
	// 127.0.0.1:0.
	BridgeAddress   string
	ProviderAddress string
	AppwriteAddress string
	AppAddress      string

	// ConfigPath is the file that receives the generated configuration,
	// with mode 0600. Required.
	ConfigPath string
	// DataFile, when set, keeps the emulator's users and sessions across
	// runs (emulator.Config.DataFile).
	DataFile string
	// LogFormat is written into the generated configuration as
	// server.log_format: text or json. Default text.
	LogFormat string
	// Logger receives the bridge's logs, one Info line per finished login.
	// Default: logs are discarded.
	Logger *slog.Logger
	// Identities are the development provider's saved identities. nil
	// means DefaultIdentities().
	Identities []Identity
}

// ListenError reports a server of the stack that could not listen.
type ListenError struct {
	Component Component
	Address   string // the host:port asked for
	Err       error
}

// Error names the component and the address, and whether the port is taken.
func (e *ListenError) Error() string {
	if e.PortInUse() {
		_, port, _ := net.SplitHostPort(e.Address)
		return fmt.Sprintf("the %s cannot listen on %s: port %s is already in use", e.Component, e.Address, port)
	}
	return fmt.Sprintf("the %s cannot listen on %s: %v", e.Component, e.Address, e.Err)
}

// Unwrap returns the listen error.
func (e *ListenError) Unwrap() error { return e.Err }

// PortInUse reports whether another process holds the port.
func (e *ListenError) PortInUse() bool { return errors.Is(e.Err, syscall.EADDRINUSE) }

// Stack is a running development stack. Its servers run until the context
// given to Start ends; Wait returns once they have all stopped.
type Stack struct {
	// AppURL is the demo app, the one URL a developer opens.
	AppURL string
	// BridgeURL is the bridge's public URL.
	BridgeURL string
	// Issuer is the development provider's issuer URL.
	Issuer string
	// Endpoint is the Appwrite emulator's endpoint, ending in /v1.
	Endpoint string
	// ConfigPath is the generated configuration file.
	ConfigPath string
	// Provider is the development provider.
	Provider *Provider

	done chan struct{}
	err  error // set before done is closed
}

// Wait blocks until every server has stopped and returns the first serve
// or shutdown error, or nil after a clean stop.
func (s *Stack) Wait() error {
	<-s.done
	return s.err
}

// listeners are the stack's four open sockets.
type listeners struct {
	bridge, provider, appwrite, app net.Listener
}

func (l *listeners) close() {
	for _, listener := range []net.Listener{l.bridge, l.provider, l.appwrite, l.app} {
		if listener != nil {
			listener.Close()
		}
	}
}

// Start opens the four listeners, generates and writes the configuration,
// and serves the bridge, the development provider, the Appwrite emulator
// and the demo app until ctx ends. It returns once the bridge has loaded
// the provider's discovery document, so the stack is ready to sign in.
// A port that is taken gives a *ListenError.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if opts.ConfigPath == "" {
		return nil, errors.New("devstack: ConfigPath is required")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	ls, err := listenAll(opts)
	if err != nil {
		return nil, err
	}
	s, servers, closeEmulator, err := build(opts, ls, logger)
	if err != nil {
		ls.close()
		return nil, err
	}

	errs := make(chan error, len(servers))
	for _, srv := range servers {
		go func() {
			if err := srv.server.Serve(srv.listener); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("%s: serve: %w", srv.component, err)
			}
		}()
	}
	stop := func(cause error) error {
		return errors.Join(cause, shutdown(servers), closeEmulator())
	}

	// The bridge's listener already accepts connections, so a browser that
	// is fast finds the bridge waiting for discovery rather than refusing.
	if err := s.bridge.StartDiscovery(ctx); err != nil {
		return nil, stop(err)
	}

	go func() {
		var cause error
		select {
		case <-ctx.Done():
		case cause = <-errs:
		}
		s.Stack.err = stop(cause)
		close(s.Stack.done)
	}()
	return s.Stack, nil
}

// listenAll opens every listener, or none.
func listenAll(opts Options) (*listeners, error) {
	ls := &listeners{}
	for _, item := range []struct {
		component Component
		address   string
		target    *net.Listener
	}{
		{ComponentBridge, opts.BridgeAddress, &ls.bridge},
		{ComponentProvider, opts.ProviderAddress, &ls.provider},
		{ComponentAppwrite, opts.AppwriteAddress, &ls.appwrite},
		{ComponentApp, opts.AppAddress, &ls.app},
	} {
		listener, err := listenLoopback(item.component, item.address)
		if err != nil {
			ls.close()
			return nil, err
		}
		*item.target = listener
	}
	return ls, nil
}

// listenLoopback listens on address, which must name a loopback IP.
func listenLoopback(component Component, address string) (net.Listener, error) {
	if address == "" {
		address = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &ListenError{Component: component, Address: address, Err: err}
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, &ListenError{Component: component, Address: address,
			Err: errors.New("the host is not a loopback IP address such as 127.0.0.1 (the development stack signs anyone in, so it never listens on a network)")}
	}
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return nil, &ListenError{Component: component, Address: address, Err: err}
	}
	return listener, nil
}

// baseURL is http://host:port of a listener.
func baseURL(l net.Listener) string {
	addr := l.Addr().(*net.TCPAddr)
	return "http://" + net.JoinHostPort(addr.IP.String(), strconv.Itoa(addr.Port))
}

// namedServer is one HTTP server of the stack and its listener.
type namedServer struct {
	component Component
	server    *http.Server
	listener  net.Listener
}

// builtStack is a Stack before its servers run.
type builtStack struct {
	*Stack
	bridge *server.App
}

// build generates the configuration and creates every component.
func build(opts Options, ls *listeners, logger *slog.Logger) (*builtStack, []namedServer, func() error, error) {
	s := &Stack{
		AppURL:     baseURL(ls.app),
		BridgeURL:  baseURL(ls.bridge),
		Issuer:     baseURL(ls.provider),
		Endpoint:   baseURL(ls.appwrite) + "/v1",
		ConfigPath: opts.ConfigPath,
		done:       make(chan struct{}),
	}

	settings := newDevSettings()
	settings.listen = ls.bridge.Addr().String()
	settings.publicURL = s.BridgeURL
	settings.logFormat = opts.LogFormat
	if settings.logFormat == "" {
		settings.logFormat = "text"
	}
	settings.endpoint = s.Endpoint
	settings.issuer = s.Issuer
	settings.returnURLs = []string{SuccessURL(s.AppURL), FailureURL(s.AppURL)}

	data, err := renderConfig(settings)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, err := parseConfig(opts.ConfigPath, data)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := writeConfig(opts.ConfigPath, data); err != nil {
		return nil, nil, nil, err
	}

	emu, err := emulator.New(emulator.Config{
		ProjectID:      ProjectID,
		APIKey:         settings.apiKey,
		DataFile:       opts.DataFile,
		AllowedOrigins: []string{s.AppURL},
		// Appwrite before 1.9.0 allows 10 session exchanges per hour per IP
		// address and user, which a developer signing in as the same test
		// person again and again would soon exceed.
		DisableRateLimit: true,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	s.Provider, err = NewProvider(ProviderConfig{
		Issuer:       s.Issuer,
		ClientID:     ClientID,
		ClientSecret: settings.clientSecret,
		RedirectURI:  s.BridgeURL + "/callback/" + ProviderID,
		Identities:   opts.Identities,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	demo, err := NewDemoApp(DemoConfig{
		URL:       s.AppURL,
		LoginURL:  s.BridgeURL + "/login/" + ProviderID,
		Endpoint:  s.Endpoint,
		ProjectID: ProjectID,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	b, err := server.Build(cfg, server.Options{ConfigPath: s.ConfigPath, UserAgent: "tokenbridge-dev", Logger: logger})
	if err != nil {
		return nil, nil, nil, err
	}

	errorLog := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	newServer := func(component Component, handler http.Handler, listener net.Listener) namedServer {
		return namedServer{component: component, listener: listener, server: &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          errorLog,
		}}
	}
	// The bridge comes first so that it stops first: it calls the others.
	servers := []namedServer{
		newServer(ComponentBridge, b.Handler, ls.bridge),
		newServer(ComponentProvider, s.Provider, ls.provider),
		newServer(ComponentAppwrite, emu, ls.appwrite),
		newServer(ComponentApp, demo, ls.app),
	}
	return &builtStack{Stack: s, bridge: b}, servers, emu.Close, nil
}

// shutdown stops the servers in order, letting requests in flight finish
// within shutdownTimeout in all.
func shutdown(servers []namedServer) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()

	var errs []error
	for _, srv := range servers {
		if err := srv.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: shut down: %w", srv.component, err))
		}
	}
	return errors.Join(errs...)
}
