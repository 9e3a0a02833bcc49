package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tokenbridge/tokenbridge/emulator"
)

// emulatorShutdownTimeout is the time requests in flight get to finish once
// the emulator receives the stop signal.
const emulatorShutdownTimeout = 5 * time.Second

// originList collects the repeatable --allowed-origin flag.
type originList []string

func (o *originList) String() string { return strings.Join(*o, ",") }

func (o *originList) Set(value string) error {
	*o = append(*o, value)
	return nil
}

// emulatorFlags are the settings of `tokenbridge emulator`.
type emulatorFlags struct {
	listen      string
	project     string
	apiKey      string
	version     string
	dataFile    string
	noRateLimit bool
	origins     originList
}

func parseEmulatorFlags(args []string, stderr io.Writer) (*emulatorFlags, error) {
	f := &emulatorFlags{}
	flags := flag.NewFlagSet("emulator", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprint(stderr, `Usage: tokenbridge emulator [flags]

Serves an Appwrite-compatible API (Users API, custom tokens, token sessions)
for one project, in memory, for local development and tests. Point the
official Appwrite SDKs at http://LISTEN/v1.

Flags:
`)
		flags.PrintDefaults()
	}
	flags.StringVar(&f.listen, "listen", "127.0.0.1:8090", "host:port to listen on")
	flags.StringVar(&f.project, "project", "tokenbridge-dev", "project ID callers send in X-Appwrite-Project")
	flags.StringVar(&f.apiKey, "api-key", "", "API key callers send in X-Appwrite-Key (default: $APPWRITE_API_KEY, else a random key printed at start)")
	flags.StringVar(&f.version, "version", emulator.DefaultVersion, "emulated Appwrite version, 1.5.0 to 1.9.x; from 1.9.0 user_blocked is 403 instead of 401")
	flags.StringVar(&f.dataFile, "data", "", "JSON file that keeps users, hashed tokens and sessions across restarts (default: memory only)")
	flags.BoolVar(&f.noRateLimit, "no-rate-limit", false, "turn off the limit of 10 sessions/token calls per hour per IP and user, for load tests")
	flags.Var(&f.origins, "allowed-origin", "browser origin (http://localhost:5173) or hostname allowed to call the API; repeatable (default: any origin)")

	if err := flags.Parse(args); err != nil {
		return nil, errUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "tokenbridge emulator: unexpected argument %q (flags only; see --help)\n", flags.Arg(0))
		return nil, errUsage
	}
	return f, nil
}

// runEmulator serves the Appwrite emulator until ctx is cancelled, then
// shuts it down and writes its data file.
func runEmulator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseEmulatorFlags(args, stderr)
	if err != nil {
		return err
	}

	apiKey, generated := f.apiKey, false
	if apiKey == "" {
		apiKey = os.Getenv("APPWRITE_API_KEY")
	}
	if apiKey == "" {
		apiKey, generated = newEmulatorKey(), true
	}

	emu, err := emulator.New(emulator.Config{
		ProjectID:        f.project,
		APIKey:           apiKey,
		Version:          f.version,
		DisableRateLimit: f.noRateLimit,
		DataFile:         f.dataFile,
		AllowedOrigins:   f.origins,
	})
	if err != nil {
		return err
	}
	listener, err := listen(f.listen, "--listen")
	if err != nil {
		return errors.Join(err, emu.Close())
	}

	printEmulatorBanner(stdout, stderr, f, listener.Addr(), apiKey, generated)
	return serveEmulator(ctx, listener, emu)
}

// newEmulatorKey returns a random key in the format of Appwrite 1.6 and
// later: "standard_" and 256 hex characters.
func newEmulatorKey() string {
	buf := make([]byte, 128)
	_, _ = rand.Read(buf) // crypto/rand.Read returns no error since Go 1.24; it panics instead
	return "standard_" + hex.EncodeToString(buf)
}

func printEmulatorBanner(stdout, stderr io.Writer, f *emulatorFlags, addr net.Addr, apiKey string, generated bool) {
	fmt.Fprintf(stdout, "Appwrite emulator %s serving project %q at http://%s/v1\n", f.version, f.project, addr)
	if generated {
		// Printed once, on purpose: this is a local tool and the caller
		// needs the key to use the Users API.
		fmt.Fprintf(stdout, "API key (generated; set --api-key or APPWRITE_API_KEY to choose one): %s\n", apiKey)
	}
	if f.dataFile != "" {
		fmt.Fprintf(stdout, "Users are kept in %s\n", f.dataFile)
	}
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		fmt.Fprintf(stderr, "warning: the emulator listens on %s, beyond this machine; it has no TLS and is meant for local work only\n", addr)
	}
}

// serveEmulator serves until ctx ends, lets requests in flight finish, and
// closes the emulator so its data file is written.
func serveEmulator(ctx context.Context, listener net.Listener, emu *emulator.Server) error {
	server := &http.Server{
		Handler:           emu,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(listener) }()

	var err error
	select {
	case err = <-serveErr:
		err = fmt.Errorf("serve emulator: %w", err)
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), emulatorShutdownTimeout)
		defer cancel()
		if shutdownErr := server.Shutdown(shutdownCtx); shutdownErr != nil {
			err = fmt.Errorf("shut down emulator: %w", shutdownErr)
		}
	}
	if closeErr := emu.Close(); closeErr != nil {
		err = errors.Join(err, closeErr)
	}
	return err
}
