package blocks

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"

	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// ReadBlock is a block opened for reading by the DataNode.
type ReadBlock struct {
	f       *fs.File
	off, n  int64
	digests *digestTable // nil: no whole-file authentication across blocks
	log     *slog.Logger
}

// Len is the block length.
func (r *ReadBlock) Len() int64 { return r.n }

// Range returns plaintext bytes [off, off+n) of the block. A read of the
// whole block takes part in whole-file authentication (see verify.go): its
// ciphertext digest is recorded, and for the file's final block the last
// bytes are released only once the whole file's tag verified (when every
// earlier block was served whole), or the read fails with an error wrapping
// errs.ErrIntegrity.
func (r *ReadBlock) Range(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	if off < 0 || n < 0 || off > r.n || n > r.n-off {
		return nil, fmt.Errorf("%w: range [%d,+%d) outside block of %d bytes", iofs.ErrInvalid, off, n, r.n)
	}
	var rc io.ReadCloser
	var err error
	if off == 0 && n == r.n && n > 0 {
		rc, err = r.rangeWhole(ctx)
	} else {
		rc, err = r.f.Range(ctx, r.off+off, n)
	}
	if err != nil {
		if errors.Is(err, errs.ErrIntegrity) {
			r.markFailed(err)
		}
		return nil, err
	}
	return &integrityWatch{ReadCloser: rc, fail: r.markFailed}, nil
}

// Interface guards.
var _ ReadTarget = (*ReadBlock)(nil)
