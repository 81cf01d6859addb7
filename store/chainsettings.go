package store

// The chain of shops (issue 19): where the appliance mirrors its event log,
// a NATS JetStream server. Kept in live.db only (the API's routes are
// liveOnly): whoever sets it receives every event of the shop. The address
// may carry a password or a token and the creds file is a key, so both are
// sealed; the answer shows the address with its user info as "***" and
// creds only as creds_set.

import (
	"context"
	"encoding/base32"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

var keyChain = []byte("chain")

// DefaultChainStream is the JetStream stream the events go to when the
// settings name none (the chain package's DefaultStream).
const DefaultChainStream = "PORTAL"

// ChainSettings is the chain as the API shows it: no secret.
type ChainSettings struct {
	// NATSURL is the server address, several comma-separated allowed, with
	// any user info (a password or token) shown as "***"; "" is off.
	NATSURL     string `json:"nats_url"`
	CredsSet    bool   `json:"creds_set"`
	Stream      string `json:"stream"`
	Shop        string `json:"shop"`
	ShopDefault bool   `json:"shop_default"` // Shop is the appliance's own id, derived from its seal key
	IncludeTest bool   `json:"include_test"`
}

// ChainConnection is what the publisher needs, the secrets opened. It never
// reaches an answer, an event or a log line.
type ChainConnection struct {
	URL         string
	Creds       string // the .creds file's contents
	Stream      string
	Shop        string
	IncludeTest bool
}

// ChainSettingsPatch changes some fields. NATSURL "" turns the chain off.
// Creds: absent keeps them, "" removes them, anything else replaces them.
// Shop "" returns to the appliance's own id; Stream "" to PORTAL.
type ChainSettingsPatch struct {
	NATSURL     *string `json:"nats_url"`
	Creds       *string `json:"creds"`
	Stream      *string `json:"stream"`
	Shop        *string `json:"shop"`
	IncludeTest *bool   `json:"include_test"`
}

// chainRecord is the settings as kept.
type chainRecord struct {
	URLShown    string `json:"url_shown,omitempty"` // redacted
	URLSealed   []byte `json:"url_sealed,omitempty"`
	CredsSealed []byte `json:"creds_sealed,omitempty"`
	// CredsFor is the servers (the address without user info) the creds
	// were given for; "" adopts the next address set.
	CredsFor    string `json:"creds_for,omitempty"`
	Stream      string `json:"stream,omitempty"`
	Shop        string `json:"shop,omitempty"` // "" = ChainDefaultShop
	IncludeTest bool   `json:"include_test,omitempty"`
}

// ChainDefaultShop is the appliance's own shop id: "shop-" and 8 base32
// characters derived from its seal key, so it stays the same across
// restarts and in a restored backup (which carries the key).
func ChainDefaultShop(sealer *Sealer) string {
	if sealer == nil {
		return ""
	}
	k := base32.StdEncoding.EncodeToString(sealer.DeriveKey("chain-shop-id"))
	return "shop-" + strings.ToLower(k[:8])
}

func (r chainRecord) view(sealer *Sealer) ChainSettings {
	out := ChainSettings{NATSURL: r.URLShown, CredsSet: len(r.CredsSealed) > 0, Stream: r.Stream,
		Shop: r.Shop, IncludeTest: r.IncludeTest}
	if out.Stream == "" {
		out.Stream = DefaultChainStream
	}
	if out.Shop == "" {
		out.Shop, out.ShopDefault = ChainDefaultShop(sealer), true
	}
	return out
}

func (r chainRecord) open(sealer *Sealer) (ChainConnection, error) {
	v := r.view(sealer)
	out := ChainConnection{Stream: v.Stream, Shop: v.Shop, IncludeTest: v.IncludeTest}
	if len(r.URLSealed) == 0 && len(r.CredsSealed) == 0 {
		return out, nil
	}
	if sealer == nil {
		return out, fmt.Errorf("the chain's address is sealed and no seal key was given")
	}
	if len(r.URLSealed) > 0 {
		u, err := sealer.Open(r.URLSealed)
		if err != nil {
			return out, fmt.Errorf("opening the chain's address: %w", err)
		}
		out.URL = string(u)
	}
	if len(r.CredsSealed) > 0 {
		c, err := sealer.Open(r.CredsSealed)
		if err != nil {
			return out, fmt.Errorf("opening the chain's creds: %w", err)
		}
		out.Creds = string(c)
	}
	return out, nil
}

// ChainSettings returns the chain settings, without secrets.
func (s *Store) ChainSettings(sealer *Sealer) (ChainSettings, error) {
	var r chainRecord
	err := s.view(func(tx *bolt.Tx) (err error) { r, err = getJSON(tx, keyChain, chainRecord{}); return })
	return r.view(sealer), err
}

// ChainConnection returns the settings with the address and creds opened,
// for the publisher.
func (s *Store) ChainConnection(sealer *Sealer) (ChainConnection, error) {
	var r chainRecord
	if err := s.view(func(tx *bolt.Tx) (err error) { r, err = getJSON(tx, keyChain, chainRecord{}); return }); err != nil {
		return ChainConnection{}, err
	}
	return r.open(sealer)
}

// UpdateChainSettings applies a patch, sealing the address and creds, and
// records store.updated naming what changed (the address redacted, creds
// only as creds_set). check sees the settings as they would be, secrets
// opened, inside the transaction: its error refuses the patch (the chain
// package's own validation). Creds belong to the servers they were given
// for: a new address with other servers and no new creds drops them, so
// nobody can point the appliance at their own server and collect them.
func (s *Store) UpdateChainSettings(ctx context.Context, p ChainSettingsPatch, sealer *Sealer, check func(ChainConnection) error) (ChainSettings, error) {
	if err := p.validate(); err != nil {
		return ChainSettings{}, err
	}
	if sealer == nil {
		return ChainSettings{}, fmt.Errorf("no seal key to keep the chain's address")
	}
	var newURL, newCreds []byte
	var err error
	if p.NATSURL != nil && NormalizeNATSURL(*p.NATSURL) != "" {
		if newURL, err = sealer.Seal([]byte(NormalizeNATSURL(*p.NATSURL))); err != nil {
			return ChainSettings{}, err
		}
	}
	if p.Creds != nil && strings.TrimSpace(*p.Creds) != "" {
		if newCreds, err = sealer.Seal([]byte(strings.TrimSpace(*p.Creds) + "\n")); err != nil {
			return ChainSettings{}, err
		}
	}
	var out ChainSettings
	err = s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getJSON(tx, keyChain, chainRecord{})
		if err != nil {
			return err
		}
		before := r.view(sealer)
		cur, err := r.open(sealer)
		if err != nil {
			return err
		}
		changes := ordered{}
		if p.NATSURL != nil {
			if u := NormalizeNATSURL(*p.NATSURL); u != cur.URL {
				shown := RedactNATSURL(u)
				// The event says that the server changed, not which: store
				// events reach store.read keys and their webhooks, and the
				// address takes backup.read (GET /appliance/chain).
				changes = changes.with("nats_url", change{onOff(r.URLShown), onOff(shown)})
				r.URLShown, r.URLSealed, cur.URL = shown, newURL, u
			}
		}
		credsSet := len(r.CredsSealed) > 0
		servers := natsServers(cur.URL)
		switch {
		case p.Creds != nil:
			r.CredsSealed, cur.Creds = newCreds, strings.TrimSpace(*p.Creds)
			if len(newCreds) > 0 {
				cur.Creds += "\n"
			}
			r.CredsFor = servers
		case credsSet && servers != "" && r.CredsFor != "" && r.CredsFor != servers:
			r.CredsSealed, r.CredsFor, cur.Creds = nil, "", ""
		case credsSet && r.CredsFor == "":
			r.CredsFor = servers
		}
		if len(r.CredsSealed) == 0 {
			r.CredsFor = ""
		}
		if now := len(r.CredsSealed) > 0; now != credsSet || (p.Creds != nil && now) {
			changes = changes.with("creds_set", change{credsSet, now})
		}
		if p.Stream != nil {
			r.Stream = strings.TrimSpace(*p.Stream)
			if r.Stream == DefaultChainStream {
				r.Stream = ""
			}
		}
		if p.Shop != nil {
			r.Shop = strings.TrimSpace(*p.Shop)
			if r.Shop == ChainDefaultShop(sealer) {
				r.Shop = ""
			}
		}
		if p.IncludeTest != nil {
			r.IncludeTest = *p.IncludeTest
		}
		after := r.view(sealer)
		if after.Stream != before.Stream {
			changes = changes.with("stream", change{before.Stream, after.Stream})
		}
		if after.Shop != before.Shop {
			changes = changes.with("shop", change{before.Shop, after.Shop})
		}
		if after.IncludeTest != before.IncludeTest {
			changes = changes.with("include_test", change{before.IncludeTest, after.IncludeTest})
		}
		cur.Stream, cur.Shop, cur.IncludeTest = after.Stream, after.Shop, after.IncludeTest
		if check != nil {
			if err := check(cur); err != nil {
				return err
			}
		}
		out = after
		if len(changes) == 0 {
			return nil
		}
		if err := putJSON(tx, keyChain, r); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, "store.updated", ordered{}.with("store_id", 1).with("changes", ordered{}.with("chain", changes)))
		return err
	})
	return out, err
}

