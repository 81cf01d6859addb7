package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"portal/chain"
	"portal/internal/natstest"
)

func TestServeDefaultsAreLoopback8080AndPortalData(t *testing.T) {
	t.Setenv("PORTAL_ADDR", "")
	t.Setenv("PORTAL_DATA", "")
	t.Setenv("PORTAL_SANDBOX", "")
	cfg, err := parseServe(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != "127.0.0.1:8080" || cfg.data != "./portal-data" || cfg.sandbox {
		t.Fatalf("defaults = %+v", cfg)
	}
}

func TestServeAcceptsNetworkAddressAndServesTLSThere(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "192.168.1.10:80"} {
		cfg, err := parseServe([]string{"--addr", addr})
		if err != nil || !cfg.servesTLS() {
			t.Errorf("--addr %s: TLS %v, err %v; want TLS with a self-signed certificate", addr, cfg.servesTLS(), err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:8080", "[::1]:8080"} {
		cfg, err := parseServe([]string{"--addr", addr})
		if err != nil || cfg.servesTLS() {
			t.Errorf("--addr %s: TLS %v, err %v; want plain HTTP", addr, cfg.servesTLS(), err)
		}
		cfg, err = parseServe([]string{"--addr", addr, "--tls-cert", "c.pem", "--tls-key", "k.pem"})
		if err != nil || !cfg.servesTLS() {
			t.Errorf("--addr %s with a certificate: TLS %v, err %v; want TLS", addr, cfg.servesTLS(), err)
		}
	}
}

func TestServeNATSFlagsSetTheChain(t *testing.T) {
	for _, name := range []string{"PORTAL_NATS_URL", "PORTAL_NATS_CREDS", "PORTAL_NATS_STREAM", "PORTAL_NATS_SHOP", "PORTAL_NATS_INCLUDE_TEST"} {
		t.Setenv(name, "")
	}
	cfg, err := parseServe(nil)
	if err != nil || cfg.chain != nil {
		t.Fatalf("no flags: chain %+v, err %v; want none (the console's settings decide)", cfg.chain, err)
	}
	creds := writeCreds(t, filepath.Join(t.TempDir(), "branch.creds"))
	cfg, err = parseServe([]string{"--nats-url", "nats://hub.example:4222", "--nats-creds", creds, "--nats-shop", "downtown", "--nats-include-test"})
	if err != nil {
		t.Fatal(err)
	}
	want := chain.Config{URL: "nats://hub.example:4222", CredsFile: creds, Stream: chain.DefaultStream, Shop: "downtown", IncludeTest: true}
	if cfg.chain == nil || *cfg.chain != want {
		t.Fatalf("chain = %+v, want %+v", cfg.chain, want)
	}
	// Only the URL: the default stream, the derived shop id (left to the settings), live events only.
	cfg, err = parseServe([]string{"--nats-url", "tls://a.example:4222,tls://b.example:4222"})
	if err != nil || cfg.chain == nil || cfg.chain.Stream != "PORTAL" || cfg.chain.Shop != "" || cfg.chain.IncludeTest {
		t.Fatalf("only --nats-url: %+v, %v", cfg.chain, err)
	}

	// The environment sets the same.
	t.Setenv("PORTAL_NATS_URL", "nats://127.0.0.1:4222")
	t.Setenv("PORTAL_NATS_STREAM", "BRANCHES")
	t.Setenv("PORTAL_NATS_SHOP", "uptown")
	t.Setenv("PORTAL_NATS_INCLUDE_TEST", "true")
	cfg, err = parseServe(nil)
	want = chain.Config{URL: "nats://127.0.0.1:4222", Stream: "BRANCHES", Shop: "uptown", IncludeTest: true}
	if err != nil || cfg.chain == nil || *cfg.chain != want {
		t.Fatalf("from the environment: %+v, %v; want %+v", cfg.chain, err, want)
	}
	// A flag wins over the environment.
	cfg, err = parseServe([]string{"--nats-shop", "midtown"})
	if err != nil || cfg.chain == nil || cfg.chain.Shop != "midtown" {
		t.Fatalf("--nats-shop over PORTAL_NATS_SHOP: %+v, %v", cfg.chain, err)
	}
}

// A mistake in the --nats-… flags stops serve at once with a usage error
// naming the flag, rather than a publisher that never connects.
func TestServeRefusesBadNATSFlags(t *testing.T) {
	for _, name := range []string{"PORTAL_NATS_URL", "PORTAL_NATS_CREDS", "PORTAL_NATS_STREAM", "PORTAL_NATS_SHOP", "PORTAL_NATS_INCLUDE_TEST"} {
		t.Setenv(name, "")
	}
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--nats-shop", "downtown"}, "--nats-shop"},
		{[]string{"--nats-creds", "x.creds"}, "--nats-creds"},
		{[]string{"--nats-stream", "BRANCHES"}, "--nats-stream"},
		{[]string{"--nats-include-test"}, "--nats-include-test"},
		{[]string{"--nats-url", "http://hub.example:4222"}, "--nats-url"},
		{[]string{"--nats-url", "nats://hub.example:4222", "--nats-shop", "Down Town!"}, "--nats-shop"},
		{[]string{"--nats-url", "nats://hub.example:4222", "--nats-stream", "a.b"}, "--nats-stream"},
		{[]string{"--nats-url", "nats://hub.example:4222", "--nats-creds", filepath.Join(t.TempDir(), "missing.creds")}, "--nats-creds"},
		{[]string{"--nats-url", "nats://hub.example:4222", "--nats-creds", "serve_config_test.go"}, "--nats-creds"},
	} {
		_, err := parseServe(tc.args)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("%v: %v; want a usage error naming %s", tc.args, err, tc.flag)
		}
	}
	// The environment's companions alone are no mistake: nothing is mirrored.
	t.Setenv("PORTAL_NATS_SHOP", "downtown")
	if cfg, err := parseServe(nil); err != nil || cfg.chain != nil {
		t.Errorf("PORTAL_NATS_SHOP alone: %+v, %v", cfg.chain, err)
	}
}

