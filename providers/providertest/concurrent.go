package providertest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/emrfsd/emrfsd/providers"
)

// testConcurrent encodes and decodes through one provider from many
// goroutines at once (run it with -race).
func testConcurrent(t *testing.T, s *suite) {
	const writers, readers = 6, 6
	shared := plaintext(3*Chunk + 5)
	s.put(t, "concurrent/shared", shared)
	h := s.head(t, "concurrent/shared")
	obj := providers.Object{Bucket: s.h.Bucket, Key: "concurrent/shared"}
	src := NewSource(s.h.S3, s.h.Bucket, obj.Key, h)
	cases := rangeCases(int64(len(shared)))

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			key := fmt.Sprintf("concurrent/w%d", w)
			want := plaintext(w*writeSize + w)
			if _, err := Put(t.Context(), s.h.S3, s.h.Provider, s.h.Bucket, key, bytesReader(want)); err != nil {
				t.Errorf("writer %d: %v", w, err)
				return
			}
			got, err := s.get(t.Context(), key, 0, -1)
			if err == nil {
				err = compare(got, want)
			}
			if err != nil {
				t.Errorf("writer %d: read back: %v", w, err)
			}
		})
	}
	for r := range readers {
		wg.Go(func() {
			for _, i := range shuffled(len(cases), uint64(r)) {
				c := cases[i]
				end := int64(len(shared))
				if c.n >= 0 {
					end = c.off + c.n
				}
				got, err := decodeAll(t, s.h.Provider, obj, h, src, c.off, c.n)
				if err == nil {
					err = compare(got, shared[c.off:end])
				}
				if err != nil {
					t.Errorf("reader %d: Decode(%d, %d): %v", r, c.off, c.n, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
