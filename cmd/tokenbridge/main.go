// Command tokenbridge signs users of Appwrite apps in through OpenID Connect
// providers and hands the app an Appwrite custom token.
//
// Usage:
//
//	tokenbridge serve --config FILE          serve logins
//	tokenbridge check-config --config FILE   validate a configuration and exit
//	tokenbridge dev                          run the bridge, a development provider, the Appwrite emulator and a demo app
//	tokenbridge emulator [flags]             run the Appwrite emulator alone
//	tokenbridge version                      print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `tokenbridge signs users of Appwrite apps in through OpenID Connect providers.

Usage:
  tokenbridge serve --config FILE          serve logins
  tokenbridge check-config --config FILE   validate a configuration and exit
  tokenbridge dev [flags]                  run a complete local stack for development
  tokenbridge emulator [flags]             run the Appwrite emulator alone
  tokenbridge version                      print the version

Run "tokenbridge COMMAND --help" for a command's flags.
`

// errUsage marks a command-line mistake; the message was already printed.
var errUsage = errors.New("usage error")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "tokenbridge:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	command, rest := args[0], args[1:]
	switch command {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "check-config":
		return runCheckConfig(rest, stdout, stderr)
	case "dev":
		return runDev(ctx, rest, stdout, stderr)
	case "emulator":
		return runEmulator(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "tokenbridge", version())
		return nil
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "tokenbridge: unknown command %q\n\n%s", command, usage)
		return errUsage
	}
}
