package custlink

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

var (
	key   = bytes.Repeat([]byte{7}, 32)
	now   = time.Date(2026, 3, 15, 14, 22, 30, 0, time.UTC)
	claim = Claims{Mode: ModeTest, CustomerID: 123456, Epoch: 3, Expires: now.Add(30 * 24 * time.Hour)}
)

func TestATokenSaysWhatItWasMintedWithAndIsShort(t *testing.T) {
	tok := Mint(key, claim)
	if len(tok) > 48 {
		t.Fatalf("token %q is %d characters: too long for a small QR code", tok, len(tok))
	}
	got, err := Parse(key, tok, now)
	if err != nil || got != claim {
		t.Fatalf("Parse = %+v, %v; want %+v", got, err, claim)
	}
	live := claim
	live.Mode = ModeLive
	if got, _ := Parse(key, Mint(key, live), now); got.Mode != ModeLive {
		t.Fatalf("mode %q, want live", got.Mode)
	}
}

func TestEveryBadTokenIsTheSameRefusal(t *testing.T) {
	tok := Mint(key, claim)
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	other := bytes.Repeat([]byte{8}, 32)
	cases := map[string]struct {
		key   []byte
		token string
		at    time.Time
	}{
		"expired":            {key, tok, claim.Expires},
		"another key":        {other, tok, now},
		"mode changed":       {key, flip(1), now},
		"customer changed":   {key, flip(2), now},
		"signature changed":  {key, flip(len(raw) - 1), now},
		"cut short":          {key, tok[:len(tok)-2], now},
		"longer":             {key, tok + "AA", now},
		"not base64url":      {key, tok[:10] + "+/" + tok[12:], now},
		"empty":              {key, "", now},
		"huge":               {key, string(bytes.Repeat([]byte("A"), 5000)), now},
		"second spelling":    {key, tok[:len(tok)-1] + string(rune(tok[len(tok)-1]+1)), now},
		"customer zero":      {key, Mint(key, Claims{Mode: ModeLive, Expires: claim.Expires}), now},
		"expiry before 1970": {key, Mint(key, Claims{Mode: ModeLive, CustomerID: 1, Expires: time.Unix(-5, 0)}), now},
	}
	for name, c := range cases {
		if _, err := Parse(c.key, c.token, c.at); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
	if _, err := Parse(key, tok, claim.Expires.Add(-time.Second)); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
}

func TestMintRefusesAModeThatNamesNoStore(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Mint with mode \"\" did not panic")
		}
	}()
	Mint(key, Claims{CustomerID: 1, Expires: now})
}
