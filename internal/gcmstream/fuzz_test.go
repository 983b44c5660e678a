package gcmstream

import (
	"bytes"
	"io"
	"testing"
)

// FuzzRoundTrip: the Encrypter matches Seal for any data and write size, the
// Decrypter returns the data for any read size, a flipped bit is always
// ErrAuth, and any range decrypts to the matching slice.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(""), uint16(1), uint16(1), uint32(0), uint32(0))
	f.Add([]byte("a"), uint16(1), uint16(1), uint32(1), uint32(3))
	f.Add(bytes.Repeat([]byte("0123456789abcdef"), 3), uint16(16), uint16(5), uint32(9), uint32(40))
	f.Add(bytes.Repeat([]byte{0xa5}, 70000), uint16(4096), uint16(65535), uint32(560100), uint32(65530))
	f.Add(bytes.Repeat([]byte{7}, 1000), uint16(7), uint16(999), uint32(8000), uint32(17))
	f.Fuzz(func(t *testing.T, data []byte, ws, rs uint16, flip, rng uint32) {
		key, iv := testKey(uint64(len(data))), testIV(uint64(ws))
		want := seal(t, key, iv, data)
		got := encryptStream(t, key, iv, data, max(1, int(ws)))
		if !bytes.Equal(got, want) {
			t.Fatal("Encrypter differs from Seal")
		}
		pt, err := decryptAll(t, key, iv, got, int64(len(got)), max(1, int(rs)))
		if err != nil || !bytes.Equal(pt, data) {
			t.Fatalf("round trip: err=%v", err)
		}
		if flip != 0 {
			bit := int(flip-1) % (len(got) * 8)
			bad := bytes.Clone(got)
			bad[bit/8] ^= 1 << (bit % 8)
			if _, err := decryptAll(t, key, iv, bad, int64(len(bad)), max(1, int(rs))); !isAuth(err) {
				t.Fatalf("bit %d flipped: err=%v", bit, err)
			}
		}
		if len(data) > 0 {
			off := int(rng) % len(data)
			n := int(rng>>8) % (len(data) - off + 1)
			so, sn := AlignedRange(int64(off), int64(n), int64(len(data)))
			r, err := NewRangeDecrypter(key, iv, bytes.NewReader(got[so:so+sn]), int64(off), int64(n))
			if err != nil {
				t.Fatal(err)
			}
			part, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(part, data[off:off+n]) {
				t.Fatalf("range %d+%d: err=%v", off, n, err)
			}
		}
	})
}
