package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Kiosks are the visitor desk's self-service screens. A kiosk is a device
// credential, like an API key or a console session: it lives in live.db only
// and works on the live store only (a test-mode principal can neither make nor
// use one), so that no test record ever reaches a screen in a real lobby and
// no test run can leave a credential behind.
//
// An owner creates a kiosk for one location and gets a pairing code, shown
// once, valid for KioskPairingTTL unused. The kiosk page trades the code for a
// random token (its cookie); both are stored only as SHA-256 hashes. Revoking
// removes the token's hash, so the kiosk's next request is refused.
var (
	bucketKiosks      = []byte("kiosks")       // be64 id -> kioskRecord JSON
	bucketKioskHashes = []byte("kiosk_hashes") // 'p'|'t' + sha256(code or token) -> be64 id
)

// ActorKiosk names a paired kiosk as the actor of what visitors do at it.
const ActorKiosk = "kiosk"

// KioskPairingTTL is how long a pairing code stays valid unused.
const KioskPairingTTL = 24 * time.Hour

// Kiosk states, derived when read.
const (
	KioskWaiting = "waiting" // created, its pairing code not used yet
	KioskExpired = "expired" // the pairing code ran out unused
	KioskPaired  = "paired"
	KioskRevoked = "revoked"
)

// Kiosk is a kiosk as the API lists it: never its code or token.
type Kiosk struct {
	ID               uint64     `json:"id"`
	Name             string     `json:"name"`
	LocationID       uint64     `json:"location_id"`
	Status           string     `json:"status"` // waiting, expired, paired or revoked
	CreatedAt        time.Time  `json:"created_at"`
	PairingExpiresAt time.Time  `json:"pairing_expires_at"`
	PairedAt         *time.Time `json:"paired_at"`
	RevokedAt        *time.Time `json:"revoked_at"`
}

type kioskRecord struct {
	Kiosk
	CodeHash  []byte `json:"code_hash,omitempty"`
	TokenHash []byte `json:"token_hash,omitempty"`
}

// KioskInput creates a kiosk.
type KioskInput struct {
	Name       string `json:"name"`
	LocationID uint64 `json:"location_id"`
}

// ErrBadPairingCode: no kiosk waits for this code (unknown, used, expired or revoked).
var ErrBadPairingCode = errors.New("unknown, used or expired pairing code")

// kioskAlphabet has no 0/O or 1/I, so a code read off a screen is typed right.
const kioskAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// newPairingCode is 8 characters (40 random bits), shown as XXXX-XXXX.
func newPairingCode() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = kioskAlphabet[int(b[i])%len(kioskAlphabet)] // 256 is a multiple of 32: no bias
	}
	return string(b[:4]) + "-" + string(b[4:]), nil
}

// NormalizePairingCode folds what a person typed onto the code's letters:
// case, spaces and dashes do not matter.
func NormalizePairingCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		if r == ' ' || r == '-' || r == '\t' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func kioskCodeKey(code string) []byte {
	return append([]byte{'p'}, hashKey(NormalizePairingCode(code))...)
}
func kioskTokenKey(token string) []byte { return append([]byte{'t'}, hashKey(token)...) }

// state fills in the derived status.
func (r *kioskRecord) state(now time.Time) Kiosk {
	k := r.Kiosk
	switch {
	case k.RevokedAt != nil:
		k.Status = KioskRevoked
	case k.PairedAt != nil:
		k.Status = KioskPaired
	case now.After(k.PairingExpiresAt):
		k.Status = KioskExpired
	default:
		k.Status = KioskWaiting
	}
	return k
}

func (s *Store) liveOnlyKiosks() error {
	if s.mode != Live {
		return errors.New("kiosks live in the live store only")
	}
	return nil
}

// CreateKiosk adds a kiosk for one location and returns its pairing code,
// shown this once.
func (s *Store) CreateKiosk(ctx context.Context, in KioskInput) (Kiosk, string, error) {
	if err := s.liveOnlyKiosks(); err != nil {
		return Kiosk{}, "", err
	}
	var p Problems
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		p.Add("name", "is required (1 to 100 characters)")
	}
	if in.LocationID == 0 {
		p.Add("location_id", "is required: the location whose visitors this kiosk signs in")
	}
	if err := p.Err(); err != nil {
		return Kiosk{}, "", err
	}
	code, err := newPairingCode()
	if err != nil {
		return Kiosk{}, "", err
	}
	var out Kiosk
	err = s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(locations.records).Get(itob(in.LocationID)) == nil {
			return Invalid("location_id", "no such location")
		}
		b := tx.Bucket(bucketKiosks)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		now := s.clock()
		rec := kioskRecord{Kiosk: Kiosk{ID: id, Name: in.Name, LocationID: in.LocationID, CreatedAt: now,
			PairingExpiresAt: now.Add(KioskPairingTTL)}, CodeHash: kioskCodeKey(code)}
		if err := putKiosk(tx, &rec); err != nil {
			return err
		}
		out = rec.state(now)
		return tx.Bucket(bucketKioskHashes).Put(rec.CodeHash, itob(id))
	})
	if err != nil {
		return Kiosk{}, "", err
	}
	return out, code, nil
}

