package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketKeys      = []byte("api_keys")   // be64 id -> keyRecord JSON
	bucketKeyHashes = []byte("key_hashes") // sha256(secret) -> be64 id
)

// KeyType is what a key is for; it fixes the key's prefix and its store.
type KeyType string

// The key types of API.md.
const (
	KeyPlugin    KeyType = "plugin"
	KeyDeveloper KeyType = "developer"
	KeyInternal  KeyType = "internal"
	KeyUser      KeyType = "user"
	KeyApp       KeyType = "app"
)

// Rate-limit tiers, in requests per minute; Unlimited is 0.
// standard is Porter's own limit (API.md), for keys of the visitor desk.
var Tiers = map[string]int{"free": 30, "standard": 100, "paid": 120, "partner": 300, "unlimited": 0}

// TierNames lists the tiers from the most limited to unlimited.
const TierNames = "free, standard, paid, partner, unlimited"

var keyPrefixes = map[KeyType]string{
	KeyPlugin: "pk_live_", KeyDeveloper: "dk_test_", KeyInternal: "ik_live_", KeyUser: "uk_live_", KeyApp: "app_",
}

// APIKey is a key as listed: never its secret, only a hint of its end.
type APIKey struct {
	ID        uint64     `json:"id"`
	Type      KeyType    `json:"type"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Last4     string     `json:"last4"`
	Scopes    []string   `json:"scopes"`
	Tier      string     `json:"tier"`
	Mode      Mode       `json:"mode"`
	UserID    uint64     `json:"user_id,omitempty"`
	AppID     string     `json:"app_id,omitempty"`
	PluginID  string     `json:"plugin_id,omitempty"` // a plugin key's plugin (its manifest id)
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// keyRecord is what the store keeps: the hash of the secret, and for app
// credentials the sealed secret (request signatures need it back).
type keyRecord struct {
	APIKey
	Hash         []byte `json:"hash"`
	SealedSecret []byte `json:"sealed_secret,omitempty"`
}

// KeyInput creates a key.
type KeyInput struct {
	Type   KeyType  `json:"type"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	Tier   string   `json:"tier"`
	UserID uint64   `json:"user_id"`
}

// NewKey is a created key with its secret, shown this once.
type NewKey struct {
	APIKey
	Secret string `json:"key"`
	// AppSecret is set for app credentials: Secret is then the app id.
	AppSecret string `json:"app_secret,omitempty"`
}

// DefaultTier is the tier of a key created without one (API.md "Rate
// limits"): a developer key rehearses what the plugin it stands in for will
// meet, so it is limited like one; unlimited is only ever asked for.
func DefaultTier(t KeyType) string {
	switch t {
	case KeyInternal, KeyApp:
		return "unlimited"
	}
	return "paid"
}

// TierRank orders tiers from the most limited (1) to unlimited; 0 is unknown.
func TierRank(tier string) int {
	return map[string]int{"free": 1, "standard": 2, "paid": 3, "partner": 4, "unlimited": 5}[tier]
}

// ErrBadKey means a key is unknown, malformed or revoked.
var ErrBadKey = errors.New("unknown or revoked API key")

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomBase62 encodes n random bytes in base62, padded to a fixed length.
func randomBase62(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	v := new(big.Int).SetBytes(b)
	width := (n*8*1000 + 5953) / 5954 // ceil(bits / log2(62))
	out := make([]byte, width)
	base, mod := big.NewInt(62), new(big.Int)
	for i := width - 1; i >= 0; i-- {
		v.DivMod(v, base, mod)
		out[i] = base62[mod.Int64()]
	}
	return string(out), nil
}

func hashKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

