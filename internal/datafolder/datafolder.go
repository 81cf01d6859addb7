// Package datafolder is one appliance's data folder: where its files are,
// opening both stores, the admin socket a running server answers on, the
// daily backups, backup archives and the restore with its journal, and the
// folder's protection from other users.
package datafolder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"portal/internal/thumb"
	"portal/store"
)

// Dir names the files of one appliance's data folder.
type Dir string

// LiveDB is the live store's file.
func (d Dir) LiveDB() string { return filepath.Join(string(d), "live.db") }

// Files is the folder of both stores' attachment bytes: files/live and
// files/test (store.Open's default beside each store's file).
func (d Dir) Files() string { return filepath.Join(string(d), "files") }

// TestDB is the test store's file.
func (d Dir) TestDB() string { return filepath.Join(string(d), "test.db") }

// SecretKey is the file of the key that seals secrets in both stores.
func (d Dir) SecretKey() string { return filepath.Join(string(d), "secret.key") }

// SelfSignedCert is the certificate serve makes for itself when it is given none.
func (d Dir) SelfSignedCert() string { return filepath.Join(string(d), "tls-cert.pem") }

// SelfSignedKey is the key of SelfSignedCert.
func (d Dir) SelfSignedKey() string { return filepath.Join(string(d), "tls-key.pem") }

// Socket is the admin socket: in the data folder, unless that path is too
// long for a unix socket (about 104 bytes), then in the temp folder under a
// name derived from the data folder's absolute path.
func (d Dir) Socket() string {
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

// Stores is an opened data folder.
type Stores struct {
	Live, Test *store.Store
	Sealer     *store.Sealer
	dir        Dir
}

// Close closes both stores.
func (s *Stores) Close() {
	s.Test.Close()
	s.Live.Close()
}

// Open opens both stores (creating the folder on first use), first
// finishing a restore that was cut short.
func (d Dir) Open(lockTimeout time.Duration) (*Stores, error) {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return nil, err
	}
	if err := finishRestore(d); err != nil {
		return nil, fmt.Errorf("an interrupted restore could not be finished: %w", err)
	}
	sealer, err := store.LoadSealer(d.SecretKey())
	if err != nil {
		return nil, err
	}
	thumbs := thumb.New() // one picture decoded at a time, whichever store asks
	live, err := store.Open(d.LiveDB(), store.Options{Mode: store.Live, LockTimeout: lockTimeout, Thumbs: thumbs})
	if err != nil {
		return nil, err
	}
	test, err := store.Open(d.TestDB(), store.Options{Mode: store.Test, LockTimeout: lockTimeout, Thumbs: thumbs})
	if err != nil {
		live.Close()
		return nil, err
	}
	return &Stores{Live: live, Test: test, Sealer: sealer, dir: d}, nil
}
