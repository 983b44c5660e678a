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
	if p.Name() != "plain" || p.SSE() != (providers.SSE{}) {
		t.Fatalf("Name %q, SSE %+v", p.Name(), p.SSE())
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
	if got := p.ListedSize(42); got != 42 {
		t.Errorf("ListedSize(42) = %d", got)
	}
	for _, off := range []int64{-1, 11} {
		if _, err := p.Decode(t.Context(), providers.Object{Key: "k"}, providers.Head{Size: 10}, nil, off, 1); err == nil {
			t.Errorf("Decode(off=%d) of a 10-byte object succeeded", off)
		}
	}
}
