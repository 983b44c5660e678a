package blocks

import (
	"testing"

	"github.com/emrfsd/emrfsd/providers"
)

// digestTable unit behaviour: prefixes need every block, a new version
// drops the old record, and the digest budget is enforced.
func TestDigestTable(t *testing.T) {
	d := newDigestTable()
	seg := func(off, n int64) providers.Segment {
		return providers.Segment{Off: off, Len: n, Digest: [16]byte{byte(off)}}
	}
	d.record("/b/f", "e1", seg(0, 512))
	d.record("/b/f", "e1", seg(1024, 512))
	if _, ok := d.prefix("/b/f", "e1", 1024); ok {
		t.Fatal("prefix with block [512,1024) missing")
	}
	d.record("/b/f", "e1", seg(512, 512))
	got, ok := d.prefix("/b/f", "e1", 1536)
	if !ok || len(got) != 3 || got[1] != seg(512, 512) {
		t.Fatalf("prefix: %v %v", got, ok)
	}
	if _, ok := d.prefix("/b/f", "e2", 1536); ok {
		t.Fatal("prefix served for another ETag")
	}
	if _, ok := d.prefix("/b/f", "e1", 1000); ok {
		t.Fatal("prefix that ends inside a block")
	}
	d.observe("/b/f", "e2")
	if _, ok := d.prefix("/b/f", "e1", 512); ok || d.total != 0 {
		t.Fatalf("record kept after the file changed (total %d)", d.total)
	}
	for i := range int64(digestSegments + 10) {
		d.record("/b/g"+string(rune('a'+i%7)), "e", seg(i*512, 512))
	}
	if d.total > digestSegments {
		t.Fatalf("%d digests held, bound %d", d.total, digestSegments)
	}
}
