package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"portal/internal/certs"
)

var (
	fingerprintLine = regexp.MustCompile(`TLS certificate SHA-256 fingerprint: ([0-9A-F:]{95})`)
	setupToken      = regexp.MustCompile(`/setup#token=(\w+)`)
)

// networkServe starts serve on 0.0.0.0, which counts as reachable from the
// network, and returns it with the address tests connect to: 127.0.0.1 on
// the same port.
func networkServe(t *testing.T, dir string, args ...string) (*child, string) {
	t.Helper()
	p := startServe(t, dir, append([]string{"--addr", "0.0.0.0:0"}, args...)...)
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" {
		t.Fatalf("printed URL %s, want https", p.URL)
	}
	return p, net.JoinHostPort("127.0.0.1", u.Port())
}

// pinnedClient trusts exactly the certificate in certPath.
func pinnedClient(t *testing.T, certPath string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no certificate", certPath)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func fileFingerprint(t *testing.T, certPath string) string {
	t.Helper()
	pemBytes, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("%s is not PEM", certPath)
	}
	return certs.Fingerprint(block.Bytes)
}

// presented handshakes with addr and returns the certificate's fingerprint.
func presented(t *testing.T, addr string) string {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return certs.Fingerprint(conn.ConnectionState().PeerCertificates[0].Raw)
}

func TestTLSSelfSignedCertificateIsMadeOnceAndShownToTheConsole(t *testing.T) {
	dir := t.TempDir()
	p, addr := networkServe(t, dir)
	certPath := filepath.Join(dir, "tls-cert.pem")
	want := fileFingerprint(t, certPath)
	if m := fingerprintLine.FindStringSubmatch(p.Stdout); m == nil || m[1] != want {
		t.Fatalf("printed fingerprint %v, file's %s:\n%s", m, want, p.Stdout)
	}
	if fi, err := os.Stat(filepath.Join(dir, "tls-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("tls-key.pem: %v %v, want mode 0600", fi.Mode(), err)
	}

	client := pinnedClient(t, certPath)
	base := "https://" + addr
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err) // also fails if 127.0.0.1 is not among the certificate's names
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || certs.Fingerprint(resp.TLS.PeerCertificates[0].Raw) != want {
		t.Fatalf("healthz over TLS: %d", resp.StatusCode)
	}
	if err := resp.TLS.PeerCertificates[0].VerifyHostname("localhost"); err != nil {
		t.Fatal(err)
	}

	// The console learns the fingerprint with its session.
	m := setupToken.FindStringSubmatch(p.Stdout)
	if m == nil {
		t.Fatalf("no setup link in:\n%s", p.Stdout)
	}
	body := `{"token":"` + m[1] + `","name":"Sam Owner","email":"sam@example.com","password":"correct horse battery"}`
	req, _ := http.NewRequest("POST", base+"/auth/setup", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", base)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var session struct {
		Data struct {
			TLSFingerprint string `json:"tls_fingerprint"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&session)
	resp.Body.Close()
	if err != nil || session.Data.TLSFingerprint != want {
		t.Fatalf("session tls_fingerprint = %q (%v), want %s", session.Data.TLSFingerprint, err, want)
	}

	before, _ := os.ReadFile(certPath)
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	again, _ := networkServe(t, dir)
	after, _ := os.ReadFile(certPath)
	if !bytes.Equal(before, after) {
		t.Fatal("second start replaced the self-signed certificate")
	}
	if m := fingerprintLine.FindStringSubmatch(again.Stdout); m == nil || m[1] != want {
		t.Fatalf("second start printed %v, want %s", m, want)
	}
}

func TestTLSPlainHTTPOnTheSamePortRedirectsPagesAndRefusesTheAPI(t *testing.T) {
	_, addr := networkServe(t, t.TempDir())
	plain := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, method := range []string{"GET", "HEAD"} {
		req, _ := http.NewRequest(method, "http://"+addr+"/tickets/7?tab=parts", nil)
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := "https://" + addr + "/tickets/7?tab=parts"; resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
			t.Fatalf("%s page over HTTP: %d to %q, want 308 to %s", method, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}

	for _, call := range []struct{ method, path string }{
		{"GET", "/api/v1/tickets"}, {"POST", "/api/v1/customers"}, {"POST", "/auth/signin"}, {"GET", "/public/webhook/subscriptions"},
		{"GET", "/metrics"},
	} {
		req, _ := http.NewRequest(call.method, "http://"+addr+call.path, strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer dk_test_x")
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Success bool `json:"success"`
			Error   struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Status  int    `json:"status"`
			} `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusForbidden || env.Success || env.Error.Code != "TLS_REQUIRED" ||
			env.Error.Status != http.StatusForbidden || !strings.Contains(env.Error.Message, "HTTPS") {
			t.Fatalf("%s %s over HTTP: %d %+v (%v), want 403 TLS_REQUIRED", call.method, call.path, resp.StatusCode, env, err)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Fatalf("%s %s: no X-Request-Id", call.method, call.path)
		}
	}
	// Probes carry no secrets and often speak only HTTP: they are answered.
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := plain.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s over HTTP: %d, want 200", path, resp.StatusCode)
		}
	}
}

