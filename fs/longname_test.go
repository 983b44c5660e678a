package fs

import (
	"errors"
	iofs "io/fs"
	"strings"
	"testing"
)

// Issue 15.7: names of 247 to 255 bytes are valid HDFS names, but keys
// derived from them (the EMRFS folder marker NAME_$folder$, the instruction
// file NAME.instruction) are longer than MinIO's 255-byte segment limit,
// and MinIO answered those probes with an error instead of "not found".
// Files with such names work end to end. A directory marker for such a
// name is itself past MinIO's limit (it stores NAME/ as NAME__XLDIR__):
// mkdirs then fails with a clear ErrInvalid there, and works on stores
// without the limit.
func TestLongNamesNearTheSegmentLimit(t *testing.T) {
	r := newRig(t, nil, nil)
	ctx := ctxT(t)
	if err := r.fs.Mkdirs(ctx, "/t/d", 0o755, "o", "g", false); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{246, 247, 250, 255} {
		name := strings.Repeat("n", n)
		p := "/t/d/" + name
		if _, err := r.fs.Stat(ctx, p); !isNotExist(err) {
			t.Fatalf("stat of missing %d-byte name: %v, want not found", n, err)
		}
		r.write(p, []byte("x"), CreateOptions{})
		if fi, err := r.fs.Stat(ctx, p); err != nil || fi.IsDir || fi.Size != 1 {
			t.Fatalf("stat %d-byte name: %+v %v", n, fi, err)
		}
		if list, _, err := r.fs.List(ctx, "/t/d", "", 0); err != nil || len(list) != 1 || list[0].Name != name {
			t.Fatalf("list: %v %v", list, err)
		}
		q := "/t/d/" + strings.Repeat("m", n)
		if err := r.fs.Rename(ctx, p, q, false); err != nil {
			t.Fatalf("rename %d-byte name: %v", n, err)
		}
		if got := r.read(q); string(got) != "x" {
			t.Fatalf("read after rename: %q", got)
		}
		if ok, err := r.fs.Delete(ctx, q, false); !ok || err != nil {
			t.Fatalf("delete %d-byte name: %v %v", n, ok, err)
		}
		dir := "/t/d/" + strings.Repeat("e", n)
		switch err := r.fs.Mkdirs(ctx, dir, 0o755, "o", "g", false); {
		case err == nil:
			if ok, err := r.fs.Delete(ctx, dir, true); !ok || err != nil {
				t.Fatalf("delete %d-byte dir: %v %v", n, ok, err)
			}
		case n > 246 && errors.Is(err, iofs.ErrInvalid):
		default:
			t.Fatalf("mkdirs %d-byte dir: %v", n, err)
		}
	}
}
