package gcmstream

import "encoding/binary"

// elem is an element of GF(2^128) in GCM's bit order: bit 0 (the coefficient
// of x^0) is the most significant bit of hi, i.e. the first bit of the
// big-endian 16-byte string.
type elem struct{ hi, lo uint64 }

func load(b []byte) elem {
	return elem{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:16])}
}

func (e elem) bytes() (out [16]byte) {
	binary.BigEndian.PutUint64(out[:8], e.hi)
	binary.BigEndian.PutUint64(out[8:], e.lo)
	return out
}

func (e elem) xor(f elem) elem { return elem{e.hi ^ f.hi, e.lo ^ f.lo} }

// mul returns x·y (NIST SP 800-38D, algorithm 1), bit-serial and without
// data-dependent branches or table lookups, so its timing does not depend on
// H or the data.
func mul(x, y elem) elem {
	var zh, zl uint64
	vh, vl := y.hi, y.lo
	for _, w := range [2]uint64{x.hi, x.lo} {
		for i := 63; i >= 0; i-- {
			m := -((w >> uint(i)) & 1)
			zh ^= vh & m
			zl ^= vl & m
			r := -(vl & 1)
			vl = vl>>1 | vh<<63
			vh = vh>>1 ^ (0xe100000000000000 & r)
		}
	}
	return elem{zh, zl}
}
