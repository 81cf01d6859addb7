// Package chain is the publisher that mirrors the shop's event log into NATS
// JetStream, so a chain of shops (or anything else) can read every branch's
// events from one hub.
//
// Wire format: a live event goes to portal.<shop>.<event name>, a test-mode
// event (only when included) to portal.<shop>.test.<event name>; the body is
// the stored event JSON as it is; the headers are Nats-Msg-Id (the event id),
// Portal-Store (live or test) and Portal-Seq (its place in that store's log).
//
// Each store's events go out in log order. A store cursor (store.NATSCursor)
// moves only over what JetStream acknowledged, and on every (re)connect the
// stream's last message for this shop moves it further, so a crash between
// the ack and the cursor write re-sends nothing, even after the stream's
// duplicate window. While the hub is away nothing is buffered in the client:
// the log is the buffer, and the publisher retries with backoff.
package chain

import (
	"os"
	"strings"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"portal/store"
)

// DefaultStream is the stream the events go to when none is set.
const DefaultStream = store.DefaultChainStream

// Config says where the events go. The zero Config (URL "") is off.
type Config struct {
	URL         string // nats://host:4222 or tls://…, several comma-separated allowed; "" = off
	CredsFile   string // --nats-creds: a .creds file (JWT + nkey seed)
	Creds       string // the same file's contents (console, sealed in the store); used when CredsFile == ""
	Stream      string // "" = DefaultStream
	Shop        string // the subject token naming this shop: [a-z0-9_-]{1,64}
	IncludeTest bool   // test-mode events too
}

// On reports whether the config publishes anywhere.
func (c Config) On() bool { return strings.TrimSpace(c.URL) != "" }

// stream is the stream name in effect.
func (c Config) stream() string {
	if c.Stream == "" {
		return DefaultStream
	}
	return c.Stream
}

// Validate checks every field, naming the bad ones (nats_url, stream, shop,
// creds) in a *store.ValidationError. An off config (URL "") is valid
// whatever the rest holds, except a malformed stream or shop.
func (c Config) Validate() error {
	var p store.Problems
	if c.On() {
		if msg := store.CheckNATSURL(c.URL); msg != "" {
			p.Add("nats_url", msg)
		}
		if c.Shop == "" {
			p.Add("shop", "a shop id is required: the subject token naming this shop")
		}
	}
	if c.Shop != "" && !store.ValidChainShop(c.Shop) {
		p.Add("shop", store.ChainShopRule)
	}
	if c.Stream != "" && !store.ValidChainStream(c.Stream) {
		p.Add("stream", store.ChainStreamRule)
	}
	if msg := checkCreds(c); msg != "" {
		p.Add("creds", msg)
	}
	return p.Err()
}

// checkCreds reads the creds (file or contents) as a .creds file: a user JWT
// and an nkey seed. The message never quotes them.
func checkCreds(c Config) string {
	raw := []byte(c.Creds)
	if c.CredsFile != "" {
		b, err := os.ReadFile(c.CredsFile)
		if err != nil {
			return "the creds file cannot be read"
		}
		raw = b
	}
	if len(raw) == 0 {
		return ""
	}
	tok, err := nkeys.ParseDecoratedJWT(raw)
	if err != nil {
		return "not a .creds file: no user JWT"
	}
	if _, err := jwt.DecodeUserClaims(tok); err != nil {
		return "not a .creds file: no user JWT"
	}
	kp, err := nkeys.ParseDecoratedNKey(raw)
	if err != nil {
		return "not a .creds file: no user nkey seed"
	}
	kp.Wipe()
	return ""
}

// RedactURL returns u with every server's userinfo (user, password, token)
// shown as "***", so it can be shown and logged.
func RedactURL(u string) string { return store.RedactNATSURL(u) }
