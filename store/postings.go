package store

import (
	"encoding/binary"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// A search bucket maps each token to the records that have it, in chunks of
// 4096 ids: key  token 0x00 be32(id/4096), value a container of the ids in
// that chunk. A container is a sorted array of 16-bit offsets while it holds
// few ids, and a 512-byte bitmap once the array would be larger: a rare
// token (a serial number) costs one small entry, a common one ("iphone")
// 512 bytes per 4096 records instead of an entry per record.

const (
	chunkBits     = 12
	chunkSize     = 1 << chunkBits // ids per container
	bitmapBytes   = chunkSize / 8
	containerList = 1 // followed by be16 offsets, ascending
	containerBits = 2 // followed by bitmapBytes of bitmap
	maxListLen    = bitmapBytes / 2
)

func postingKey(token string, chunk uint32) []byte {
	k := make([]byte, 0, len(token)+5)
	k = append(k, token...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, chunk)
}

// chunkOf reads the chunk number at the end of a posting key.
func chunkOf(k []byte) uint32 { return binary.BigEndian.Uint32(k[len(k)-4:]) }

// container is one chunk's ids as offsets, decoded for a change.
type container map[uint16]bool

func decodeContainer(v []byte) container {
	c := container{}
	switch {
	case len(v) == 0:
	case v[0] == containerList:
		for i := 1; i+1 < len(v); i += 2 {
			c[binary.BigEndian.Uint16(v[i:])] = true
		}
	case v[0] == containerBits:
		for i, b := range v[1:] {
			for bit := 0; b != 0; bit++ {
				if b&1 != 0 {
					c[uint16(i*8+bit)] = true
				}
				b >>= 1
			}
		}
	}
	return c
}

// encode picks the smaller form; nil for an empty container.
func (c container) encode() []byte {
	if len(c) == 0 {
		return nil
	}
	if len(c) <= maxListLen {
		out := make([]byte, 1, 1+2*len(c))
		out[0] = containerList
		for _, off := range slices.Sorted(maps.Keys(c)) {
			out = binary.BigEndian.AppendUint16(out, off)
		}
		return out
	}
	out := make([]byte, 1+bitmapBytes)
	out[0] = containerBits
	for off := range c {
		out[1+off/8] |= 1 << (off % 8)
	}
	return out
}

// eachPosting calls fn with every id in a container.
func eachPosting(chunk uint32, v []byte, fn func(id uint64)) {
	base := uint64(chunk) << chunkBits
	switch {
	case len(v) == 0:
	case v[0] == containerList:
		for i := 1; i+1 < len(v); i += 2 {
			fn(base + uint64(binary.BigEndian.Uint16(v[i:])))
		}
	case v[0] == containerBits:
		for i, b := range v[1:] {
			for bit := 0; b != 0; bit++ {
				if b&1 != 0 {
					fn(base + uint64(i*8+bit))
				}
				b >>= 1
			}
		}
	}
}

// changePostings adds ids to (or, with remove, takes them from) one token's
// containers, one read and one write per chunk touched.
func changePostings(b *bolt.Bucket, token string, ids []uint64, remove bool) error {
	byChunk := map[uint32][]uint16{}
	for _, id := range ids {
		byChunk[uint32(id>>chunkBits)] = append(byChunk[uint32(id>>chunkBits)], uint16(id&(chunkSize-1)))
	}
	for _, chunk := range slices.Sorted(maps.Keys(byChunk)) {
		key := postingKey(token, chunk)
		c := decodeContainer(b.Get(key)) // decoded at once: bbolt's bytes are not ours to keep
		for _, off := range byChunk[chunk] {
			if remove {
				delete(c, off)
			} else {
				c[off] = true
			}
		}
		var err error
		if v := c.encode(); v == nil {
			err = b.Delete(key)
		} else {
			err = b.Put(key, v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