func putKiosk(tx *bolt.Tx, r *kioskRecord) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return appending(tx.Bucket(bucketKiosks)).Put(itob(r.ID), raw)
}

// Kiosks lists every kiosk, oldest first (a shop has a handful).
func (s *Store) Kiosks() ([]Kiosk, error) {
	out := []Kiosk{}
	now := s.clock()
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKiosks).ForEach(func(_, v []byte) error {
			var r kioskRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r.state(now))
			return nil
		})
	})
	return out, err
}

// RevokeKiosk ends a kiosk: its pairing code and its token stop working at
// once. Revoking again changes nothing.
func (s *Store) RevokeKiosk(ctx context.Context, id uint64) (Kiosk, error) {
	var out Kiosk
	err := s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getRecord[kioskRecord](tx, bucketKiosks, id, "kiosk")
		if err != nil {
			return err
		}
		now := s.clock()
		if r.RevokedAt == nil {
			r.RevokedAt = &now
			hashes := tx.Bucket(bucketKioskHashes)
			for _, h := range [][]byte{r.CodeHash, r.TokenHash} {
				if h != nil {
					if err := hashes.Delete(h); err != nil {
						return err
					}
				}
			}
			r.CodeHash, r.TokenHash = nil, nil
			if err := putKiosk(tx, r); err != nil {
				return err
			}
		}
		out = r.state(now)
		return nil
	})
	return out, err
}

// PairKiosk trades a pairing code for the kiosk's token (its cookie), shown
// this once. A code pairs one browser, once.
func (s *Store) PairKiosk(ctx context.Context, code string) (Kiosk, string, error) {
	if err := s.liveOnlyKiosks(); err != nil {
		return Kiosk{}, "", err
	}
	token, err := randomBase62(32)
	if err != nil {
		return Kiosk{}, "", err
	}
	var out Kiosk
	err = s.update(ctx, func(tx *bolt.Tx) error {
		hashes := tx.Bucket(bucketKioskHashes)
		key := kioskCodeKey(code)
		idRaw := hashes.Get(key)
		if idRaw == nil {
			return ErrBadPairingCode
		}
		r, err := getRecord[kioskRecord](tx, bucketKiosks, btoi(idRaw), "kiosk")
		if err != nil {
			return err
		}
		now := s.clock()
		if r.state(now).Status != KioskWaiting {
			return ErrBadPairingCode
		}
		if err := hashes.Delete(key); err != nil {
			return err
		}
		r.CodeHash, r.TokenHash, r.PairedAt = nil, kioskTokenKey(token), &now
		if err := hashes.Put(r.TokenHash, itob(r.ID)); err != nil {
			return err
		}
		if err := putKiosk(tx, r); err != nil {
			return err
		}
		out = r.state(now)
		return nil
	})
	if err != nil {
		return Kiosk{}, "", err
	}
	return out, token, nil
}

// KioskByToken is the paired, unrevoked kiosk a token belongs to, or ErrBadKey.
func (s *Store) KioskByToken(token string) (Kiosk, error) {
	var out Kiosk
	err := s.view(func(tx *bolt.Tx) error {
		idRaw := tx.Bucket(bucketKioskHashes).Get(kioskTokenKey(token))
		if idRaw == nil {
			return ErrBadKey
		}
		r, err := getRecord[kioskRecord](tx, bucketKiosks, btoi(idRaw), "kiosk")
		if err != nil {
			return ErrBadKey
		}
		if out = r.state(s.clock()); out.Status != KioskPaired {
			return ErrBadKey
		}
		return nil
	})
	return out, err
}

// KioskScreen is what a kiosk's welcome screen shows: nothing else.
type KioskScreen struct {
	Kiosk      string `json:"kiosk"`
	Shop       string `json:"shop"`
	LocationID uint64 `json:"location_id"`
	Location   string `json:"location"`
	Timezone   string `json:"timezone"`
	// Evacuation: an evacuation is in progress; the kiosk shows only that.
	Evacuation bool `json:"evacuation"`
}

// KioskScreen reads, in one transaction, what kiosk k's screen shows.
func (s *Store) KioskScreen(k Kiosk) (KioskScreen, error) {
	out := KioskScreen{Kiosk: k.Name, LocationID: k.LocationID}
	err := s.view(func(tx *bolt.Tx) error {
		shop, err := getJSON(tx, keyShop, defaultShop())
		if err != nil {
			return err
		}
		out.Shop = shop.Name
		l, err := getRecord[Location](tx, locations.records, k.LocationID, "location")
		if err != nil {
			return err
		}
		out.Location, out.Timezone = l.Name, l.Timezone
		out.Evacuation = refuseDuringEvacuation(tx) != nil
		return nil
	})
	return out, err
}
