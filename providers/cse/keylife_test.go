package cse

import (
	"bytes"
	"context"
	"io"
	"testing"
)

// orderSource records how many Decrypt calls the fake KMS had answered
// when each range was requested.
type orderSource struct {
	*memSource
	fk       *fakeKMS
	decsSeen []int
}

func (s *orderSource) Range(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	_, decs := s.fk.calls()
	s.decsSeen = append(s.decsSeen, decs)
	return s.memSource.Range(ctx, off, n)
}

// Regression (fault tier, key hygiene): the data key was unwrapped before
// the object's bytes were requested and zeroed only when Decode returned,
// so the plaintext key lived across an S3 round trip, and core dumps
// under load caught it there. The range is now requested first.
func TestDecodeRequestsBytesBeforeUnwrapping(t *testing.T) {
	fk := newFakeKMS(t)
	p := newKMSProvider(t, fk, "", "")
	plain := randBytes(t, 100000)
	s := encode(t, p, plain)
	for _, r := range [][2]int64{{0, -1}, {1000, 5000}} {
		src := &orderSource{memSource: s.src, fk: fk}
		_, before := fk.calls()
		rc, err := p.Decode(context.Background(), testObj, s.head, src, r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		want := plain[r[0]:]
		if r[1] >= 0 {
			want = want[:r[1]]
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("range %v: %v", r, err)
		}
		if len(src.decsSeen) == 0 || src.decsSeen[0] != before {
			t.Fatalf("range %v: the object was requested after the key was unwrapped (%d Decrypt calls before, %v at the request)", r, before, src.decsSeen)
		}
	}
}
