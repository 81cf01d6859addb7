package hooks_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"portal/hooks"
)

// Receivers written from each vendor's documented verification code, with
// crypto/hmac directly: none of them calls the package under test.

// portalReceiver is seed 000's PHP verifier: reject when the timestamp is more
// than 300 s off, then hash_equals("sha256=" . hash_hmac(ts . "." . payload)).
func portalReceiver(secret string, h http.Header, payload []byte, now time.Time) bool {
	signature := h.Get("X-Portal-Signature")
	timestamp := h.Get("X-Portal-Timestamp")
	ts, _ := strconv.ParseInt(timestamp, 10, 64) // PHP's (int) cast
	if d := now.Unix() - ts; d > 300 || d < -300 {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "." + string(payload)))
	expected := "sha256=" + hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(expected), []byte(signature))
}

// portalioReceiver is seed 001's recipe (Stripe's scheme): t and v1 from
// X-Webhook-Signature, HMAC_SHA256(secretKey, t + "." + raw body) in hex,
// accepted when it equals any v1; 300 s tolerance as Stripe's libraries.
func portalioReceiver(secretKey string, h http.Header, raw []byte, now time.Time) bool {
	var t string
	var v1 []string
	for _, item := range strings.Split(h.Get("X-Webhook-Signature"), ",") {
		k, v, _ := strings.Cut(item, "=")
		switch k {
		case "t":
			t = v
		case "v1":
			v1 = append(v1, v)
		}
	}
	ts, err := strconv.ParseInt(t, 10, 64)
	if err != nil || now.Unix()-ts > 300 || ts-now.Unix() > 300 {
		return false
	}
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(t + "." + string(raw)))
	expected := hex.EncodeToString(m.Sum(nil))
	for _, sig := range v1 {
		if hmac.Equal([]byte(expected), []byte(sig)) {
			return true
		}
	}
	return false
}

// porterReceiver is seed 002's Python verify_webhook_signature.
func porterReceiver(secret string, h http.Header, body []byte) bool {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	expected := hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(h.Get("X-Porter-Signature")), []byte(expected))
}

// standardReceiver is the official Standard Webhooks library, which checks
// the timestamp against the real clock.
func standardReceiver(secret string, h http.Header, body []byte) bool {
	wh, err := standardwebhooks.NewWebhook(secret)
	return err == nil && wh.Verify(body, h) == nil
}

// receiver is the independent receiver of a format.
func receiver(format string) func(secret string, h http.Header, body []byte, now time.Time) bool {
	switch format {
	case "portal":
		return portalReceiver
	case "portalio":
		return portalioReceiver
	case "porter":
		return func(s string, h http.Header, b []byte, _ time.Time) bool { return porterReceiver(s, h, b) }
	case "standard":
		return func(s string, h http.Header, b []byte, _ time.Time) bool { return standardReceiver(s, h, b) }
	}
	panic(format)
}

// received is a request as a Go server sees it after a real POST: header
// keys canonicalized, body as read.
func received(t *testing.T, req hooks.Request) (http.Header, []byte) {
	t.Helper()
	var header http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header = r.Header
		body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	hr, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header = req.Header
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return header, body
}

// canonical is h with its keys as a Go server would see them.
func canonical(h http.Header) http.Header {
	c := http.Header{}
	for k, vs := range h {
		for _, v := range vs {
			c.Add(k, v)
		}
	}
	return c
}

func sampleEvent(t *testing.T) hooks.Event {
	return eventFrom(t, loadVectors(t).Portal.Body)
}

