package store

import "strings"

// idnaDots are the full stops IDNA (RFC 3490 §3.1) reads as '.': the
// ideographic, full-width and half-width ideographic ones. HTTP clients
// apply IDNA before they dial, so "127。0。0。1" reaches 127.0.0.1.
var idnaDots = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".")

// WebhookHost returns a webhook URL's host name as a client will dial it,
// IDNA's dots mapped to '.', and whether that is plain ASCII. Webhooks take
// only ASCII hosts (an international name in its xn-- form): IDNA maps
// much more than dots (full-width digits and letters, for one), and the
// address checks must see the very host that will be dialled.
func WebhookHost(host string) (string, bool) {
	host = idnaDots.Replace(host)
	for i := range len(host) {
		if host[i] >= 0x80 {
			return host, false
		}
	}
	return host, true
}
