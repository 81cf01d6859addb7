package store

import (
	"encoding/binary"
	"errors"
	"strings"
)

// An event id is "evt_" + 26 Crockford base32 characters (a ULID layout) of
// 128 bits: 48 bits of milliseconds, 16 bits naming the store, 64 bits of the
// log's sequence. Ids therefore sort by time, never collide between the live
// and test stores, and map straight back to their place in the log.

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// EventIDPrefix starts every event id.
const EventIDPrefix = "evt_"

func modeTag(m Mode) uint16 {
	if m == Test {
		return 1
	}
	return 0
}

func formatEventID(ms uint64, m Mode, seq uint64) string {
	return formatTaggedID(ms, modeTag(m), seq)
}

// sampleTag marks the ids of sample events sent by "Send test", which are
// not in the log: their sequence is the delivery's, so they never collide.
const sampleTag = 0x8000

func formatTaggedID(ms uint64, tag uint16, seq uint64) string {
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[0:8], ms<<16|uint64(tag))
	binary.BigEndian.PutUint64(raw[8:16], seq)
	// 128 bits in 26 characters: the first carries the top 3 bits (ULID style).
	var out [26]byte
	hi := binary.BigEndian.Uint64(raw[0:8])
	lo := binary.BigEndian.Uint64(raw[8:16])
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return EventIDPrefix + string(out[:])
}

var errEventID = errors.New("not an event id of this store")

// parseEventID returns the log sequence of an id minted by this store.
func parseEventID(id string, m Mode) (uint64, error) {
	hi, lo, err := decodeEventID(id)
	if err != nil || uint16(hi&0xffff) != modeTag(m) {
		return 0, errEventID
	}
	return lo, nil
}

// eventIDMillis returns the milliseconds an id was minted at: the log's
// clock, which never steps back (see putEvent), so they increase with the
// sequence and the events older than any time are a prefix of the log.
func eventIDMillis(id string) (uint64, error) {
	hi, _, err := decodeEventID(id)
	return hi >> 16, err
}

// decodeEventID returns an id's two 64-bit halves.
func decodeEventID(id string) (hi, lo uint64, err error) {
	s, ok := strings.CutPrefix(id, EventIDPrefix)
	if !ok || len(s) != 26 {
		return 0, 0, errEventID
	}
	for i := 0; i < 26; i++ {
		d := strings.IndexByte(crockford, s[i])
		if d < 0 || (i == 0 && d > 7) {
			return 0, 0, errEventID
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(d)
	}
	return hi, lo, nil
}
