package store

import (
	"crypto/rand"
	"crypto/sha256"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Visitor codes are 6 characters from an alphabet without look-alikes (no
// 0/O, 1/I), drawn with crypto/rand. Only their SHA-256 is kept, in
// visitor_codes: hash (32 bytes) -> be64 visitor id, and 'v' + be64 visitor
// id -> hash, so a check-out by id can drop the code too. A code lives from
// the pre-registration (or walk-in) until the visitor checks out or is
// cancelled, and no two live codes are the same.

var bucketVisitorCodes = []byte("visitor_codes")

// VisitorCodeAlphabet has 32 symbols, so a random byte maps onto it evenly.
const VisitorCodeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// VisitorCodeLen is a code's length.
const VisitorCodeLen = 6

func visitorCodeHash(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

func visitorCodeBack(id uint64) []byte { return append([]byte{'v'}, itob(id)...) }

// normalizeVisitorCode accepts a code as typed: any case, with spaces or a dash.
func normalizeVisitorCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// newVisitorCode draws a code no live visitor has and keeps its hash for id.
func newVisitorCode(tx *bolt.Tx, id uint64) (string, error) {
	b := tx.Bucket(bucketVisitorCodes)
	for {
		raw := make([]byte, VisitorCodeLen)
		if _, err := rand.Read(raw); err != nil {
			return "", err
		}
		for i, c := range raw {
			raw[i] = VisitorCodeAlphabet[int(c)%len(VisitorCodeAlphabet)]
		}
		code := string(raw)
		h := visitorCodeHash(code)
		if b.Get(h) != nil {
			continue // a live code: draw again
		}
		if err := b.Put(h, itob(id)); err != nil {
			return "", err
		}
		return code, b.Put(visitorCodeBack(id), h)
	}
}

// dropVisitorCode ends visitor id's code (check-out, cancellation).
func dropVisitorCode(tx *bolt.Tx, id uint64) error {
	b := tx.Bucket(bucketVisitorCodes)
	back := visitorCodeBack(id)
	h := b.Get(back)
	if h == nil {
		return nil
	}
	if err := b.Delete(append([]byte(nil), h...)); err != nil {
		return err
	}
	return b.Delete(back)
}

// visitorByCode finds the visitor whose live code this is. A code that is
// malformed is a validation error; one no live visit has, a 404; one for
// another location than locationID (when not 0), a 409.
func visitorByCode(tx *bolt.Tx, code string, locationID uint64) (*Visitor, error) {
	code = normalizeVisitorCode(code)
	if len(code) != VisitorCodeLen || strings.Trim(code, VisitorCodeAlphabet) != "" {
		return nil, Invalid("code", "must be the 6-character code the visitor received")
	}
	id := tx.Bucket(bucketVisitorCodes).Get(visitorCodeHash(code))
	if id == nil {
		return nil, &NotFoundError{What: "visitor with this code (it may have been used to check out, or cancelled)"}
	}
	v, err := getRecord[Visitor](tx, visitors.records, btoi(id), "visitor")
	if err != nil {
		return nil, err
	}
	if locationID != 0 && v.LocationID != locationID {
		return nil, Conflict("this code is for a visit to another location")
	}
	return v, nil
}