func newSecret(t *testing.T, format string) string {
	t.Helper()
	s, err := hooks.NewSecret(format)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReceiversAcceptTheVectors(t *testing.T) {
	v := loadVectors(t)
	for format, vec := range map[string]vector{"portal": v.Portal, "portalio": v.Portalio, "porter": v.Porter} {
		h := http.Header{}
		for k, val := range vec.Headers {
			h.Set(k, val)
		}
		now := time.Unix(1710000000, 0)
		if !receiver(format)(vec.Secret, h, []byte(vec.Body), now) {
			t.Errorf("%s receiver refuses its vector", format)
		}
		if err := hooks.Verify(format, vec.Secret, h, []byte(vec.Body), now); err != nil {
			t.Errorf("Verify(%s vector): %v", format, err)
		}
	}
	h := http.Header{}
	for k, val := range v.Standard.Headers {
		h.Set(k, val)
	}
	wh, err := standardwebhooks.NewWebhook(v.Standard.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.VerifyIgnoringTimestamp([]byte(v.Standard.Body), h); err != nil {
		t.Errorf("official library refuses the standard vector: %v", err)
	}
	if err := hooks.Verify("standard", v.Standard.Secret, h, []byte(v.Standard.Body), time.Unix(1710000000, 0)); err != nil {
		t.Errorf("Verify(standard vector): %v", err)
	}
}

func TestIndependentReceiversAcceptBuiltRequests(t *testing.T) {
	for _, format := range hooks.FormatNames {
		secret := newSecret(t, format)
		now := time.Now()
		h, body := received(t, build(t, format, sampleEvent(t), []string{secret}, now))
		if !receiver(format)(secret, h, body, now) {
			t.Errorf("%s receiver refuses a built request: %v %s", format, h, body)
		}
		if err := hooks.Verify(format, secret, h, body, now); err != nil {
			t.Errorf("Verify(%s): %v", format, err)
		}
	}
}

func TestTamperedBodyFailsVerify(t *testing.T) {
	for _, format := range hooks.FormatNames {
		secret := newSecret(t, format)
		now := time.Now()
		req := build(t, format, sampleEvent(t), []string{secret}, now)
		tampered := bytes.Replace(req.Body, []byte("1042"), []byte("1043"), 1)
		if bytes.Equal(tampered, req.Body) {
			t.Fatalf("%s: nothing to tamper with in %s", format, req.Body)
		}
		if err := hooks.Verify(format, secret, req.Header, tampered, now); !errors.Is(err, hooks.ErrBadSignature) {
			t.Errorf("%s tampered body: %v, want ErrBadSignature", format, err)
		}
		if receiver(format)(secret, canonical(req.Header), tampered, now) {
			t.Errorf("%s receiver accepts a tampered body", format)
		}
		if err := hooks.Verify(format, newSecret(t, format), req.Header, req.Body, now); !errors.Is(err, hooks.ErrBadSignature) {
			t.Errorf("%s wrong secret: %v, want ErrBadSignature", format, err)
		}
	}
}

func TestStaleTimestampFailsVerify(t *testing.T) {
	now := time.Now().Truncate(time.Second) // signed times are whole seconds
	for _, format := range []string{"portal", "portalio", "standard"} {
		secret := newSecret(t, format)
		for _, c := range []struct {
			signedAt time.Time
			reason   string
		}{
			{now.Add(-12 * time.Minute), "is 12m old (tolerance 5m)"},
			{now.Add(6 * time.Minute), "is 6m in the future (tolerance 5m)"},
		} {
			req := build(t, format, sampleEvent(t), []string{secret}, c.signedAt)
			err := hooks.Verify(format, secret, req.Header, req.Body, now)
			if !errors.Is(err, hooks.ErrStaleTimestamp) || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("%s: %v, want ErrStaleTimestamp saying %q", format, err, c.reason)
			}
			if receiver(format)(secret, canonical(req.Header), req.Body, now) {
				t.Errorf("%s receiver accepts a request signed at %v", format, c.signedAt)
			}
		}
	}
	// A wider tolerance lets the same request through.
	secret := newSecret(t, "portal")
	req := build(t, "portal", sampleEvent(t), []string{secret}, now.Add(-12*time.Minute))
	if err := hooks.VerifyPortal(secret, req.Header, req.Body, 15*time.Minute, now); err != nil {
		t.Errorf("VerifyPortal with 15m tolerance: %v", err)
	}
}

func TestMissingSignatureFailsVerify(t *testing.T) {
	for format, header := range map[string]string{
		"portal": "X-Portal-Signature", "portalio": "X-Webhook-Signature",
		"porter": "X-Porter-Signature", "standard": "webhook-signature",
	} {
		secret := newSecret(t, format)
		req := build(t, format, sampleEvent(t), []string{secret}, time.Now())
		delete(req.Header, header)
		err := hooks.Verify(format, secret, req.Header, req.Body, time.Now())
		if !errors.Is(err, hooks.ErrNoSignature) || !strings.Contains(err.Error(), header) {
			t.Errorf("%s without %s: %v", format, header, err)
		}
	}
	if err := hooks.Verify("stripe", "s", http.Header{}, nil, time.Now()); err == nil {
		t.Error("Verify of an unknown format passed")
	}
}

func TestRotationSignsWithEverySecretWhereTheFormatAllows(t *testing.T) {
	for _, c := range []struct {
		format     string
		signatures func(http.Header) int
		oldValid   bool
	}{
		{"portalio", func(h http.Header) int { return strings.Count(h.Get("X-Webhook-Signature"), ",v1=") }, true},
		{"standard", func(h http.Header) int { return len(strings.Fields(h.Get("Webhook-Signature"))) }, true},
		{"portal", func(h http.Header) int { return len(h.Values("X-Portal-Signature")) }, false},
		{"porter", func(h http.Header) int { return len(h.Values("X-Porter-Signature")) }, false},
	} {
		current, old := newSecret(t, c.format), newSecret(t, c.format)
		now := time.Now()
		h, body := received(t, build(t, c.format, sampleEvent(t), []string{current, old}, now))
		want := 1
		if c.oldValid {
			want = 2
		}
		if n := c.signatures(h); n != want {
			t.Errorf("%s carries %d signatures, want %d: %v", c.format, n, want, h)
		}
		if !receiver(c.format)(current, h, body, now) {
			t.Errorf("%s receiver with the current secret refuses", c.format)
		}
		if got := receiver(c.format)(old, h, body, now); got != c.oldValid {
			t.Errorf("%s receiver with the old secret accepts: %v, want %v", c.format, got, c.oldValid)
		}
		if err := hooks.Verify(c.format, current, h, body, now); err != nil {
			t.Errorf("Verify(%s, current): %v", c.format, err)
		}
		err := hooks.Verify(c.format, old, h, body, now)
		if c.oldValid && err != nil || !c.oldValid && !errors.Is(err, hooks.ErrBadSignature) {
			t.Errorf("Verify(%s, old): %v", c.format, err)
		}
	}
}

func TestVerifyReadsHeadersInAnyCase(t *testing.T) {
	secret := newSecret(t, "standard")
	now := time.Now()
	req := build(t, "standard", sampleEvent(t), []string{secret}, now)
	if err := hooks.VerifyStandard(secret, req.Header, req.Body, 0, now); err != nil {
		t.Errorf("as built (lower case keys): %v", err)
	}
	if err := hooks.VerifyStandard(secret, canonical(req.Header), req.Body, 0, now); err != nil {
		t.Errorf("canonical keys: %v", err)
	}
}
