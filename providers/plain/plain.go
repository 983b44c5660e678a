package plain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/emrfsd/emrfsd/providers"
)

// Name is the registered name of this provider.
const Name = "plain"

// Provider is the pass-through provider. The zero value is ready to use and
// safe for concurrent use.
type Provider struct{}

// New returns the pass-through provider.
func New() *Provider { return &Provider{} }

// Name implements providers.Provider.
func (*Provider) Name() string { return Name }

// Encode implements providers.Provider: writes go straight to dst.
func (*Provider) Encode(ctx context.Context, obj providers.Object, dst io.Writer) (providers.Upload, io.WriteCloser, error) {
	if dst == nil {
		return providers.Upload{}, nil, errors.New("plain: Encode: nil destination")
	}
	return providers.Upload{}, &passWriter{dst: dst}, nil
}

// Decode implements providers.Provider: the stored range is the plaintext
// range.
func (*Provider) Decode(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, off, n int64) (io.ReadCloser, error) {
	if off < 0 || off > h.Size {
		return nil, fmt.Errorf("plain: Decode %s: offset %d outside a %d-byte object", obj.Key, off, h.Size)
	}
	if n < 0 || off+n > h.Size {
		n = h.Size - off
	}
	if n == 0 {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	return src.Range(ctx, off, n)
}

// PlainSize implements providers.Provider.
func (*Provider) PlainSize(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source) (int64, error) {
	return h.Size, nil
}

// passWriter forwards writes; Close must be called once and does not close
// dst (fs owns it).
type passWriter struct {
	dst    io.Writer
	closed bool
}

func (w *passWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errors.New("plain: write after Close")
	}
	return w.dst.Write(p)
}

func (w *passWriter) Close() error {
	if w.closed {
		return errors.New("plain: Close called twice")
	}
	w.closed = true
	return nil
}

// Interface guards.
var _ providers.Provider = (*Provider)(nil)
