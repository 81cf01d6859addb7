package store

import (
	"bytes"
	"compress/flate"
	"io"
)

// Ticket records are kept packed: deflated against the same frozen
// dictionary as events (a ticket is most of a ticket event), a third of
// their size. Readers get the exact JSON back (recordJSON), which is also
// the API's answer.
//
//	packed: 0x02 | deflate(record, eventDictV1)
//	plain:  the record itself (it starts with '{'): other tables' records,
//	        and tickets written before packing or not made smaller by it.

const packedRecordV1 = 0x02

// packRecord is how a ticket record is stored.
func packRecord(body []byte) []byte {
	var out bytes.Buffer
	out.WriteByte(packedRecordV1)
	w := packers.Get().(*flate.Writer)
	defer packers.Put(w)
	w.Reset(&out)
	if _, err := w.Write(body); err != nil || w.Close() != nil || out.Len() >= len(body) {
		return body
	}
	return out.Bytes()
}

// recordJSON is a stored record as its JSON, packed or plain. The result is
// the caller's (never bbolt's memory).
func recordJSON(v []byte) ([]byte, error) {
	if len(v) == 0 || v[0] != packedRecordV1 {
		return cloneBytes(v), nil
	}
	r := unpackers.Get().(io.ReadCloser)
	defer unpackers.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(v[1:]), eventDictV1); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(4 * len(v))
	if _, err := io.Copy(&out, r); err != nil {
		return nil, errBadPacking
	}
	return out.Bytes(), nil
}

// recordView is a stored record's JSON for decoding in place: the stored
// bytes themselves when plain (valid only in their transaction), else the
// unpacked copy.
func recordView(v []byte) ([]byte, error) {
	if len(v) == 0 || v[0] != packedRecordV1 {
		return v, nil
	}
	return recordJSON(v)
}
