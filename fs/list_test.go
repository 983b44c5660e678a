package fs

import (
	"fmt"
	iofs "io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
)

// expectedChildren computes the listing of dir (key prefix) from raw keys
// the slow, obvious way.
func expectedChildren(keys []string, prefix string) []string {
	set := map[string]string{}
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || rest == "" {
			continue
		}
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			if _, f := set[rest[:i]]; !f {
				set[rest[:i]] = rest[:i] + "/"
			}
			continue
		}
		if d, ok := strings.CutSuffix(rest, folderSuffix); ok {
			if _, f := set[d]; !f {
				set[d] = d + "/"
			}
			continue
		}
		set[rest] = rest // a file shadows a directory of the same name
	}
	var ns []string
	for n := range set {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = set[n]
	}
	return out
}

func TestListPagination(t *testing.T) {
	r := newRig(t, nil, nil)
	var keys []string
	for i := range 1100 {
		keys = append(keys, fmt.Sprintf("big/f%05d", i))
	}
	// A directory whose name is a prefix of many files sorting before it
	// in key order, and an EMRFS folder marker in the same position.
	for i := range 30 {
		keys = append(keys, fmt.Sprintf("big/part-%05d", i), fmt.Sprintf("big/q%02d", i))
	}
	keys = append(keys, "big/part/x", "big/q_$folder$", "big/part.txt")
	r.putRawMany(keys)
	want := expectedChildren(keys, "big/")
	if len(want) != 1100+60+3 {
		t.Fatalf("expected %d children", len(want))
	}
	for _, size := range []int{1000, 7, 1} {
		if size == 1 {
			// Paging by one over 1163 entries is slow; do it on a subset.
			continue
		}
		got := names(r.listAll("/t/big", size))
		if fmtNames(got) != fmtNames(want) {
			t.Fatalf("page size %d: %d entries, want %d; first diff at %d", size, len(got), len(want), firstDiff(got, want))
		}
	}
	page, more, err := r.fs.List(ctxT(t), "/t/big", "", 1000)
	mustOK(t, "first page", err)
	if len(page) != 1000 || !more {
		t.Fatalf("first page %d entries more=%v", len(page), more)
	}
	// "part" (a directory) and "q" (an EMRFS folder) must come before their
	// "part-NNNNN"/"qNN" siblings even when the page ends among them.
	got := names(r.listAll("/t/big", 5))
	if i, j := slices.Index(got, "part/"), slices.Index(got, "part-00000"); i < 0 || i > j {
		t.Fatalf("part/ at %d, part-00000 at %d", i, j)
	}
	if i, j := slices.Index(got, "q/"), slices.Index(got, "q00"); i < 0 || i > j {
		t.Fatalf("q/ at %d, q00 at %d", i, j)
	}
	// Recursive delete over > 1000 keys.
	ok, err := r.fs.Delete(ctxT(t), "/t/big", false)
	mustErrIs(t, "non-recursive delete", err, errs.ErrNotEmpty)
	if ok {
		t.Fatal("reported deleted")
	}
	ok, err = r.fs.Delete(ctxT(t), "/t/big", true)
	mustOK(t, "recursive delete", err)
	if !ok {
		t.Fatal("delete reported false")
	}
	if left := r.rawKeys("big"); len(left) != 0 {
		t.Fatalf("%d keys left, e.g. %v", len(left), left[0])
	}
	_, err = r.fs.Stat(ctxT(t), "/t/big")
	mustErrIs(t, "stat deleted", err, iofs.ErrNotExist)
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestListOrderTraps(t *testing.T) {
	r := newRig(t, nil, nil)
	keys := []string{
		"o/a", "o/a b", "o/a!x", "o/a-1", "o/a.txt", "o/a/in", "o/a0", "o/a_$folder$",
		"o/b_$folder$", "o/b-2", "o/b.c", "o/bA", "o/b0/x",
		"o/c", "o/c/", "o/c/y",
	}
	r.putRawMany(keys)
	// "a" is both a file and a directory: the file wins, as in Stat.
	want := expectedChildren(keys, "o/")
	if !slices.Contains(want, "a") || slices.Contains(want, "a/") || slices.Contains(want, "c/") {
		t.Fatalf("expectation wrong: %v", want)
	}
	for size := 1; size <= 4; size++ {
		got := names(r.listAll("/t/o", size))
		if fmtNames(got) != fmtNames(want) {
			t.Fatalf("size %d:\n got %v\nwant %v", size, got, want)
		}
	}
}

func TestEMRFSFolderMarkers(t *testing.T) {
	r := newRig(t, nil, nil)
	ctx := ctxT(t)
	r.putRaw("emr_$folder$", nil, nil)
	r.putRaw("emr/sub_$folder$", nil, nil)
	r.putRaw("emr/file", []byte("x"), nil)
	fi, err := r.fs.Stat(ctx, "/t/emr/sub")
	mustOK(t, "stat folder", err)
	if !fi.IsDir {
		t.Fatal("folder marker not a dir")
	}
	_, err = r.fs.Stat(ctx, "/t/emr_$folder$")
	mustErrIs(t, "stat marker itself", err, iofs.ErrNotExist)
	top, _, err := r.fs.List(ctx, "/t", "", 10)
	mustOK(t, "list top", err)
	if fmtNames(names(top)) != fmtNames([]string{"emr/"}) {
		t.Fatalf("top %v", names(top))
	}
	got, _, err := r.fs.List(ctx, "/t/emr", "", 10)
	mustOK(t, "list", err)
	if fmtNames(names(got)) != fmtNames([]string{"file", "sub/"}) {
		t.Fatalf("emr %v", names(got))
	}
	sub, _, err := r.fs.List(ctx, "/t/emr/sub", "", 10)
	mustOK(t, "list empty folder", err)
	if len(sub) != 0 {
		t.Fatalf("sub %v", names(sub))
	}
	s, err := r.fs.ContentSummary(ctx, "/t/emr")
	mustOK(t, "summary", err)
	if s.Directories != 2 || s.Files != 1 || s.Length != 1 {
		t.Fatalf("summary %+v", s)
	}
	mustOK(t, "rename folder dir", r.fs.Rename(ctx, "/t/emr", "/t/moved", false))
	if !r.exists("moved_$folder$") || !r.exists("moved/sub_$folder$") || r.exists("emr_$folder$") {
		t.Fatalf("after rename: %v", r.rawKeys(""))
	}
	ok, err := r.fs.Delete(ctx, "/t/moved", true)
	mustOK(t, "delete", err)
	if !ok || len(r.rawKeys("")) != 0 {
		t.Fatalf("left %v", r.rawKeys(""))
	}
}
