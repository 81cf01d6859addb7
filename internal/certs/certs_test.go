package certs

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fileFingerprint is the fingerprint of the certificate in path.
func fileFingerprint(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatalf("%s is not PEM", path)
	}
	return Fingerprint(block.Bytes)
}

func TestSelfSignedPairIsMadeOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "tls-cert.pem"), filepath.Join(dir, "tls-key.pem")
	first, err := LoadSelfSigned(certPath, keyPath, "0.0.0.0:8443", quiet())
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", fi, err)
	}
	if got := first.Fingerprint(); got != fileFingerprint(t, certPath) || len(got) != 95 {
		t.Fatalf("fingerprint %q, the file's %q", got, fileFingerprint(t, certPath))
	}
	again, err := LoadSelfSigned(certPath, keyPath, "0.0.0.0:8443", quiet())
	if err != nil || again.Fingerprint() != first.Fingerprint() {
		t.Fatalf("second load: %v, fingerprint %s, want %s", err, again.Fingerprint(), first.Fingerprint())
	}

	// A pair that does not load is replaced by a new one.
	if err := os.WriteFile(certPath, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	made, err := LoadSelfSigned(certPath, keyPath, "0.0.0.0:8443", quiet())
	if err != nil || made.Fingerprint() == first.Fingerprint() {
		t.Fatalf("broken pair: %v, fingerprint %s", err, made.Fingerprint())
	}
}

func TestPlainHTTPHasNoFingerprint(t *testing.T) {
	var none *Files
	if fp := none.Fingerprint(); fp != "" {
		t.Fatalf("nil Files: %q", fp)
	}
}

// A changed pair is served from the first handshake after the check
// interval; a broken copy warns and leaves the last good pair in service.
func TestChangedFilesAreReloadedAndABrokenCopyIsNot(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	stamp := time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)
	writePair := func() string {
		t.Helper()
		if err := WriteSelfSigned(certPath, keyPath, []string{"127.0.0.1"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		stamp = stamp.Add(time.Minute) // a changed time, whatever the file system's resolution
		for _, p := range []string{certPath, keyPath} {
			if err := os.Chtimes(p, stamp, stamp); err != nil {
				t.Fatal(err)
			}
		}
		return fileFingerprint(t, certPath)
	}
	first := writePair()
	var logged bytes.Buffer
	c, err := Load(certPath, keyPath, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	c.now = func() time.Time { return clock }
	c.checked = clock

	second := writePair()
	clock = clock.Add(CheckEvery / 2)
	if got := c.Fingerprint(); got != first {
		t.Fatalf("within the check interval: %s, want the first pair still", got)
	}
	clock = clock.Add(CheckEvery)
	if got := c.Fingerprint(); got != second {
		t.Fatalf("after the check interval: %s, want the second pair", got)
	}
	if cert, _ := c.GetCertificate(nil); Fingerprint(cert.Certificate[0]) != second {
		t.Fatal("GetCertificate hands out another pair than Fingerprint names")
	}

	if err := os.WriteFile(certPath, []byte("-----BEGIN CERTIFICATE-----\nnot one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(CheckEvery)
	if got := c.Fingerprint(); got != second {
		t.Fatalf("after a broken copy: %s, want the second pair still", got)
	}
	clock = clock.Add(CheckEvery)
	c.Fingerprint()
	if n := strings.Count(logged.String(), "still serving the previous certificate"); n != 1 {
		t.Fatalf("warned %d times about one broken copy, want once:\n%s", n, logged.String())
	}
}

func TestSplitListenerServesTLSAndPlainHTTPOnOnePort(t *testing.T) {
	dir := t.TempDir()
	c, err := LoadSelfSigned(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), "127.0.0.1:0", quiet())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	split := NewSplitListener(ln, c.TLSConfig())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			io.WriteString(w, "tls "+r.TLS.NegotiatedProtocol)
			return
		}
		io.WriteString(w, "plain")
	})}
	go srv.Serve(split)
	t.Cleanup(func() { srv.Close() })

	// A client that connects and says nothing holds up nobody else.
	silent, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}}, ForceAttemptHTTP2: true}}
	for scheme, want := range map[string]string{"http": "plain", "https": "tls http/1.1"} {
		resp, err := client.Get(scheme + "://" + ln.Addr().String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != want {
			t.Errorf("%s: %q, want %q", scheme, body, want)
		}
	}

	if err := split.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := split.Accept(); err == nil {
		t.Fatal("Accept after Close returned a connection")
	}
}
