package store

import (
	"bytes"
	"encoding/binary"
	"maps"
	"math/bits"
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

// container is one chunk's ids, decoded for a change: a sorted list of
// offsets, or a bitmap once the list would be larger. Changing one id costs
// a binary search or one bit, never a walk of the whole chunk.
type container struct {
	list []uint16 // ascending; used while bits is nil
	bits []byte   // bitmapBytes long, or nil
	n    int      // ids held
}

// decodeContainer copies a stored container (bbolt's bytes are not ours to keep).
func decodeContainer(v []byte) *container {
	c := &container{}
	switch {
	case len(v) == 0:
	case v[0] == containerList:
		c.list = make([]uint16, 0, (len(v)-1)/2+1)
		for i := 1; i+1 < len(v); i += 2 {
			c.list = append(c.list, binary.BigEndian.Uint16(v[i:]))
		}
		c.n = len(c.list)
	case v[0] == containerBits:
		c.bits = bytes.Clone(v[1 : 1+bitmapBytes])
		for _, b := range c.bits {
			c.n += bits.OnesCount8(b)
		}
	}
	return c
}

func (c *container) add(off uint16) {
	if c.bits != nil {
		if c.bits[off/8]&(1<<(off%8)) == 0 {
			c.bits[off/8] |= 1 << (off % 8)
			c.n++
		}
		return
	}
	i, found := slices.BinarySearch(c.list, off)
	if found {
		return
	}
	c.list = slices.Insert(c.list, i, off)
	c.n++
	if c.n > maxListLen { // a bitmap is now the smaller form
		c.bits = make([]byte, bitmapBytes)
		for _, o := range c.list {
			c.bits[o/8] |= 1 << (o % 8)
		}
		c.list = nil
	}
}

func (c *container) remove(off uint16) {
	if c.bits != nil {
		if c.bits[off/8]&(1<<(off%8)) != 0 {
			c.bits[off/8] &^= 1 << (off % 8)
			c.n--
		}
		return
	}
	if i, found := slices.BinarySearch(c.list, off); found {
		c.list = slices.Delete(c.list, i, i+1)
		c.n--
	}
}

// encode picks the smaller form; nil for an empty container.
func (c *container) encode() []byte {
	switch {
	case c.n == 0:
		return nil
	case c.bits == nil || c.n <= maxListLen:
		out := make([]byte, 1, 1+2*c.n)
		out[0] = containerList
		if c.bits == nil {
			for _, off := range c.list {
				out = binary.BigEndian.AppendUint16(out, off)
			}
			return out
		}
		eachPosting(0, append([]byte{containerBits}, c.bits...), func(id uint64) {
			out = binary.BigEndian.AppendUint16(out, uint16(id))
		})
		return out
	}
	return append([]byte{containerBits}, c.bits...)
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
		c := decodeContainer(b.Get(key))
		for _, off := range byChunk[chunk] {
			if remove {
				c.remove(off)
			} else {
				c.add(off)
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