func (in *KeyInput) normalize() error {
	var p Problems
	prefix, ok := keyPrefixes[in.Type]
	if !ok || prefix == "" {
		p.Add("type", "must be one of plugin, developer, internal, user, app")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		p.Add("name", "is required (1 to 100 characters)")
	}
	var ve *ValidationError
	if errors.As(CheckScopes(in.Scopes), &ve) {
		p.fields = append(p.fields, ve.Fields...)
	}
	if in.Type == KeyPlugin && contains(in.Scopes, BackupScope) {
		// A backup is every record plus the sealing key: not for a third party.
		p.Add("scopes", "backup.read is for the owner and internal keys, never a plugin")
	}
	switch in.Type {
	case KeyInternal:
		in.Scopes = AllScopes()
	case KeyApp:
		in.Scopes = nil // an app id only signs; the user key beside it carries the scopes
	}
	if in.Tier == "" {
		in.Tier = DefaultTier(in.Type)
	}
	if _, ok := Tiers[in.Tier]; !ok {
		p.Add("tier", "must be one of "+TierNames)
	}
	return p.Err()
}

// CreateKey mints a key. Only its SHA-256 is stored (keys carry 256 random
// bits, so a slow hash adds nothing); app secrets are sealed instead.
func (s *Store) CreateKey(ctx context.Context, in KeyInput, sealer *Sealer) (NewKey, error) {
	if in.Type == KeyUser {
		if err := s.userKeyDefaults(&in); err != nil {
			return NewKey{}, err
		}
	}
	if err := in.normalize(); err != nil {
		return NewKey{}, err
	}
	secret, err := randomBase62(32)
	if err != nil {
		return NewKey{}, err
	}
	prefix := keyPrefixes[in.Type]
	rec := keyRecord{APIKey: APIKey{Type: in.Type, Name: in.Name, Prefix: prefix, Scopes: in.Scopes,
		Tier: in.Tier, Mode: Live, UserID: in.UserID}}
	if in.Type == KeyDeveloper {
		rec.Mode = Test
	}
	out := NewKey{}
	if in.Type == KeyApp {
		appID, err := randomBase62(12)
		if err != nil {
			return NewKey{}, err
		}
		if sealer == nil {
			return NewKey{}, errors.New("app credentials need a sealer")
		}
		if rec.SealedSecret, err = sealer.Seal([]byte(secret)); err != nil {
			return NewKey{}, err
		}
		rec.AppID = prefix + appID
		rec.Hash = hashKey(rec.AppID)
		rec.Last4 = appID[len(appID)-4:]
		out.Secret, out.AppSecret = rec.AppID, secret
	} else {
		full := prefix + secret
		rec.Hash = hashKey(full)
		rec.Last4 = secret[len(secret)-4:]
		out.Secret = full
	}
	if rec.Scopes == nil {
		rec.Scopes = []string{}
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		r := rec
		id, err := tx.Bucket(bucketKeys).NextSequence()
		if err != nil {
			return err
		}
		r.ID, r.CreatedAt = id, s.clock()
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketKeys).Put(itob(id), raw); err != nil {
			return err
		}
		out.APIKey = r.APIKey
		return tx.Bucket(bucketKeyHashes).Put(r.Hash, itob(id))
	})
	s.keys.reset()
	return out, err
}

// Keys lists every key, newest first, revoked ones included.
func (s *Store) Keys() ([]APIKey, error) {
	var out []APIKey
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketKeys).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var r keyRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r.APIKey)
		}
		return nil
	})
	return out, err
}

// RevokeKey revokes a key; the next request made with it is refused.
func (s *Store) RevokeKey(ctx context.Context, id uint64) (APIKey, error) {
	var out APIKey
	err := s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getRecord[keyRecord](tx, bucketKeys, id, "key")
		if err != nil {
			return err
		}
		if r.PluginID != "" && r.RevokedAt == nil {
			if _, err := getPlugin(tx, r.PluginID); err == nil {
				return Conflict("this key belongs to the plugin %s; uninstall the plugin (DELETE /api/v1/plugins/%s) to revoke it with its webhooks", r.Name, r.PluginID)
			}
		}
		if r.RevokedAt == nil {
			now := s.clock()
			r.RevokedAt = &now
			raw, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketKeys).Put(itob(id), raw); err != nil {
				return err
			}
		}
		out = r.APIKey
		return nil
	})
	s.keys.reset()
	return out, err
}

