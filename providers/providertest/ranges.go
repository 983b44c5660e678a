package providertest

import (
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/emrfsd/emrfsd/providers"
)

// rangeCase is one Decode(off, n) to check against the plaintext slice.
type rangeCase struct{ off, n int64 }

// rangeCases returns every (off, n) worth probing for a plaintext of size
// bytes: offsets and lengths around 0, the AES block, GCM chunks, the
// multipart part boundary and the end (the last 16 bytes hold a CSE tag),
// n < 0 (to the end) and n == 0. Only in-contract ranges are produced.
func rangeCases(size int64) []rangeCase {
	offs := []int64{0, 1, 15, 16, 17, Chunk - 1, Chunk, Chunk + 1, 2 * Chunk, PartSize - 1, PartSize, PartSize + 1,
		size - 17, size - 16, size - 15, size - 1, size}
	lens := []int64{-1, 0, 1, 15, 16, 17, Chunk - 1, Chunk, Chunk + 1}
	var out []rangeCase
	for _, off := range offs {
		if off < 0 || off > size {
			continue
		}
		ns := append(slices.Clone(lens), size-off)
		for _, n := range ns {
			if n >= 0 && off+n > size {
				continue
			}
			c := rangeCase{off, n}
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// testRanges reads every boundary range and compares it with the plaintext.
func testRanges(t *testing.T, s *suite) {
	for _, size := range []int{0, 17, 3*Chunk + 21, PartSize + 3} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			key := fmt.Sprintf("ranges/%d", size)
			want := plaintext(size)
			s.put(t, key, want)
			h := s.head(t, key)
			obj := providers.Object{Bucket: s.h.Bucket, Key: key}
			src := NewSource(s.h.S3, s.h.Bucket, key, h)
			failures := 0
			for _, c := range rangeCases(int64(size)) {
				end := int64(size)
				if c.n >= 0 {
					end = c.off + c.n
				}
				got, err := decodeAll(t, s.h.Provider, obj, h, src, c.off, c.n)
				if err == nil {
					err = compare(got, want[c.off:end])
				}
				if err != nil {
					t.Errorf("Decode(off=%d, n=%d) of %d bytes: %v", c.off, c.n, size, err)
					if failures++; failures == 20 {
						t.Fatal("too many failing ranges")
					}
				}
			}
		})
	}
}

// decodeAll runs Decode and reads the result to the end.
func decodeAll(t *testing.T, p providers.Provider, obj providers.Object, h providers.Head, src providers.Source, off, n int64) ([]byte, error) {
	rc, err := p.Decode(t.Context(), obj, h, src, off, n)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return b, err
}