// The chain's rules live here once; the chain package (serve's flags, the
// publisher) checks with these too.
var (
	chainShopPattern   = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
	chainStreamPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// ValidChainShop reports whether id can name a shop in a subject.
func ValidChainShop(id string) bool { return chainShopPattern.MatchString(id) }

// ValidChainStream reports whether name can name a JetStream stream.
func ValidChainStream(name string) bool { return chainStreamPattern.MatchString(name) }

// Messages for a bad shop id or stream, the same from the console and the flags.
const (
	ChainShopRule   = "must be 1 to 64 lowercase letters, digits, '-' or '_', such as downtown"
	ChainStreamRule = "must be 1 to 64 letters, digits, '-' or '_', such as PORTAL"
)

func (p ChainSettingsPatch) validate() error {
	var pr Problems
	if p.NATSURL != nil {
		if msg := CheckNATSURL(*p.NATSURL); msg != "" {
			pr.Add("nats_url", msg)
		}
	}
	if p.Creds != nil {
		if c := strings.TrimSpace(*p.Creds); c != "" && (len(c) > 16<<10 ||
			!strings.Contains(c, "-----BEGIN NATS USER JWT-----") || !strings.Contains(c, "-----BEGIN USER NKEY SEED-----")) {
			pr.Add("creds", "must be the contents of a NATS .creds file: its user JWT and its nkey seed (at most 16 KiB)")
		}
	}
	if p.Stream != nil {
		if st := strings.TrimSpace(*p.Stream); st != "" && !chainStreamPattern.MatchString(st) {
			pr.Add("stream", ChainStreamRule)
		}
	}
	if p.Shop != nil {
		if sh := strings.TrimSpace(*p.Shop); sh != "" && !chainShopPattern.MatchString(sh) {
			pr.Add("shop", ChainShopRule)
		}
	}
	return pr.Err()
}

// onOff is how a chain event shows an address: whether there is one.
func onOff(url string) string {
	if url == "" {
		return "off"
	}
	return "on"
}

// NormalizeNATSURL trims the address and each of its servers, and drops
// empty ones at its ends ("nats://a:4222," is nats://a:4222).
func NormalizeNATSURL(u string) string {
	parts := strings.Split(strings.TrimSpace(u), ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.Trim(strings.Join(parts, ","), ",")
}

// CheckNATSURL says what is wrong with an address, "" when nothing (an
// empty address turns the chain off). The servers may be anywhere, a leaf
// node on the shop's own network included; only NATS's own schemes.
func CheckNATSURL(raw string) string {
	u := NormalizeNATSURL(raw)
	if u == "" {
		return ""
	}
	if len(u) > 2000 {
		return "must be at most 2000 characters"
	}
	for _, part := range strings.Split(u, ",") {
		if part == "" {
			return "has an empty server between commas"
		}
		pu, err := url.Parse(part)
		if err != nil || pu.Host == "" || pu.Opaque != "" {
			return "must be a NATS server address such as nats://hub.example.com:4222 (several separated by commas)"
		}
		switch pu.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return "must start with nats://, tls://, ws:// or wss://"
		}
		if pu.User != nil {
			pw, _ := pu.User.Password()
			if pu.User.Username() == "***" || pw == "***" {
				return "*** stands for the saved password or token: type it again, or leave the address unchanged"
			}
		}
		if (pu.Path != "" && pu.Path != "/") || pu.RawQuery != "" || pu.Fragment != "" {
			return "must be a server address only, such as nats://hub.example.com:4222: no path or query"
		}
		if port := pu.Port(); port != "" {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return "has a port that is not a number from 1 to 65535"
			}
		}
		if h := pu.Hostname(); net.ParseIP(h) == nil && !validHost(h) {
			return "has a host that is not a host name or an IP address"
		}
	}
	return ""
}

