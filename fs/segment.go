package fs

import (
	"context"
	"fmt"
	iofs "io/fs"

	"github.com/emrfsd/emrfsd/providers"
)

// RangeSegment returns plaintext bytes [off, off+n) of the file, NOT
// authenticated, together with the digest of their ciphertext (see
// providers.SegmentDecoder), so that a caller reading the file in pieces can
// authenticate the whole file with VerifySegments once every piece was read.
// off must be a multiple of 16 and [off, off+n) a non-empty range inside the
// file. When the file's format has no whole-object MAC (plain, SSE, legacy
// CBC objects) the error satisfies errors.Is(err, errs.ErrNoSegments):
// use Range instead.
func (r *File) RangeSegment(ctx context.Context, off, n int64) (providers.SegmentReader, error) {
	if off < 0 || n <= 0 || n > r.Info.Size-off {
		return nil, pathErr("read", r.Info.Path, fmt.Errorf("%w: segment [%d,+%d) outside a file of %d bytes", iofs.ErrInvalid, off, n, r.Info.Size))
	}
	sr, err := providers.DecodeSegment(ctx, r.pr, r.obj, r.head, r.src, off, n)
	if err != nil {
		return nil, pathErr("read", r.Info.Path, err)
	}
	return &segmentReader{readCloser: readCloser{rc: sr, path: r.Info.Path, bytes: r.bytes}, sr: sr}, nil
}

// VerifySegments authenticates the whole file from the segments of
// RangeSegment reads that tile it in order. A mismatch satisfies
// errors.Is(err, errs.ErrIntegrity); segments that do not tile the file
// satisfy io/fs.ErrInvalid; errs.ErrNoSegments as for RangeSegment.
func (r *File) VerifySegments(ctx context.Context, segs []providers.Segment) error {
	return pathErr("read", r.Info.Path, providers.VerifySegments(ctx, r.pr, r.obj, r.head, r.src, segs))
}

// segmentReader classifies a provider segment stream's errors.
type segmentReader struct {
	readCloser
	sr providers.SegmentReader
}

func (s *segmentReader) Segment() (providers.Segment, bool) { return s.sr.Segment() }
