package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tokenbridge/tokenbridge/config"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", "", "path of the YAML configuration file (required)")
	if err := flags.Parse(args); err != nil {
		return errUsage
	}
	if *configPath == "" {
		fmt.Fprintln(stderr, "tokenbridge serve: --config is required (see config.example.yaml)")
		return errUsage
	}

	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	logger, err := newLogger(stderr, cfg.Server.LogFormat, cfg.Server.LogLevel)
	if err != nil {
		return err
	}
	app, err := build(cfg, *configPath, logger)
	if err != nil {
		return err
	}
	listener, err := listen(cfg.Server.Listen, "server.listen in "+*configPath)
	if err != nil {
		return err
	}
	return app.serve(ctx, listener, cfg.Server.ShutdownTimeout)
}

func runCheckConfig(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("check-config", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", "", "path of the YAML configuration file (required)")
	if err := flags.Parse(args); err != nil {
		return errUsage
	}
	if *configPath == "" {
		fmt.Fprintln(stderr, "tokenbridge check-config: --config is required")
		return errUsage
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	allow, err := parseAllowList(cfg, *configPath)
	if err != nil {
		return err
	}
	for _, warning := range append(cfg.Warnings(), allow.Warnings()...) {
		fmt.Fprintln(stdout, "warning:", warning)
	}
	fmt.Fprintf(stdout, "%s: configuration is valid (%d providers, %d return URLs); discovery was not checked\n",
		*configPath, len(cfg.Providers), len(cfg.ReturnURLs))
	return nil
}

// loadConfig loads the file and, on failure, returns an error that prints
// every problem on its own line.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		var cfgErr *config.Error
		if errors.As(err, &cfgErr) {
			return nil, fmt.Errorf("invalid configuration:\n%w", err)
		}
		return nil, err
	}
	return cfg, nil
}

// listen opens a TCP listener and names the setting to change when the
// address is taken.
func listen(address, setting string) (net.Listener, error) {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (choose another address with %s)", address, err, setting)
	}
	return listener, nil
}

// serve runs the HTTP server until ctx ends, then lets requests in flight
// finish within shutdownTimeout.
func (a *application) serve(ctx context.Context, listener net.Listener, shutdownTimeout time.Duration) error {
	server := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	discoveryCtx, stopDiscovery := context.WithCancel(ctx)
	defer stopDiscovery()
	if err := a.startDiscovery(discoveryCtx); err != nil {
		listener.Close()
		return err
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(listener) }()
	a.logger.Info("tokenbridge serving", slog.String("address", listener.Addr().String()),
		slog.String("public_url", a.publicURL), slog.String("version", version()))

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.logger.Info("shutting down; finishing requests in flight", slog.Duration("timeout", shutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	a.logger.Info("tokenbridge stopped")
	return nil
}
