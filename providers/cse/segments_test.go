package cse

import (
	"bytes"
	"context"
	"errors"
	"io"
	iofs "io/fs"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/cache"
	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// readSegments reads s in pieces of blockSize through DecodeSegment and
// returns the plaintext and the segments.
func readSegments(t *testing.T, p *Provider, s stored, blockSize int64) ([]byte, []providers.Segment) {
	t.Helper()
	plainLen := s.head.Size - gcmTagSize
	var out []byte
	var segs []providers.Segment
	for off := int64(0); off < plainLen; off += blockSize {
		n := min(blockSize, plainLen-off)
		sr, err := p.DecodeSegment(context.Background(), testObj, s.head, s.src, off, n)
		if err != nil {
			t.Fatalf("DecodeSegment [%d,+%d): %v", off, n, err)
		}
		if _, ok := sr.Segment(); ok {
			t.Fatalf("segment [%d,+%d) available before any byte was read", off, n)
		}
		b, err := io.ReadAll(sr)
		sr.Close()
		if err != nil {
			t.Fatalf("read segment [%d,+%d): %v", off, n, err)
		}
		seg, ok := sr.Segment()
		if !ok || seg.Off != off || seg.Len != n {
			t.Fatalf("segment [%d,+%d): %+v %v", off, n, seg, ok)
		}
		out = append(out, b...)
		segs = append(segs, seg)
	}
	return out, segs
}

func TestVerifySegments(t *testing.T) {
	c, err := cache.New(cache.Options{MaxEntries: 10, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Purge()
	f := newFakeKMS(t)
	p, err := NewKMS(KMSOptions{KMS: f, KeyID: "alias/test", KeyARN: fakeARN, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const bs = 100 << 10 // 3 blocks: 100 KiB, 100 KiB, 50 KiB + 7
	plain := randBytes(t, 2*bs+50<<10+7)
	s := encode(t, p, plain)

	got, segs := readSegments(t, p, s, bs)
	if !bytes.Equal(got, plain) {
		t.Fatal("segment reads differ from the plaintext")
	}
	if len(segs) != 3 {
		t.Fatalf("%d segments", len(segs))
	}
	if err := p.VerifySegments(ctx, testObj, s.head, s.src, segs); err != nil {
		t.Fatalf("good segments: %v", err)
	}
	// Verification fetches only the tag.
	if r := s.src.ranges[len(s.src.ranges)-1]; r != [2]int64{int64(len(plain)), 16} {
		t.Fatalf("VerifySegments read stored range %v, want the tag [%d,+16)", r, len(plain))
	}
	// The data key was unwrapped once: every later use hit the cache.
	if _, d := f.calls(); d != 1 {
		t.Fatalf("%d KMS Decrypt calls for 3 segments and a verification, want 1", d)
	}
	// One segment for the whole object works too (a one-block file).
	if _, one := readSegments(t, p, s, 1<<30); p.VerifySegments(ctx, testObj, s.head, s.src, one) != nil {
		t.Fatal("single segment did not verify")
	}

	// Tampered ciphertext in block 1 of 3: the segments read from it
	// compose to a wrong tag.
	bad := s
	bad.src = &memSource{data: flip(s.src.data, bs+1234)}
	_, badSegs := readSegments(t, p, bad, bs)
	if err := p.VerifySegments(ctx, testObj, bad.head, bad.src, badSegs); !errors.Is(err, errs.ErrIntegrity) {
		t.Fatalf("tampered block 1: %v, want ErrIntegrity", err)
	}
	// Good segments, tampered tag.
	badTag := s
	badTag.src = &memSource{data: flip(s.src.data, len(s.src.data)-3)}
	if err := p.VerifySegments(ctx, testObj, badTag.head, badTag.src, segs); !errors.Is(err, errs.ErrIntegrity) {
		t.Fatalf("tampered tag: %v, want ErrIntegrity", err)
	}
	// A segment from another block swapped in with the right offsets.
	forged := []providers.Segment{segs[0], {Off: bs, Len: bs, Digest: segs[0].Digest}, segs[2]}
	if err := p.VerifySegments(ctx, testObj, s.head, s.src, forged); !errors.Is(err, errs.ErrIntegrity) {
		t.Fatalf("forged digest: %v, want ErrIntegrity", err)
	}
	// Truncated object (tag missing).
	short := s
	short.src = &memSource{data: s.src.data[:len(plain)+5]}
	if err := p.VerifySegments(ctx, testObj, short.head, short.src, segs); !errors.Is(err, errs.ErrIntegrity) {
		t.Fatalf("missing tag: %v, want ErrIntegrity", err)
	}

	// Segments that do not tile the object are refused before any I/O
	// or key use.
	n := s.src.rangeCalls()
	for name, ss := range map[string][]providers.Segment{
		"missing middle": {segs[0], segs[2]},
		"missing last":   {segs[0], segs[1]},
		"missing first":  {segs[1], segs[2]},
		"wrong order":    {segs[1], segs[0], segs[2]},
		"duplicate":      {segs[0], segs[0], segs[1], segs[2]},
		"none":           nil,
		"overlap":        {segs[0], {Off: bs, Len: 2 * bs, Digest: segs[1].Digest}, segs[2]},
		"past the end":   {segs[0], segs[1], {Off: 2 * bs, Len: segs[2].Len + 16, Digest: segs[2].Digest}},
		"unaligned":      {{Off: 0, Len: 100, Digest: segs[0].Digest}, {Off: 100, Len: int64(len(plain)) - 100}},
	} {
		if err := p.VerifySegments(ctx, testObj, s.head, s.src, ss); !errors.Is(err, iofs.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if got := s.src.rangeCalls(); got != n {
		t.Errorf("malformed segment lists read the object %d times", got-n)
	}
	if _, d := f.calls(); d != 1 {
		t.Fatalf("%d KMS Decrypt calls, want still 1", d)
	}
}

func TestDecodeSegmentArgs(t *testing.T) {
	f := newFakeKMS(t)
	p := newKMSProvider(t, f, "", "")
	ctx := context.Background()
	s := encode(t, p, randBytes(t, 1000))
	for _, c := range [][2]int64{{-16, 10}, {1, 10}, {0, 0}, {0, -1}, {992, 9}, {1008, 1}} {
		if _, err := p.DecodeSegment(ctx, testObj, s.head, s.src, c[0], c[1]); !errors.Is(err, iofs.ErrInvalid) {
			t.Errorf("DecodeSegment [%d,+%d): %v, want ErrInvalid", c[0], c[1], err)
		}
	}
	// A stored object shorter than its segment: an error, no digest.
	short := s
	short.src = &memSource{data: s.src.data[:500]}
	sr, err := p.DecodeSegment(ctx, testObj, short.head, short.src, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(sr); !errors.Is(err, errs.ErrIntegrity) {
		t.Fatalf("short object: %v, want ErrIntegrity", err)
	}
	if _, ok := sr.Segment(); ok {
		t.Fatal("a failed segment read reports a digest")
	}
	// Empty object: nothing to segment, and the empty segment list
	// verifies against its tag.
	e := encode(t, p, nil)
	if err := p.VerifySegments(ctx, testObj, e.head, e.src, nil); err != nil {
		t.Fatalf("empty object: %v", err)
	}
	e.src = &memSource{data: flip(e.src.data, 3)}
	if err := p.VerifySegments(ctx, testObj, e.head, e.src, nil); !errors.Is(err, errs.ErrIntegrity) {
		t.Fatalf("empty object, tampered tag: %v", err)
	}
}

// CBC objects have no MAC: with legacy reads on, both methods say so, and
// callers fall back (with them off, the object is refused outright).
func TestSegmentsCBCUnavailable(t *testing.T) {
	f := newFakeKMS(t)
	p := newLegacyKMSProvider(t, f, &auditRecorder{})
	s := v1Object(t, f, randBytes(t, 100), v1Opts{withLen: true, withCEK: true})
	if _, err := p.DecodeSegment(context.Background(), testObj, s.head, s.src, 0, 96); !errors.Is(err, errs.ErrNoSegments) {
		t.Fatalf("DecodeSegment on CBC: %v, want ErrNoSegments", err)
	}
	if err := p.VerifySegments(context.Background(), testObj, s.head, s.src, nil); !errors.Is(err, errs.ErrNoSegments) {
		t.Fatalf("VerifySegments on CBC: %v, want ErrNoSegments", err)
	}
	if _, d := f.calls(); d != 0 {
		t.Fatalf("%d KMS calls for a format check", d)
	}
}