func TestTLSGivenCertificateIsReloadedWhenItsFilesChange(t *testing.T) {
	dir, certDir := t.TempDir(), t.TempDir()
	certPath, keyPath := filepath.Join(certDir, "cert.pem"), filepath.Join(certDir, "key.pem")
	newPair := func() string {
		t.Helper()
		tmpCert, tmpKey := filepath.Join(certDir, "new-cert.pem"), filepath.Join(certDir, "new-key.pem")
		if err := certs.WriteSelfSigned(tmpCert, tmpKey, []string{"127.0.0.1"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		fp := fileFingerprint(t, tmpCert)
		if err := os.Rename(tmpKey, keyPath); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmpCert, certPath); err != nil {
			t.Fatal(err)
		}
		return fp
	}
	first := newPair()

	p := startServe(t, dir, "--tls-cert", certPath, "--tls-key", keyPath)
	addr := strings.TrimPrefix(p.URL, "https://")
	if !strings.HasPrefix(p.URL, "https://") {
		t.Fatalf("printed URL %s, want https on loopback with a certificate", p.URL)
	}
	if m := fingerprintLine.FindStringSubmatch(p.Stdout); m == nil || m[1] != first {
		t.Fatalf("printed fingerprint %v, want %s", m, first)
	}
	if got := presented(t, addr); got != first {
		t.Fatalf("presented %s, want %s", got, first)
	}
	if _, err := os.Stat(filepath.Join(dir, "tls-cert.pem")); err == nil {
		t.Fatal("self-signed certificate made although one was given")
	}

	// awaitHandshakes handshakes until done says so, every one presenting
	// first or want, within a bound well above the files' check interval.
	awaitHandshakes := func(want string, done func(got string) bool) {
		t.Helper()
		deadline := time.Now().Add(5*certs.CheckEvery + 5*time.Second)
		for {
			got := presented(t, addr)
			if got != first && got != want {
				t.Fatalf("presented %s, neither the old nor the new certificate", got)
			}
			if done(got) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting; last presented %s\n%s", got, p.log.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// The log line travels through a pipe, so it may trail the handshake
	// that already shows the new certificate: both are awaited.
	second := newPair()
	awaitHandshakes(second, func(got string) bool {
		return got == second && strings.Contains(p.log.String(), "TLS certificate reloaded")
	})

	// A broken copy warns and leaves the last good pair in service.
	const warning = "do not load; still serving the previous certificate"
	warned := strings.Count(p.log.String(), warning)
	broken := filepath.Join(certDir, "broken-cert.pem")
	if err := os.WriteFile(broken, []byte("-----BEGIN CERTIFICATE-----\nnot one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(broken, certPath); err != nil { // whole, as a copy tool's rename would put it
		t.Fatal(err)
	}
	awaitHandshakes(second, func(got string) bool {
		if got != second {
			t.Fatalf("presented %s after a broken copy, want %s still", got, second)
		}
		return strings.Count(p.log.String(), warning) > warned
	})
}
