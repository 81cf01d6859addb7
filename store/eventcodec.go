package store

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"sync"
)

// The log keeps an event packed: its header (up to the timestamp) as is, so
// fan-out, name filters and id lookups read it without unpacking, and the
// rest deflated against a dictionary of what events say. An event object is
// mostly the same keys and a record's usual values, so this halves the log.
//
//	packed: 0x01 | uvarint len(header) | header | deflate(rest, eventDictV1)
//	plain:  the event object itself (it starts with '{'): events logged
//	        before packing, or ones packing would not make smaller.
//
// Readers get the exact bytes that were packed (eventJSON): webhooks, the
// live feed and the API send them unchanged.

const packedV1 = 0x01

// eventDictV1 primes the deflate window with the keys and values events
// carry. Frozen: packed events name it by their first byte, so a change
// is a new version, never an edit.
var eventDictV1 = []byte(`"store_id":1,"actor":{"type":"system","name":"Portal"},"actor":{"type":"key","id":1,"name":"` +
	`"actor":{"type":"user","id":1,"name":"","data":{"customer_id":1,"customer":{"id":1,"name":"","email":"",` +
	`"phone":"","company":"","address":"","notes":"","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}},` +
	`"data":{"ticket_id":1,"changes":{"status":{"from":"New","to":"In Progress"},"assigned_to":{"from":null,"to":1}},` +
	`"line_item_id":1,"line_item":{"id":1,"ticket_id":1,"kind":"part","catalog_item_id":null,"description":"","quantity":1,` +
	`"unit_price":0,"taxable":true,"total":0},"payment":{"id":1,"ticket_id":1,"amount":0,"method":"card","reference":"",` +
	`"status":"completed"},"note":{"id":1,"ticket_id":1,"body":"","internal":false,"author":""},` +
	`"ticket":{"id":1,"number":1001,"customer_id":1,"device":{"brand":"Apple","model":"iPhone ","serial":"","imei":""},` +
	`"issue":"","status":"New","assigned_to":null,"priority":"normal","due_at":null,"tax_rate":0,` +
	`"totals":{"subtotal":0,"tax":0,"total":0,"paid":0,"balance":0},"created_at":"2026-01-01T00:00:00Z",` +
	`"updated_at":"2026-01-01T00:00:00Z","closed_at":null}}}`)

var (
	packers = sync.Pool{New: func() any {
		w, err := flate.NewWriterDict(io.Discard, flate.DefaultCompression, eventDictV1)
		if err != nil {
			panic(err) // only for an invalid level
		}
		return w
	}}
	unpackers = sync.Pool{New: func() any { return flate.NewReaderDict(bytes.NewReader(nil), eventDictV1) }}
)

// packEvent is how the log stores an event object.
func packEvent(body []byte) []byte {
	head := headerLen(body)
	if head == 0 {
		return body
	}
	var out bytes.Buffer
	out.WriteByte(packedV1)
	out.Write(binary.AppendUvarint(nil, uint64(head)))
	out.Write(body[:head])
	w := packers.Get().(*flate.Writer)
	defer packers.Put(w)
	w.Reset(&out)
	if _, err := w.Write(body[head:]); err != nil || w.Close() != nil || out.Len() >= len(body) {
		return body // writing to memory does not fail; a larger result is not worth keeping
	}
	return out.Bytes()
}

// headerLen is the length of `{"event":…,"event_id":…,"timestamp":"…",`
// at the start of body, or 0 when body does not start so.
func headerLen(body []byte) int {
	_, rest, ok := headerField(body, `{"event":"`)
	if ok {
		_, rest, ok = headerField(rest, `,"event_id":"`)
	}
	if ok {
		_, rest, ok = headerField(rest, `,"timestamp":"`)
	}
	if !ok || len(rest) == 0 || rest[0] != ',' {
		return 0
	}
	return len(body) - len(rest) + 1
}

// eventHead is the plain start of a stored event, which holds its header.
func eventHead(v []byte) []byte {
	if len(v) == 0 || v[0] != packedV1 {
		return v
	}
	n, k := binary.Uvarint(v[1:])
	if k <= 0 || uint64(len(v)-1-k) < n {
		return nil
	}
	return v[1+k : 1+k+int(n)]
}

var errBadPacking = errors.New("a packed event in the log does not unpack")

// eventJSON is a stored event as the object it was: the bytes webhooks and
// the API send. The result is the caller's (never bbolt's memory).
func eventJSON(v []byte) ([]byte, error) {
	if len(v) == 0 || v[0] != packedV1 {
		return cloneBytes(v), nil
	}
	head := eventHead(v)
	if head == nil {
		return nil, errBadPacking
	}
	_, k := binary.Uvarint(v[1:])
	body := v[1+k+len(head):]
	r := unpackers.Get().(io.ReadCloser)
	defer unpackers.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(body), eventDictV1); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(head) + 4*len(body))
	out.Write(head)
	if _, err := io.Copy(&out, r); err != nil {
		return nil, errBadPacking
	}
	return out.Bytes(), nil
}
