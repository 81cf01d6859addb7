// Package stripesig verifies Stripe-style webhook signatures: the header
// "Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]" where each v1 is
// HMAC-SHA256 over "<t>.<body>" with the endpoint's secret. Stripe sends
// several v1 values while a secret is being rolled, so any one may match.
package stripesig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how old (or how far in the future) a signed timestamp may be:
// Stripe's own default, which bounds how long a captured request can be replayed.
const Tolerance = 5 * time.Minute

// Errors say why a request was refused; callers answer all of them with the
// same 400 so nothing is learnt by trying.
var (
	ErrHeader    = errors.New("stripe signature: malformed Stripe-Signature header")
	ErrNoSecret  = errors.New("stripe signature: no webhook secret is set")
	ErrSignature = errors.New("stripe signature: no v1 signature matches")
	ErrTimestamp = errors.New("stripe signature: timestamp outside the tolerance")
)

// Sign makes a header for body at t (tests, and the console's examples).
func Sign(secret string, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks header against body and secret at now. Every v1 is compared
// in constant time, and all of them are, so the time taken says nothing of
// which (if any) came close.
func Verify(secret, header string, body []byte, now time.Time) error {
	if secret == "" {
		return ErrNoSecret
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size {
				sigs = append(sigs, b)
			}
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 || len(sigs) > 8 {
		return ErrHeader
	}
	want := mac(secret, ts, body)
	match := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			match = true
		}
	}
	if !match {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(unix, 0)); d > Tolerance || d < -Tolerance {
		return ErrTimestamp
	}
	return nil
}
