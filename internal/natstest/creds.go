package natstest

import (
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// UserCreds makes a real .creds file's contents (a user JWT signed by a new
// account key, and the user's nkey seed) and returns it with the seed, the
// secret a test looks for where it must not be.
func UserCreds(t testing.TB) (creds, seed string) {
	t.Helper()
	account, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := user.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.NewUserClaims(pub).Encode(account)
	if err != nil {
		t.Fatal(err)
	}
	s, err := user.Seed()
	if err != nil {
		t.Fatal(err)
	}
	file, err := jwt.FormatUserConfig(tok, s)
	if err != nil {
		t.Fatal(err)
	}
	return string(file), string(s)
}