func TestServiceInstallRecordsNATSFlags(t *testing.T) {
	t.Setenv("PORTAL_DATA", "")
	t.Setenv("PORTAL_NATS_URL", "")
	dir := t.TempDir()
	t.Chdir(dir)
	writeCreds(t, "branch.creds")
	sc, _, err := serviceConfig([]string{"--nats-url", "nats://hub.example:4222", "--nats-creds", "branch.creds",
		"--nats-shop", "downtown", "--nats-stream", "BRANCHES", "--nats-include-test"}, "linux")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"serve", "--addr", "127.0.0.1:8080", "--data", "/var/lib/portal", "--nats-url", "nats://hub.example:4222",
		"--nats-creds", filepath.Join(dir, "branch.creds"), "--nats-stream", "BRANCHES", "--nats-shop", "downtown", "--nats-include-test"}
	if !slices.Equal(sc.Arguments, want) {
		t.Errorf("runs %v, want %v", sc.Arguments, want)
	}
	// Defaults are left out, as for the other flags.
	sc, _, err = serviceConfig([]string{"--nats-url", "nats://hub.example:4222"}, "linux")
	if err != nil || !slices.Equal(sc.Arguments[4:], []string{"/var/lib/portal", "--nats-url", "nats://hub.example:4222"}) {
		t.Errorf("only --nats-url: %v %v", sc.Arguments, err)
	}
	// Several servers, written as people write them, carry no secret.
	sc, _, err = serviceConfig([]string{"--nats-url", "nats://hub-a.example:4222, nats://hub-b.example:4222,"}, "linux")
	if err != nil || !slices.Equal(sc.Arguments[5:], []string{"--nats-url", "nats://hub-a.example:4222,nats://hub-b.example:4222"}) {
		t.Errorf("two servers: %v %v", sc.Arguments, err)
	}
	if _, _, err := serviceConfig([]string{"--nats-shop", "downtown"}, "linux"); !errors.Is(err, errUsage) {
		t.Errorf("--nats-shop without --nats-url installed: %v", err)
	}
	// A secret in the URL would land in a file anyone may read (systemd's unit, launchd's plist).
	for _, u := range []string{"nats://branch:s3cret@hub.example:4222", "nats://tok3n@hub.example:4222",
		"nats://hub-a.example:4222,nats://branch:s3cret@hub-b.example:4222"} {
		if _, _, err := serviceConfig([]string{"--nats-url", u}, "linux"); !errors.Is(err, errUsage) ||
			!strings.Contains(err.Error(), "--nats-creds") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("installing with --nats-url %s: %v; want a usage error pointing to --nats-creds", u, err)
		}
	}
}

// writeCreds writes a real .creds file at path.
func writeCreds(t *testing.T, path string) string {
	t.Helper()
	creds, _ := natstest.UserCreds(t)
	if err := os.WriteFile(path, []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRetentionHoldIsTheLowerNonZero(t *testing.T) {
	at := func(n uint64) func() uint64 { return func() uint64 { return n } }
	for _, tc := range []struct{ a, b, want uint64 }{{0, 0, 0}, {5, 0, 5}, {0, 7, 7}, {5, 7, 5}, {9, 7, 7}} {
		if got := lowerHold(at(tc.a), at(tc.b))(); got != tc.want {
			t.Errorf("lowerHold(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