// RedactNATSURL shows an address with any user info (a user and password,
// or a token) as "***". It works on the text, not a parse, so that even an
// address a parser reads another way (user:pw@host, with no scheme) never
// shows its secret.
func RedactNATSURL(u string) string {
	parts := strings.Split(NormalizeNATSURL(u), ",")
	for i, part := range parts {
		scheme, rest, ok := strings.Cut(part, "://")
		if !ok {
			scheme, rest = "", part
		}
		host := rest
		if end := strings.IndexAny(rest, "/?#"); end >= 0 {
			host = rest[:end]
		}
		if at := strings.LastIndex(host, "@"); at >= 0 {
			rest = "***" + rest[at:]
		}
		if ok {
			parts[i] = scheme + "://" + rest
		} else {
			parts[i] = rest
		}
	}
	return strings.Join(parts, ",")
}

// NATSURLHasSecret reports whether an address carries user info (a user and
// password, or a token) in any of its servers.
func NATSURLHasSecret(u string) bool { return RedactNATSURL(u) != NormalizeNATSURL(u) }

// natsServers is an address without its user info, lowercased: the servers
// it names, to compare two addresses.
func natsServers(u string) string {
	if u == "" {
		return ""
	}
	parts := strings.Split(u, ",")
	for i, part := range parts {
		if pu, err := url.Parse(part); err == nil {
			pu.User = nil
			parts[i] = strings.ToLower(pu.String())
		}
	}
	return strings.Join(parts, ",")
}
