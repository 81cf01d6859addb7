package hooks

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a signed timestamp may be from the receiver's
// clock, either way, before Verify refuses it as a replay.
const DefaultTolerance = 5 * time.Minute

// The reasons a request fails to verify; the errors returned wrap one of
// them and say what exactly was wrong.
var (
	ErrNoSignature    = errors.New("no signature")
	ErrBadSignature   = errors.New("bad signature")
	ErrStaleTimestamp = errors.New("timestamp outside tolerance")
)

// Verify checks a received request of the named format with DefaultTolerance.
// header is the request's header (any key case); body the raw bytes read.
func Verify(format, secret string, header http.Header, body []byte, now time.Time) error {
	switch format {
	case "portal":
		return VerifyPortal(secret, header, body, DefaultTolerance, now)
	case "portalio":
		return VerifyPortalio(secret, header, body, DefaultTolerance, now)
	case "porter":
		return VerifyPorter(secret, header, body)
	case "standard":
		return VerifyStandard(secret, header, body, DefaultTolerance, now)
	}
	return fmt.Errorf("unknown webhook format %q (want one of %s)", format, strings.Join(FormatNames, ", "))
}

// VerifyPortal checks X-Portal-Signature (sha256=<hex HMAC of "<ts>.<body>">)
// and that X-Portal-Timestamp is within tolerance of now (DefaultTolerance
// when tolerance is not positive).
func VerifyPortal(secret string, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	sig, err := need(header, "X-Portal-Signature")
	if err != nil {
		return err
	}
	ts, err := need(header, "X-Portal-Timestamp")
	if err != nil {
		return err
	}
	unix, err := parseUnix("X-Portal-Timestamp", ts)
	if err != nil {
		return err
	}
	got, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return fmt.Errorf("%w: X-Portal-Signature %q does not start with sha256=", ErrBadSignature, sig)
	}
	if !equalHex(sign([]byte(secret), ts+".", body), got) {
		return fmt.Errorf("%w: X-Portal-Signature does not match this body and secret", ErrBadSignature)
	}
	return checkTime(unix, tolerance, now)
}

// VerifyPortalio checks X-Webhook-Signature (t=<ts>,v1=<hex HMAC of
// "<ts>.<body>">[,v1=…]), accepting it when any v1 matches, and that t is
// within tolerance of now (DefaultTolerance when tolerance is not positive).
func VerifyPortalio(secret string, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	v, err := need(header, "X-Webhook-Signature")
	if err != nil {
		return err
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = val
		case "v1":
			sigs = append(sigs, val)
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: X-Webhook-Signature has no v1= signature", ErrNoSignature)
	}
	if ts == "" {
		return fmt.Errorf("%w: X-Webhook-Signature has no t= timestamp", ErrBadSignature)
	}
	unix, err := parseUnix("X-Webhook-Signature t", ts)
	if err != nil {
		return err
	}
	want := sign([]byte(secret), ts+".", body)
	if !anyMatch(sigs, func(s string) bool { return equalHex(want, s) }) {
		return fmt.Errorf("%w: none of the %d v1 signatures in X-Webhook-Signature matches this body and secret",
			ErrBadSignature, len(sigs))
	}
	return checkTime(unix, tolerance, now)
}

// VerifyPorter checks X-Porter-Signature (hex HMAC of the body). Porter's
// format has no timestamp, so nothing stops a replay of a genuine request.
func VerifyPorter(secret string, header http.Header, body []byte) error {
	sig, err := need(header, "X-Porter-Signature")
	if err != nil {
		return err
	}
	if !equalHex(sign([]byte(secret), "", body), sig) {
		return fmt.Errorf("%w: X-Porter-Signature does not match this body and secret", ErrBadSignature)
	}
	return nil
}

// VerifyStandard checks a Standard Webhooks request: any v1 signature in the
// space-separated webhook-signature list must be the base64 HMAC, keyed by
// the base64-decoded secret ("whsec_" optional), of "<webhook-id>.<ts>.<body>";
// webhook-timestamp must be within tolerance of now (DefaultTolerance when
// tolerance is not positive).
func VerifyStandard(secret string, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	key, err := standardKey(secret)
	if err != nil {
		return err
	}
	var vals [3]string
	for i, name := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		if vals[i], err = need(header, name); err != nil {
			return err
		}
	}
	id, ts, list := vals[0], vals[1], vals[2]
	unix, err := parseUnix("webhook-timestamp", ts)
	if err != nil {
		return err
	}
	var sigs []string
	for _, s := range strings.Fields(list) {
		if b64, ok := strings.CutPrefix(s, "v1,"); ok {
			sigs = append(sigs, b64)
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: webhook-signature has no v1 signature", ErrNoSignature)
	}
	want := sign(key, id+"."+ts+".", body)
	if !anyMatch(sigs, func(s string) bool {
		got, err := base64.StdEncoding.DecodeString(s)
		return err == nil && hmac.Equal(want, got)
	}) {
		return fmt.Errorf("%w: none of the %d v1 signatures in webhook-signature matches this body and secret",
			ErrBadSignature, len(sigs))
	}
	return checkTime(unix, tolerance, now)
}

// need returns the header called name, whatever the case of its key: a Go
// server canonicalizes keys, while a header map built by hand (or by Build
// for standard) may hold them as written.
func need(h http.Header, name string) (string, error) {
	if v := h.Get(name); v != "" {
		return v, nil
	}
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 && vs[0] != "" {
			return vs[0], nil
		}
	}
	return "", fmt.Errorf("%w: no %s header", ErrNoSignature, name)
}

func parseUnix(what, ts string) (int64, error) {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q is not Unix seconds", ErrBadSignature, what, ts)
	}
	return n, nil
}

// checkTime refuses a signed timestamp further than tolerance from now,
// either way: an old one may be a replay, a future one a skewed clock.
func checkTime(unix int64, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	off := now.Sub(time.Unix(unix, 0))
	switch {
	case off > tolerance:
		return fmt.Errorf("%w: timestamp %d is %s old (tolerance %s)", ErrStaleTimestamp, unix, short(off), short(tolerance))
	case -off > tolerance:
		return fmt.Errorf("%w: timestamp %d is %s in the future (tolerance %s)", ErrStaleTimestamp, unix, short(-off), short(tolerance))
	}
	return nil
}

// short prints a duration the way people say it: 12m, 2h, 1h30m, 45s.
func short(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// equalHex compares a MAC with a hex signature in constant time; hex of
// either case is accepted.
func equalHex(mac []byte, sig string) bool {
	got, err := hex.DecodeString(sig)
	return err == nil && hmac.Equal(mac, got)
}

// anyMatch tries every candidate, without stopping early, so the time taken
// does not tell which one matched.
func anyMatch(candidates []string, match func(string) bool) bool {
	ok := false
	for _, c := range candidates {
		if match(c) {
			ok = true
		}
	}
	return ok
}
