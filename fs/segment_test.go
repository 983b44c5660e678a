package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// segProvider is testProvider plus a SegmentDecoder whose digest is a
// function of the bytes read, and whose verification accepts segments whose
// digests match the stored bytes.
type segProvider struct {
	*testProvider
	verified [][]providers.Segment
}

type segRC struct {
	io.ReadCloser
	off, n, got int64
	sum         byte
}

func (s *segRC) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p)
	for _, b := range p[:n] {
		s.sum ^= b
	}
	s.got += int64(n)
	return n, err
}

func (s *segRC) Segment() (providers.Segment, bool) {
	if s.got != s.n {
		return providers.Segment{}, false
	}
	return providers.Segment{Off: s.off, Len: s.n, Digest: [16]byte{s.sum}}, true
}

func (p *segProvider) DecodeSegment(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, off, n int64) (providers.SegmentReader, error) {
	rc, err := p.Decode(ctx, obj, h, src, off, n)
	if err != nil {
		return nil, err
	}
	return &segRC{ReadCloser: rc, off: off, n: n}, nil
}

func (p *segProvider) VerifySegments(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, segs []providers.Segment) error {
	p.verified = append(p.verified, segs)
	if len(segs) == 0 || segs[0].Digest == ([16]byte{}) {
		return fmt.Errorf("bad digest: %w", errs.ErrIntegrity)
	}
	return nil
}

func TestRangeSegment(t *testing.T) {
	ctx := ctxT(t)
	// A provider without SegmentDecoder: ErrNoSegments, as a *PathError.
	r := newRig(t, nil, nil)
	r.write("/t/f", []byte("0123456789abcdef0123456789"), CreateOptions{})
	f, err := r.fs.Open(ctx, "/t/f")
	if err != nil {
		t.Fatal(err)
	}
	var pe *iofs.PathError
	if _, err := f.RangeSegment(ctx, 0, 16); !errors.Is(err, errs.ErrNoSegments) || !errors.As(err, &pe) || pe.Path != "/t/f" {
		t.Fatalf("RangeSegment without a SegmentDecoder: %v", err)
	}
	if err := f.VerifySegments(ctx, nil); !errors.Is(err, errs.ErrNoSegments) {
		t.Fatalf("VerifySegments without a SegmentDecoder: %v", err)
	}

	// With one: bytes and digest come through, range errors are caught.
	sp := &segProvider{testProvider: &testProvider{trailer: 16}}
	r2 := newRig(t, nil, func(o *Options) {
		o.Provider = func(context.Context, string) (providers.Provider, error) { return sp, nil }
	})
	r2.write("/t/g", []byte("0123456789abcdef0123456789"), CreateOptions{})
	g, err := r2.fs.Open(ctx, "/t/g")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]int64{{-16, 1}, {0, 0}, {16, 11}, {26, 1}} {
		if _, err := g.RangeSegment(ctx, c[0], c[1]); !errors.Is(err, iofs.ErrInvalid) {
			t.Errorf("RangeSegment [%d,+%d): %v, want ErrInvalid", c[0], c[1], err)
		}
	}
	sr, err := g.RangeSegment(ctx, 16, 10)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(sr)
	sr.Close()
	if err != nil || string(b) != "0123456789" {
		t.Fatalf("segment read %q %v", b, err)
	}
	seg, ok := sr.Segment()
	if !ok || seg.Off != 16 || seg.Len != 10 || seg.Digest[0] == 0 {
		t.Fatalf("segment %+v %v", seg, ok)
	}
	if err := g.VerifySegments(ctx, []providers.Segment{seg}); err != nil {
		t.Fatalf("VerifySegments: %v", err)
	}
	err = g.VerifySegments(ctx, []providers.Segment{{Off: 0, Len: 26}})
	if !errors.Is(err, errs.ErrIntegrity) || !errors.As(err, &pe) || pe.Path != "/t/g" {
		t.Fatalf("failing VerifySegments: %v, want ErrIntegrity in a *PathError", err)
	}
	if len(sp.verified) != 2 {
		t.Fatalf("provider saw %d verifications", len(sp.verified))
	}
}
