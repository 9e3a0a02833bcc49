package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/tokenbridge/tokenbridge/config"
	"github.com/tokenbridge/tokenbridge/server"
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
	logger, err := server.NewLogger(stderr, cfg.Server.LogFormat, cfg.Server.LogLevel)
	if err != nil {
		return err
	}
	app, err := server.Build(cfg, server.Options{ConfigPath: *configPath, UserAgent: "tokenbridge/" + version(), Logger: logger})
	if err != nil {
		return err
	}
	listener, err := listen(cfg.Server.Listen, "server.listen in "+*configPath)
	if err != nil {
		return err
	}
	logger.Info("starting tokenbridge", slog.String("version", version()))
	return app.Serve(ctx, listener, cfg.Server.ShutdownTimeout)
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
	allow, err := server.ParseAllowList(cfg, *configPath)
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
