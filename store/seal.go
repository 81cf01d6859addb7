package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
)

// Sealer encrypts the secrets Portal must be able to read back (app secrets,
// and later webhook secrets) with AES-256-GCM under a key kept in the data
// folder with mode 0600, outside the database file and its backups' records.
type Sealer struct {
	aead cipher.AEAD
	key  []byte // only ever used through DeriveKey, never handed out
}

// LoadSealer reads the key file, creating it on first use.
func LoadSealer(path string) (*Sealer, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%s: a seal key is 32 bytes, found %d", path, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, key: key}, nil
}

// Seal encrypts plaintext; the nonce travels in front of the ciphertext.
func (s *Sealer) Seal(plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, plaintext, nil), nil
}

// Open decrypts what Seal produced.
func (s *Sealer) Open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed value too short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], nil)
}

// DeriveKey returns a key for one purpose ("file-urls"), derived from the
// seal key by HMAC-SHA256: whoever learns it (a URL signature cannot show
// it, but a memory dump of one part might) learns nothing of the seal key
// or of another purpose's key.
func (s *Sealer) DeriveKey(purpose string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("portal derived key\x00" + purpose))
	return m.Sum(nil)
}
