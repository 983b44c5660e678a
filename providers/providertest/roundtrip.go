package providertest

import (
	"bytes"
	"fmt"
	"maps"
	"testing"

	"github.com/emrfsd/emrfsd/providers"
)

// roundTripSizes straddle the AES block, the GCM chunk and the multipart
// part boundaries.
func roundTripSizes() []int {
	return []int{0, 1, 15, 16, 17, Chunk - 1, Chunk, Chunk + 1, 1 << 20, 5<<20 + 3}
}

// testRoundTrip stores each size and reads it back whole.
func testRoundTrip(t *testing.T, s *suite) {
	for _, size := range roundTripSizes() {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			key := fmt.Sprintf("roundtrip/%d", size)
			want := plaintext(size)
			st := s.put(t, key, want)
			if wantMP := st.StoredSize > PartSize; st.Multipart != wantMP {
				t.Fatalf("stored %d bytes, multipart=%v; the uploader should have chosen %v", st.StoredSize, st.Multipart, wantMP)
			}
			got, err := s.get(t.Context(), key, 0, -1)
			if err != nil {
				t.Fatalf("Decode(0, -1): %v", err)
			}
			if err := compare(got, want); err != nil {
				t.Fatalf("Decode(0, -1): %v", err)
			}
			got, err = s.get(t.Context(), key, 0, int64(size))
			if err != nil {
				t.Fatalf("Decode(0, %d): %v", size, err)
			}
			if err := compare(got, want); err != nil {
				t.Fatalf("Decode(0, %d): %v", size, err)
			}
		})
	}
	t.Run("streams", func(t *testing.T) {
		// Encode must hand stored bytes to dst as plaintext arrives, not
		// at Close: after 3 MiB of plaintext at least 2 MiB must be out.
		const written, slack = 3 << 20, 1 << 20
		var dst countingWriter
		_, enc, err := s.h.Provider.Encode(t.Context(), providers.Object{Bucket: s.h.Bucket, Key: "roundtrip/streams"}, &dst)
		if err != nil {
			t.Fatal(err)
		}
		p := plaintext(writeSize)
		for n := 0; n < written; n += len(p) {
			if _, err := enc.Write(p); err != nil {
				t.Fatal(err)
			}
		}
		if dst.n < written-slack {
			t.Errorf("after %d plaintext bytes only %d stored bytes reached dst: Encode buffers", written, dst.n)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// testSizes checks PlainSize (from a HEAD) and providers.ListedSize (from a
// real listing; the stored size for providers that are no ListedSizer)
// against the plaintext length.
func testSizes(t *testing.T, s *suite) {
	for _, size := range []int{0, 1, 15, 16, 17, Chunk + 1, 5<<20 + 3} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			key := fmt.Sprintf("sizes/%d", size)
			s.put(t, key, plaintext(size))
			h := s.head(t, key)
			obj := providers.Object{Bucket: s.h.Bucket, Key: key}
			ps, err := s.h.Provider.PlainSize(t.Context(), obj, h, NewSource(s.h.S3, s.h.Bucket, key, h))
			if err != nil {
				t.Fatalf("PlainSize: %v", err)
			}
			if ps != int64(size) {
				t.Errorf("PlainSize = %d, want %d", ps, size)
			}
			listed, err := listedSize(t.Context(), s.h.S3, s.h.Bucket, key)
			if err != nil {
				t.Fatal(err)
			}
			if listed != h.Size {
				t.Errorf("listing reports %d stored bytes, HEAD %d", listed, h.Size)
			}
			if got := providers.ListedSize(s.h.Provider, listed); got != int64(size) {
				t.Errorf("ListedSize(%d) = %d, want %d", listed, got, size)
			}
			if s.h.Encrypting == (h.Size == int64(size)) && size > 0 {
				t.Errorf("stored %d bytes for %d plaintext bytes with Encrypting=%v", h.Size, size, s.h.Encrypting)
			}
		})
	}
}

// testAtRest checks what S3 holds: pass-through providers store the
// plaintext itself; encrypting ones store bytes that neither contain the
// plaintext nor repeat between two encryptions of it.
func testAtRest(t *testing.T, s *suite) {
	for _, size := range []int{0, 17, 4096, Chunk + 1} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			want := plaintext(size)
			k1, k2 := fmt.Sprintf("atrest/%d-a", size), fmt.Sprintf("atrest/%d-b", size)
			s.put(t, k1, want)
			s.put(t, k2, want)
			r1, err := raw(t.Context(), s.h.S3, s.h.Bucket, k1)
			if err != nil {
				t.Fatal(err)
			}
			r2, err := raw(t.Context(), s.h.S3, s.h.Bucket, k2)
			if err != nil {
				t.Fatal(err)
			}
			if !s.h.Encrypting {
				if err := compare(r1, want); err != nil {
					t.Fatalf("pass-through provider stored other bytes: %v", err)
				}
				return
			}
			m1, m2 := s.head(t, k1).Metadata, s.head(t, k2).Metadata
			if size > 0 && bytes.Equal(r1, r2) {
				t.Errorf("two encryptions of the same %d-byte plaintext stored identical bytes", size)
			}
			if bytes.Equal(r1, r2) && maps.Equal(m1, m2) {
				t.Errorf("two encryptions of the same %d-byte plaintext stored identical bytes and metadata", size)
			}
			for i, r := range [][]byte{r1, r2} {
				key := []string{k1, k2}[i]
				if off := leakedWindow(r, want); off >= 0 {
					t.Errorf("%s: stored bytes contain plaintext[%d:%d]", key, off, off+16)
				}
				for k, v := range s.head(t, key).Metadata {
					if off := leakedWindow([]byte(k+"="+v), want); off >= 0 {
						t.Errorf("%s: metadata %s contains plaintext[%d:%d]", key, k, off, off+16)
					}
				}
			}
		})
	}
}

// leakedWindow returns the offset of the first 16-byte window of plain
// (taken every 8 bytes) that occurs in hay, or -1.
func leakedWindow(hay, plain []byte) int {
	const w = 16
	for off := 0; off+w <= len(plain); off += w / 2 {
		if bytes.Contains(hay, plain[off:off+w]) {
			return off
		}
	}
	return -1
}
