package store

import (
	"bytes"
	"errors"
	"time"
)

// EventHeader is the head of an event object as the log writes it:
// {"event":"…","event_id":"…","timestamp":"…",… — always first, in that
// order (putEvent marshals Event, whose field order is the wire order). Hot
// paths (fan-out, the live feed, list filters, the sender) read it without
// decoding the record that follows.
type EventHeader struct {
	Name, ID string
	Time     time.Time
}

var errNoHeader = errors.New("event without the log's header")

// ParseEventHeader reads the header of an event object, as the log stores
// it (packed or plain, see eventcodec.go) or as sent.
func ParseEventHeader(v []byte) (EventHeader, error) {
	name, rest, ok := headerField(eventHead(v), `{"event":"`)
	if !ok {
		return EventHeader{}, errNoHeader
	}
	id, rest, ok := headerField(rest, `,"event_id":"`)
	if !ok {
		return EventHeader{}, errNoHeader
	}
	ts, _, ok := headerField(rest, `,"timestamp":"`)
	if !ok {
		return EventHeader{}, errNoHeader
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return EventHeader{}, err
	}
	return EventHeader{Name: name, ID: id, Time: t}, nil
}

// headerField reads the string value after key at the start of v.
func headerField(v []byte, key string) (string, []byte, bool) {
	if !bytes.HasPrefix(v, []byte(key)) {
		return "", nil, false
	}
	v = v[len(key):]
	i := bytes.IndexByte(v, '"')
	if i < 0 {
		return "", nil, false
	}
	return string(v[:i]), v[i+1:], true
}

// eventName is the event's name, or "" when v has no header.
func eventName(v []byte) string {
	name, _, _ := headerField(eventHead(v), `{"event":"`)
	return name
}

// eventIDOf is the event's id, or "" when v has no header (fan-out reads it
// for every event, so the time is left unparsed).
func eventIDOf(v []byte) string {
	_, rest, ok := headerField(eventHead(v), `{"event":"`)
	if !ok {
		return ""
	}
	id, _, _ := headerField(rest, `,"event_id":"`)
	return id
}
