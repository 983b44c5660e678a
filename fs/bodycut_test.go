package fs

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/gcmstream"
)

// cutBody returns its bytes, then the error net/http gives when the
// connection of a response with a Content-Length closes early.
type cutBody struct {
	r   io.Reader
	end error
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, b.end
	}
	return n, err
}

func (b *cutBody) Close() error { return nil }

// Regression (fault tier, MinIO killed during a CSE read): a GET response
// cut short by a lost connection surfaced as io.ErrUnexpectedEOF, which the
// GCM decrypter reports as a truncated object (an authentication failure),
// and the block table then refused every later read of the file until it
// was rewritten. A cut body must be an I/O error of its own.
func TestWindowReaderCutBodyIsNotTruncation(t *testing.T) {
	for _, end := range []error{io.ErrUnexpectedEOF, io.EOF} {
		w := &windowReader{body: &cutBody{r: bytes.NewReader(make([]byte, 100)), end: end}, size: 1000, left: 1000, next: 1000, end: 999}
		got, err := io.ReadAll(w)
		if len(got) != 100 || !errors.Is(err, ErrBodyCut) {
			t.Fatalf("body ending with %v: read %d bytes, err %v; want 100 and ErrBodyCut", end, len(got), err)
		}
		if err == io.ErrUnexpectedEOF || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errs.ErrIntegrity) {
			t.Fatalf("cut body reported as %v", err)
		}
		// Through the CTR range decrypter the CSE provider uses, it stays
		// an I/O error, not gcmstream.ErrAuth.
		w = &windowReader{body: &cutBody{r: bytes.NewReader(make([]byte, 100)), end: end}, size: 1000, left: 1000, next: 1000, end: 999}
		dec, err := gcmstream.NewRangeDecrypter(make([]byte, 32), make([]byte, 12), w, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(dec)
		if errors.Is(err, gcmstream.ErrAuth) || errors.Is(err, errs.ErrIntegrity) || !errors.Is(err, ErrBodyCut) {
			t.Fatalf("range decrypter over a cut body: %v", err)
		}
	}
}
