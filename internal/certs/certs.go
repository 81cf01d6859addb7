// Package certs is the appliance's TLS: the certificate and key it serves,
// read from files and read again when they change, a self-signed pair made
// on first start, their fingerprint, and a listener that serves HTTPS and
// plain HTTP on one port.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// CheckEvery bounds how often a handshake looks at the certificate files:
// a stat of two files every few seconds, not one per connection.
const CheckEvery = 2 * time.Second

// LoadSelfSigned returns the self-signed pair in certPath and keyPath, made
// on first use (for the names a browser may use to reach addr) and kept from
// then on, so the fingerprint people pinned stays the same across restarts.
// A pair that does not load is replaced, with a warning.
func LoadSelfSigned(certPath, keyPath, addr string, log *slog.Logger) (*Files, error) {
	c, err := Load(certPath, keyPath, log)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		log.Warn("self-signed TLS certificate unreadable; making a new one", "err", err)
	}
	if err := WriteSelfSigned(certPath, keyPath, hostNames(addr), time.Now()); err != nil {
		return nil, fmt.Errorf("self-signed TLS certificate: %w", err)
	}
	return Load(certPath, keyPath, log)
}

// Files is a certificate and key read from two files and read again when
// either file's modification time or size changes. A pair that does not
// load leaves the previous one in service: a half-copied renewal must not
// take the shop offline.
type Files struct {
	certPath, keyPath string
	log               *slog.Logger
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	fp      string
	stamps  [2]fileStamp // of the files when last read, loadable or not
	checked time.Time
}

// fileStamp is what tells a changed file without reading it.
type fileStamp struct {
	mod  time.Time
	size int64
}

// Load reads the certificate in certPath and its key in keyPath.
func Load(certPath, keyPath string, log *slog.Logger) (*Files, error) {
	c := &Files{certPath: certPath, keyPath: keyPath, log: log, now: time.Now}
	c.stamps = c.stat()
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s and key %s: %w", certPath, keyPath, err)
	}
	c.cert, c.fp = &cert, Fingerprint(cert.Certificate[0])
	c.checked = c.now()
	return c, nil
}

func (c *Files) stat() [2]fileStamp {
	var out [2]fileStamp
	for i, p := range []string{c.certPath, c.keyPath} {
		if fi, err := os.Stat(p); err == nil {
			out[i] = fileStamp{mod: fi.ModTime(), size: fi.Size()}
		}
	}
	return out
}

// current returns the certificate in service, first reading the files
// again if they changed and the last look is a few seconds old.
func (c *Files) current() (*tls.Certificate, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Sub(c.checked) >= CheckEvery {
		c.checked = now
		if stamps := c.stat(); stamps != c.stamps {
			// Remembered even when the pair is broken, so one bad copy
			// warns once rather than at every check.
			c.stamps = stamps
			c.reload()
		}
	}
	return c.cert, c.fp
}

func (c *Files) reload() {
	cert, err := tls.LoadX509KeyPair(c.certPath, c.keyPath)
	if err != nil {
		c.log.Warn("TLS certificate files changed but do not load; still serving the previous certificate",
			"cert", c.certPath, "key", c.keyPath, "fingerprint", c.fp, "err", err)
		return
	}
	c.cert, c.fp = &cert, Fingerprint(cert.Certificate[0])
	c.log.Info("TLS certificate reloaded", "cert", c.certPath, "fingerprint", c.fp)
}

// GetCertificate is the tls.Config hook: every handshake gets the current pair.
func (c *Files) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cert, _ := c.current()
	return cert, nil
}

// Fingerprint is the SHA-256 of the certificate in service, as AB:CD:….
// A nil *Files (plain HTTP) has none, so serve can hand the method
// value to the API either way.
func (c *Files) Fingerprint() string {
	if c == nil {
		return ""
	}
	_, fp := c.current()
	return fp
}

// TLSConfig serves the current pair over HTTP/1.1 only: the live feed's
// websocket needs a connection it can hijack, which HTTP/2 does not give.
func (c *Files) TLSConfig() *tls.Config {
	return &tls.Config{GetCertificate: c.GetCertificate, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
}

// Fingerprint is the SHA-256 of a DER certificate, as AB:CD:….
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// hostNames are the names a browser may use to reach addr: its host when it
// names one, this machine's name and every interface address (but
// link-local ones, which need a zone no URL carries), and localhost.
func hostNames(addr string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if host, _, err := net.SplitHostPort(addr); err == nil && host != "" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, host)
		}
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		hosts = append(hosts, name)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				hosts = append(hosts, ipn.IP.String())
			}
		}
	}
	return hosts
}

// WriteSelfSigned writes an ECDSA P-256 certificate for hosts, valid ten
// years from now, and its key (mode 0600). Each file is written whole and
// renamed into place; a crash between the two leaves a pair that does not
// load, which the next start replaces.
func WriteSelfSigned(certPath, keyPath string, hosts []string, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Portal (self-signed)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	seen := map[string]bool{}
	for _, h := range hosts {
		if seen[h] {
			continue
		}
		seen[h] = true
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeFileAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and
// renames it into place: path holds the old bytes or the new, never a part.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
