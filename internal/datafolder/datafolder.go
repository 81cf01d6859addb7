package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"portal/store"
)

// dataDir names the files of one appliance's data folder.
type dataDir string

func (d dataDir) live() string { return filepath.Join(string(d), "live.db") }
func (d dataDir) test() string { return filepath.Join(string(d), "test.db") }
func (d dataDir) seal() string { return filepath.Join(string(d), "secret.key") }

// socket is the admin socket: in the data folder, unless that path is too
// long for a unix socket (about 104 bytes), then in the temp folder under a
// name derived from the data folder's absolute path.
func (d dataDir) socket() string {
	p := filepath.Join(string(d), "portal.sock")
	if len(p) < 100 {
		return p
	}
	abs, err := filepath.Abs(string(d))
	if err != nil {
		abs = string(d)
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(os.TempDir(), "portal-"+hex.EncodeToString(sum[:8])+".sock")
}

// stores is an opened data folder.
type stores struct {
	live, test *store.Store
	sealer     *store.Sealer
}

func (s *stores) Close() {
	s.test.Close()
	s.live.Close()
}

// open opens both stores (creating the folder on first use).
func (d dataDir) open(lockTimeout time.Duration) (*stores, error) {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return nil, err
	}
	if err := finishRestore(d); err != nil {
		return nil, fmt.Errorf("an interrupted restore could not be finished: %w", err)
	}
	sealer, err := store.LoadSealer(d.seal())
	if err != nil {
		return nil, err
	}
	live, err := store.Open(d.live(), store.Options{Mode: store.Live, LockTimeout: lockTimeout})
	if err != nil {
		return nil, err
	}
	test, err := store.Open(d.test(), store.Options{Mode: store.Test, LockTimeout: lockTimeout})
	if err != nil {
		live.Close()
		return nil, err
	}
	return &stores{live: live, test: test, sealer: sealer}, nil
}

// adminClient talks to a running server over the data folder's socket, or
// returns nil when no server answers there.
func (d dataDir) adminClient() *http.Client {
	sock := d.socket()
	conn, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return nil
	}
	conn.Close()
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", sock)
		}},
	}
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
