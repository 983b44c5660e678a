package plain_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/plain"
)

func TestPassThrough(t *testing.T) {
	p := plain.New()
	if p.Name() != "plain" || providers.CopySSE(p) != (providers.SSE{}) {
		t.Fatalf("Name %q, CopySSE %+v", p.Name(), providers.CopySSE(p))
	}
	// plain implements none of the optional interfaces: the helpers'
	// defaults are its behaviour.
	var pp providers.Provider = p
	if _, ok := pp.(providers.ListedSizer); ok {
		t.Error("plain is a ListedSizer")
	}
	if _, ok := pp.(providers.ServerSideEncrypter); ok {
		t.Error("plain is a ServerSideEncrypter")
	}
	if _, ok := pp.(providers.Confirmer); ok {
		t.Error("plain is a Confirmer")
	}
	if err := providers.Confirm(p, providers.Upload{}, providers.SSE{Algorithm: "aws:kms"}); err != nil {
		t.Errorf("Confirm of a bucket default's report: %v", err)
	}
	var dst bytes.Buffer
	up, w, err := p.Encode(t.Context(), providers.Object{Bucket: "b", Key: "k"}, &dst)
	if err != nil {
		t.Fatal(err)
	}
	if up.SSE != (providers.SSE{}) || len(up.Metadata) != 0 || up.Instruction != nil {
		t.Errorf("Upload = %+v, want nothing asked", up)
	}
	if _, err := io.WriteString(w, "abc"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if dst.String() != "abc" {
		t.Errorf("stored %q", dst.String())
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if got := providers.ListedSize(p, 42); got != 42 {
		t.Errorf("ListedSize(42) = %d", got)
	}
	for _, off := range []int64{-1, 11} {
		if _, err := p.Decode(t.Context(), providers.Object{Key: "k"}, providers.Head{Size: 10}, nil, off, 1); err == nil {
			t.Errorf("Decode(off=%d) of a 10-byte object succeeded", off)
		}
	}
}
