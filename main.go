// Command portal is the whole appliance: a repair shop's and visitor desk's
// system of record, REST API, web console and webhook sender in one binary.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `portal — the repair shop appliance

Usage:
  portal serve   [--addr 127.0.0.1:8080] [--data ./portal-data] [--sandbox] [--webhook-retry-schedule 1m,5m,…]
                 [--tls-cert FILE --tls-key FILE]   HTTPS; off loopback a self-signed certificate unless given
                 [--nats-url URL [--nats-creds FILE] [--nats-stream PORTAL] [--nats-shop ID] [--nats-include-test]]
                                                    mirror the event log to NATS JetStream (a chain of shops)
  portal keys    create --type plugin|developer|internal|user|app --name N [--scopes a,b] [--tier T] [--data DIR]
  portal keys    list [--data DIR]
  portal keys    revoke ID [--data DIR]
  portal trigger EVENT [--data DIR]          fire a sample event in the test store
  portal listen  --forward-to URL [--events E] [--format F] [--data DIR | --server URL --key K]
  portal verify  --format F --secret S --header 'Name: value'… [--at UNIX] < body
  portal backup  --out FILE [--data DIR]     one archive of the data, also while serving
  portal restore FILE [--data DIR]           put a backup in place (with the server stopped)
  portal service install [serve's flags] | uninstall | start | stop | status
  portal version

Flags also come from the environment: PORTAL_ADDR, PORTAL_DATA, PORTAL_SANDBOX, PORTAL_TLS_CERT, PORTAL_TLS_KEY,
PORTAL_NATS_URL, PORTAL_NATS_CREDS, PORTAL_NATS_STREAM, PORTAL_NATS_SHOP, PORTAL_NATS_INCLUDE_TEST.
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(args[1:])
	case "keys":
		err = cmdKeys(args[1:])
	case "verify":
		err = cmdVerify(args[1:], os.Stdin)
	case "trigger":
		err = cmdTrigger(args[1:])
	case "listen":
		err = cmdListen(args[1:])
	case "backup":
		err = cmdBackup(args[1:])
	case "restore":
		err = cmdRestore(args[1:])
	case "service":
		err = cmdService(args[1:])
	case "version", "--version":
		fmt.Println("portal", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "portal: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		return 1
	}
	return 0
}

// dataFlag adds --data with the PORTAL_DATA default.
func dataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", envOr("PORTAL_DATA", "./portal-data"), "data folder")
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// parseFlags parses flags that may come before or after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

var errUsage = errors.New("see 'portal help'")

func usageErr(format string, a ...any) error {
	return fmt.Errorf(format+" (%w)", append(a, errUsage)...)
}
