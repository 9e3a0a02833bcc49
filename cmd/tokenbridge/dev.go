package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"

	"github.com/tokenbridge/tokenbridge/devstack"
	"github.com/tokenbridge/tokenbridge/server"
)

// devFlags are the flags of "tokenbridge dev".
type devFlags struct {
	bridgePort   int
	providerPort int
	appwritePort int
	appPort      int
	dataFile     string
	configOut    string
	logFormat    string
}

// flagFor names the flag that sets each component's port.
var flagFor = map[devstack.Component]string{
	devstack.ComponentBridge:   "--bridge-port",
	devstack.ComponentProvider: "--provider-port",
	devstack.ComponentAppwrite: "--appwrite-port",
	devstack.ComponentApp:      "--app-port",
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseDevFlags(args, stderr)
	if err != nil {
		return err
	}
	logger, err := server.NewLogger(stderr, f.logFormat, "info")
	if err != nil {
		return err
	}
	slog.SetDefault(newLibraryLogger(stderr, f.logFormat))

	stack, err := devstack.Start(ctx, devstack.Options{
		BridgeAddress:   loopbackAddress(f.bridgePort),
		ProviderAddress: loopbackAddress(f.providerPort),
		AppwriteAddress: loopbackAddress(f.appwritePort),
		AppAddress:      loopbackAddress(f.appPort),
		ConfigPath:      f.configOut,
		DataFile:        f.dataFile,
		LogFormat:       f.logFormat,
		Logger:          logger,
	})
	if err != nil {
		var listenErr *devstack.ListenError
		if errors.As(err, &listenErr) {
			return fmt.Errorf("%w (choose another port with %s)", err, flagFor[listenErr.Component])
		}
		return err
	}

	fmt.Fprintf(stdout, `tokenbridge dev is running on 127.0.0.1.

  Open %s and click "Sign in".

  bridge                %s
  development provider  %s
  Appwrite emulator     %s (project %s)
  configuration         %s

Each login is logged below. Press Ctrl-C to stop.
`, stack.AppURL, stack.BridgeURL, stack.Issuer, stack.Endpoint, devstack.ProjectID, stack.ConfigPath)

	if err := stack.Wait(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "tokenbridge dev stopped.")
	return nil
}

func parseDevFlags(args []string, stderr io.Writer) (*devFlags, error) {
	f := &devFlags{}
	flags := flag.NewFlagSet("dev", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprint(stderr, `Usage: tokenbridge dev [flags]

Runs the bridge, a development OpenID provider, the Appwrite emulator and a
demo app on 127.0.0.1, with a generated configuration. Open the printed URL
and sign in. Port 0 picks a free port.

Flags:
`)
		flags.PrintDefaults()
	}
	flags.IntVar(&f.bridgePort, "bridge-port", 8080, "port of the bridge")
	flags.IntVar(&f.providerPort, "provider-port", 9998, "port of the development OpenID provider")
	flags.IntVar(&f.appwritePort, "appwrite-port", 8090, "port of the Appwrite emulator")
	flags.IntVar(&f.appPort, "app-port", 3000, "port of the demo app")
	flags.StringVar(&f.dataFile, "data", "", "file that keeps the emulator's users and sessions across runs (default: memory only)")
	flags.StringVar(&f.configOut, "config-out", "", "where to write the generated configuration, mode 0600 (default: tokenbridge/dev.yaml in the user configuration folder)")
	flags.StringVar(&f.logFormat, "log-format", "text", "log output: text or json")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "tokenbridge dev: unexpected argument %q\n", flags.Arg(0))
		return nil, errUsage
	}

	for _, port := range []struct {
		name  string
		value int
	}{
		{"--bridge-port", f.bridgePort},
		{"--provider-port", f.providerPort},
		{"--appwrite-port", f.appwritePort},
		{"--app-port", f.appPort},
	} {
		if port.value < 0 || port.value > 65535 {
			fmt.Fprintf(stderr, "tokenbridge dev: %s %d is not a port from 0 to 65535\n", port.name, port.value)
			return nil, errUsage
		}
	}
	if f.logFormat != "text" && f.logFormat != "json" {
		fmt.Fprintf(stderr, "tokenbridge dev: --log-format %q is not text or json\n", f.logFormat)
		return nil, errUsage
	}
	if f.configOut == "" {
		path, err := devstack.DefaultConfigPath()
		if err != nil {
			return nil, fmt.Errorf("%w (set --config-out)", err)
		}
		f.configOut = path
	}
	return f, nil
}

func loopbackAddress(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// newLibraryLogger returns the default logger while the stack runs. The
// development provider's library, zitadel/oidc, logs through it. It keeps
// errors only, so each login shows as the bridge's one line, and drops
// "state" attributes, which that library puts into its error records.
func newLibraryLogger(w io.Writer, format string) *slog.Logger {
	opts := &slog.HandlerOptions{
		Level: slog.LevelError,
		ReplaceAttr: func(_ []string, attr slog.Attr) slog.Attr {
			if attr.Key == "state" {
				return slog.Attr{}
			}
			return attr
		},
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
