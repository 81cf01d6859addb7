package main

import (
	"testing"
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