// Authenticate finds the live key for a presented secret, with the scopes it
// has now: a user key's are narrowed to its staff member's current role, and
// it is refused once they are inactive.
func (s *Store) Authenticate(secret string) (APIKey, error) {
	h := hashKey(secret)
	var sum [32]byte
	copy(sum[:], h)
	if k, ok := s.keys.get(sum); ok {
		return k, nil
	}
	gen := s.keys.generation()
	var k APIKey
	err := s.view(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketKeyHashes).Get(h)
		if id == nil {
			return ErrBadKey
		}
		r, err := getRecord[keyRecord](tx, bucketKeys, btoi(id), "key")
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(r.Hash, h) != 1 || r.RevokedAt != nil || r.Type == KeyApp {
			return ErrBadKey
		}
		k = r.APIKey
		if k.Type == KeyUser {
			k, err = narrowToStaff(tx, k)
		}
		return err
	})
	if err != nil {
		return APIKey{}, ErrBadKey
	}
	s.keys.put(gen, sum, k)
	return k, nil
}

// AppSecret returns the unsealed secret of app credentials, for checking
// request signatures.
func (s *Store) AppSecret(appID string, sealer *Sealer) ([]byte, error) {
	var rec *keyRecord
	err := s.view(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketKeyHashes).Get(hashKey(appID))
		if id == nil {
			return ErrBadKey
		}
		r, err := getRecord[keyRecord](tx, bucketKeys, btoi(id), "key")
		rec = r
		return err
	})
	if err != nil || rec.Type != KeyApp || rec.RevokedAt != nil {
		return nil, ErrBadKey
	}
	return sealer.Open(rec.SealedSecret)
}

// keyCache spares a read transaction per request. Any key or staff write
// resets it, and an entry computed before a reset is not stored, so a
// revocation or demotion is seen by the very next request.
type keyCache struct {
	mu     sync.RWMutex
	gen    uint64
	m      map[[32]byte]APIKey
	actors map[Actor][]string // ScopesOf
	change chan struct{}      // closed and replaced by every reset (AccessChanged)
}

func (c *keyCache) actor(a Actor) ([]string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.actors[a]
	return v, ok
}

func (c *keyCache) putActor(gen uint64, a Actor, scopes []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.actors == nil || len(c.actors) > 10000 {
		c.actors = map[Actor][]string{}
	}
	c.actors[a] = scopes
}

// changed is closed at the next reset.
func (c *keyCache) changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.change == nil {
		c.change = make(chan struct{})
	}
	return c.change
}

// AccessChanged is closed by the next change to keys or staff (a revocation,
// a deactivation, a new role): long-lived connections re-check their
// principal then, instead of at their next ping.
func (s *Store) AccessChanged() <-chan struct{} { return s.keys.changed() }

func (c *keyCache) get(h [32]byte) (APIKey, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	k, ok := c.m[h]
	return k, ok
}

func (c *keyCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *keyCache) put(gen uint64, h [32]byte, k APIKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[[32]byte]APIKey{}
	}
	c.m[h] = k
}

func (c *keyCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m, c.actors = nil, nil
	if c.change != nil {
		close(c.change)
		c.change = nil
	}
}

// userKeyDefaults ties a user key to a staff member (the owner unless named)
// and keeps its scopes within that member's role.
func (s *Store) userKeyDefaults(in *KeyInput) error {
	var u User
	var err error
	if in.UserID == 0 {
		u, _, err = s.Owner()
	} else {
		u, err = s.UserByID(in.UserID)
	}
	if err != nil {
		return Invalid("user_id", "no staff member has this id")
	}
	in.UserID = u.ID
	allowed := RoleScopes(u.Role)
	if len(in.Scopes) == 0 {
		in.Scopes = allowed
	}
	for _, sc := range in.Scopes {
		if ValidScope(sc) && !contains(allowed, sc) {
			return Invalid("scopes", "the "+u.Role+" role does not include "+sc)
		}
	}
	return nil
}
