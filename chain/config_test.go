package chain

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"portal/internal/natstest"
	"portal/store"
)

func TestValidateNamesTheField(t *testing.T) {
	creds, _ := natstest.UserCreds(t)
	credsFile := filepath.Join(t.TempDir(), "user.creds")
	if err := os.WriteFile(credsFile, []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := Config{URL: "nats://hub.example.com:4222", Shop: "downtown"}
	for _, c := range []Config{
		{},
		{Shop: "downtown", Stream: "PORTAL"},
		ok,
		{URL: "tls://u:p@hub:4222, nats://10.0.0.2:4222", Shop: "shop-abcdefgh", Stream: "CHAIN_1", Creds: creds, IncludeTest: true},
		{URL: "wss://hub.example.com", Shop: "a_b-c", CredsFile: credsFile},
	} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for field, c := range map[string]Config{
		"nats_url": {URL: "http://hub:4222", Shop: "x"},
		"shop":     {URL: "nats://hub:4222"},
		"stream":   {URL: "nats://hub:4222", Shop: "x", Stream: "a.b"},
		"creds":    {URL: "nats://hub:4222", Shop: "x", Creds: "-----BEGIN NATS USER JWT-----\nnope\n------END NATS USER JWT------\n"},
	} {
		var ve *store.ValidationError
		if err := c.Validate(); !errors.As(err, &ve) || ve.Fields[0].Field != field {
			t.Errorf("%+v: %v, want %s named", c, err, field)
		}
	}
	for _, bad := range []Config{
		{URL: "nats://hub:4222,,nats://h2:4222", Shop: "x"},
		{URL: "nats:///nohost", Shop: "x"},
		{URL: "nats://hub:4222/path", Shop: "x"},
		{URL: "nats://hub:4222", Shop: "Downtown"},
		{URL: "nats://hub:4222", Shop: "down.town"},
		{URL: "nats://hub:4222", Shop: strings.Repeat("a", 65)},
		{URL: "nats://hub:4222", Shop: "x", Stream: "a b"},
		{URL: "nats://hub:4222", Shop: "x", CredsFile: filepath.Join(t.TempDir(), "missing.creds")},
		{URL: "nats://hub:4222", Shop: "x", Creds: "SUAKJ..."},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v is valid", bad)
		} else if strings.Contains(err.Error(), creds) {
			t.Errorf("the error quotes the creds")
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                                    "",
		"nats://hub:4222":                     "nats://hub:4222",
		"nats://alice:s3cret@hub:4222":        "nats://***@hub:4222",
		"tls://t0ken@hub:4222,nats://h2:4222": "tls://***@hub:4222,nats://h2:4222",
		"nats://a:b@h1:1, nats://c:d@h2:2":    "nats://***@h1:1,nats://***@h2:2",
		"user:pw@hub:4222":                    "***@hub:4222",
		"nats://a:p@ss@hub:4222":              "nats://***@hub:4222",
		"ws://hub:8080/path?x=1":              "ws://hub:8080/path?x=1",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// An error in the status never carries the URL's password or token.
func TestErrorWordsHideSecrets(t *testing.T) {
	p := New(Options{})
	p.Configure(Config{URL: "nats://alice:s3cret@hub:4222,nats://t0ken@h2:4222", Shop: "x"})
	p.mu.Lock()
	got := p.words(errors.New("dial nats://alice:s3cret@hub:4222 and t0ken failed, password s3cret"))
	p.mu.Unlock()
	if strings.Contains(got, "s3cret") || strings.Contains(got, "t0ken") {
		t.Fatalf("words: %q", got)
	}
}

func TestCovers(t *testing.T) {
	for _, c := range []struct {
		patterns []string
		subject  string
		want     bool
	}{
		{[]string{"portal.>"}, "portal.downtown.>", true},
		{[]string{"portal.*.>"}, "portal.downtown.test.>", true},
		{[]string{"portal.downtown.>"}, "portal.downtown.>", true},
		{[]string{">"}, "portal.downtown.>", true},
		{[]string{"portal.uptown.>"}, "portal.downtown.>", false},
		{[]string{"portal.downtown.*"}, "portal.downtown.>", false},
		{[]string{"portal.downtown"}, "portal.downtown.>", false},
		{[]string{"portal.downtown.test.>"}, "portal.downtown.>", false},
		{[]string{"other.>", "portal.*.>"}, "portal.downtown.>", true},
	} {
		if got := covers(c.patterns, c.subject); got != c.want {
			t.Errorf("covers(%v, %s) = %v", c.patterns, c.subject, got)
		}
	}
}

func TestBackoffGrowsToItsCap(t *testing.T) {
	prev := time.Duration(0)
	for n := range 40 {
		d := backoff(n)
		if d <= 0 || d > backoffMax || (n < 5 && d < prev/2) {
			t.Fatalf("backoff(%d) = %v", n, d)
		}
		prev = d
	}
	if d := backoff(0); d > backoffMin {
		t.Fatalf("backoff(0) = %v", d)
	}
	if d := backoff(100); d < backoffMax*3/4 {
		t.Fatalf("backoff(100) = %v", d)
	}
}

// The console's creds (a .creds file's contents) sign the server's nonce
// with the user's key and present the user's JWT.
func TestCredsOptionSigns(t *testing.T) {
	creds, _ := natstest.UserCreds(t)
	var o nats.Options
	if err := credsOption(creds)(&o); err != nil {
		t.Fatal(err)
	}
	tok, err := o.UserJWT()
	if err != nil {
		t.Fatal(err)
	}
	claims, err := jwt.DecodeUserClaims(tok)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := o.SignatureCB([]byte("nonce"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := nkeys.FromPublicKey(claims.Subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Verify([]byte("nonce"), sig); err != nil {
		t.Fatalf("the signature is not the user's: %v", err)
	}
}

// A config that fails Validate mirrors nothing (the status says why): the
// log is not held for it.
func TestHoldIsZeroWithAnInvalidConfig(t *testing.T) {
	p := New(Options{})
	p.Configure(Config{URL: "nats://127.0.0.1:4222", Shop: "Not A Shop"})
	if h := p.Hold(store.Live)(); h != 0 {
		t.Fatalf("hold %d with an invalid config, want 0", h)
	}
	p.Configure(Config{URL: "nats://127.0.0.1:4222", Shop: "downtown"})
	if h := p.Hold(store.Live)(); h != 1 {
		t.Fatalf("hold %d before the cursor is read, want 1", h)
	}
}
