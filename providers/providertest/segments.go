package providertest

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// testSegments checks the optional SegmentDecoder capability through the
// providers helpers. A provider without it must answer both helpers with
// errs.ErrNoSegments. One with it must return the plaintext of every piece,
// verify pieces that tile the object, and refuse a forged digest
// (ErrIntegrity), pieces that do not tile the object (io/fs.ErrInvalid) and,
// for an encrypting provider, pieces of an object altered at rest.
func testSegments(t *testing.T, s *suite) {
	p := s.h.Provider
	if _, ok := p.(providers.SegmentDecoder); !ok {
		s.put(t, "segments/none", plaintext(100))
		h := s.head(t, "segments/none")
		obj := providers.Object{Bucket: s.h.Bucket, Key: "segments/none"}
		src := NewSource(s.h.S3, s.h.Bucket, obj.Key, h)
		if _, err := providers.DecodeSegment(t.Context(), p, obj, h, src, 0, 16); !errors.Is(err, errs.ErrNoSegments) {
			t.Errorf("DecodeSegment of a provider without SegmentDecoder: %v, want ErrNoSegments", err)
		}
		if err := providers.VerifySegments(t.Context(), p, obj, h, src, nil); !errors.Is(err, errs.ErrNoSegments) {
			t.Errorf("VerifySegments of a provider without SegmentDecoder: %v, want ErrNoSegments", err)
		}
		return
	}
	for _, size := range []int{1, 17, 2*Chunk + 5} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			key := fmt.Sprintf("segments/%d", size)
			want := plaintext(size)
			s.put(t, key, want)
			segs := s.readSegments(t, key, want, pieces(size))
			h := s.head(t, key)
			obj := providers.Object{Bucket: s.h.Bucket, Key: key}
			src := NewSource(s.h.S3, s.h.Bucket, key, h)
			if err := providers.VerifySegments(t.Context(), p, obj, h, src, segs); err != nil {
				t.Fatalf("VerifySegments of pieces tiling the object: %v", err)
			}
			forged := append([]providers.Segment(nil), segs...)
			forged[len(forged)-1].Digest[0] ^= 1
			if err := providers.VerifySegments(t.Context(), p, obj, h, src, forged); !errors.Is(err, errs.ErrIntegrity) {
				t.Errorf("VerifySegments with a forged digest: %v, want ErrIntegrity", err)
			}
			if len(segs) > 1 {
				if err := providers.VerifySegments(t.Context(), p, obj, h, src, segs[1:]); !errors.Is(err, iofs.ErrInvalid) {
					t.Errorf("VerifySegments without the first piece: %v, want io/fs.ErrInvalid", err)
				}
			}
			if err := providers.VerifySegments(t.Context(), p, obj, h, src, segs[:len(segs)-1]); !errors.Is(err, iofs.ErrInvalid) {
				t.Errorf("VerifySegments without the last piece: %v, want io/fs.ErrInvalid", err)
			}
			if !s.h.Encrypting {
				return
			}
			// Alter one stored byte in the middle: the pieces still decode
			// (unauthenticated), but they no longer verify.
			o := s.original(t, key+"-tampered", size)
			body := append([]byte(nil), o.body...)
			body[len(body)/2] ^= 0x01
			s.store(t, o.key, body, o.md, o.ins, o.sse)
			bad := s.readSegments(t, o.key, nil, pieces(size))
			bh := s.head(t, o.key)
			bobj := providers.Object{Bucket: s.h.Bucket, Key: o.key}
			if err := providers.VerifySegments(t.Context(), p, bobj, bh, NewSource(s.h.S3, s.h.Bucket, o.key, bh), bad); !errors.Is(err, errs.ErrIntegrity) {
				t.Errorf("VerifySegments of an object altered at rest: %v, want ErrIntegrity", err)
			}
		})
	}
}

// pieces cuts [0, size) into 16-aligned pieces of varying lengths; only the
// last may end off a 16-byte boundary.
func pieces(size int) [][2]int64 {
	var out [][2]int64
	lens := []int64{16, Chunk, 48}
	off := int64(0)
	for i := 0; off < int64(size); i++ {
		n := min(lens[i%len(lens)], int64(size)-off)
		out = append(out, [2]int64{off, n})
		off += n
	}
	return out
}

// readSegments decodes each piece of key through providers.DecodeSegment,
// compares it with want (unless want is nil) and returns the segments.
func (s *suite) readSegments(t *testing.T, key string, want []byte, ps [][2]int64) []providers.Segment {
	t.Helper()
	h := s.head(t, key)
	obj := providers.Object{Bucket: s.h.Bucket, Key: key}
	src := NewSource(s.h.S3, s.h.Bucket, key, h)
	var segs []providers.Segment
	for _, pc := range ps {
		sr, err := providers.DecodeSegment(t.Context(), s.h.Provider, obj, h, src, pc[0], pc[1])
		if err != nil {
			t.Fatalf("DecodeSegment [%d,+%d): %v", pc[0], pc[1], err)
		}
		got, err := io.ReadAll(sr)
		sr.Close()
		if err != nil {
			t.Fatalf("DecodeSegment [%d,+%d): read: %v", pc[0], pc[1], err)
		}
		if want != nil {
			if err := compare(got, want[pc[0]:pc[0]+pc[1]]); err != nil {
				t.Fatalf("DecodeSegment [%d,+%d): %v", pc[0], pc[1], err)
			}
		}
		seg, ok := sr.Segment()
		if !ok || seg.Off != pc[0] || seg.Len != pc[1] {
			t.Fatalf("DecodeSegment [%d,+%d): segment %+v, %v after a complete read", pc[0], pc[1], seg, ok)
		}
		segs = append(segs, seg)
	}
	return segs
}
