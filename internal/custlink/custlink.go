// Package custlink signs and checks customer links: the token in a
// customer's magic link (/c/{token}) and, under a second key, the value of
// the customer page's session cookie.
//
// A token names the store (live|test), the customer, the customer's link
// epoch when it was minted and an expiry. It is HMAC-SHA256 under a key
// derived from the data folder's seal key (sealer.DeriveKey("customer-links")),
// checked in constant time. Revoking a customer's links bumps their epoch in
// the store, so every older token (and every session made from one) stops
// working without the appliance keeping a list of tokens.
//
// The token is short enough for a QR code on a receipt: the claims are
// packed as varints and the MAC is cut to 128 bits (an attacker must forge a
// MAC online, through the rate limit, so 128 bits is ample), all base64url
// without padding — about 40 characters.
package custlink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// Modes a token may name; the byte values are part of the format.
const (
	ModeLive = "live"
	ModeTest = "test"
)

// version is the format's first byte, so a later format can be told apart.
const version = 1

// macSize is the kept part of the HMAC-SHA256.
const macSize = 16

// maxLen bounds what Parse decodes: a claim set is at most 1+1+3×10 bytes.
const maxLen = 64

// ErrInvalid is every refusal: a malformed, forged or expired token. It never
// says which, so a page cannot tell a guesser which part was wrong.
var ErrInvalid = errors.New("custlink: invalid or expired link")

// Claims are what a token says.
type Claims struct {
	Mode       string // ModeLive or ModeTest: the only store the token reads
	CustomerID uint64
	Epoch      uint64    // the customer's link epoch at minting
	Expires    time.Time // the token is refused from this instant on (second precision)
}

// Mint signs c. It panics on a mode other than live or test: that is a
// programming error, and a token naming no store must never exist.
func Mint(key []byte, c Claims) string {
	body := make([]byte, 0, maxLen)
	body = append(body, version, modeByte(c.Mode))
	body = binary.AppendUvarint(body, c.CustomerID)
	body = binary.AppendUvarint(body, c.Epoch)
	body = binary.AppendUvarint(body, uint64(max(0, c.Expires.Unix())))
	return base64.RawURLEncoding.EncodeToString(append(body, sum(key, body)...))
}

// Parse checks a token's signature and expiry at now and returns its claims.
// The epoch is not checked here: the caller compares it with the store's.
func Parse(key []byte, token string, now time.Time) (Claims, error) {
	if len(token) == 0 || len(token) > base64.RawURLEncoding.EncodedLen(maxLen) {
		return Claims{}, ErrInvalid
	}
	// Strict: the unused bits of the last character must be zero, so each
	// token has one spelling.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < 2+3+macSize {
		return Claims{}, ErrInvalid
	}
	body, mac := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(mac, sum(key, body)) {
		return Claims{}, ErrInvalid
	}
	if body[0] != version {
		return Claims{}, ErrInvalid
	}
	var c Claims
	switch body[1] {
	case 1:
		c.Mode = ModeLive
	case 2:
		c.Mode = ModeTest
	default:
		return Claims{}, ErrInvalid
	}
	rest := body[2:]
	var vals [3]uint64
	for i := range vals {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			return Claims{}, ErrInvalid
		}
		vals[i], rest = v, rest[n:]
	}
	if len(rest) != 0 || vals[2] > 1<<62 {
		return Claims{}, ErrInvalid
	}
	c.CustomerID, c.Epoch, c.Expires = vals[0], vals[1], time.Unix(int64(vals[2]), 0).UTC()
	if c.CustomerID == 0 || !now.Before(c.Expires) {
		return Claims{}, ErrInvalid
	}
	return c, nil
}

func modeByte(mode string) byte {
	switch mode {
	case ModeLive:
		return 1
	case ModeTest:
		return 2
	}
	panic("custlink: mode must be live or test, not " + mode)
}

// sum is the token's MAC over its body.
func sum(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)[:macSize]
}
