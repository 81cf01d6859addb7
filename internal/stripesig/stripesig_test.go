package stripesig

import (
	"errors"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"evt_1"}`)
	good := Sign("whsec_0123456789abcdef", body, now)
	other := Sign("whsec_rolled_secret_xyz", body, now)
	for _, c := range []struct {
		name, secret, header string
		body                 []byte
		at                   time.Time
		want                 error
	}{
		{"good", "whsec_0123456789abcdef", good, body, now, nil},
		{"several v1, one matches", "whsec_0123456789abcdef", other + good[len("t=1800000000"):], body, now, nil},
		{"within tolerance", "whsec_0123456789abcdef", good, body, now.Add(Tolerance), nil},
		{"too old", "whsec_0123456789abcdef", good, body, now.Add(Tolerance + time.Second), ErrTimestamp},
		{"from the future", "whsec_0123456789abcdef", good, body, now.Add(-Tolerance - time.Second), ErrTimestamp},
		{"tampered body", "whsec_0123456789abcdef", good, []byte(`{"id":"evt_2"}`), now, ErrSignature},
		{"wrong secret", "whsec_somebody_else_s", good, body, now, ErrSignature},
		{"no secret", "", good, body, now, ErrNoSecret},
		{"no v1", "whsec_0123456789abcdef", "t=1800000000", body, now, ErrHeader},
		{"garbage", "whsec_0123456789abcdef", "nonsense", body, now, ErrHeader},
		{"v0 only", "whsec_0123456789abcdef", "t=1800000000,v0=" + good[len("t=1800000000,v1="):], body, now, ErrHeader},
	} {
		if err := Verify(c.secret, c.header, c.body, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
}
