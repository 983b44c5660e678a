package fs

import (
	"strings"
	"testing"
)

func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{"/", "/a", "/a/b", "//", "/a/../b", "/a/./b", "a", "/a/", "/a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		elems, err := splitPath(p)
		if err != nil {
			return
		}
		if got := "/" + strings.Join(elems, "/"); got != p {
			t.Fatalf("split(%q) rejoins to %q", p, got)
		}
		for _, e := range elems {
			if e == "" || e == "." || e == ".." || strings.ContainsAny(e, "/\x00") {
				t.Fatalf("split(%q) accepted element %q", p, e)
			}
		}
	})
}

func FuzzMetaRoundTrip(f *testing.F) {
	f.Add("owner", "group", "user.name", []byte("value"))
	f.Add("%41", "ü", "trusted.x", []byte{0, 255})
	f.Fuzz(func(t *testing.T, owner, group, name string, value []byte) {
		if checkXattrName(name) != nil {
			return
		}
		md := metaChange{a: Attrs{Owner: &owner, Group: &group}, setXattr: map[string][]byte{name: value}}.apply(nil)
		a := decodeMeta(md)
		if owner != "" && a.owner != owner || group != "" && a.group != group {
			t.Fatalf("owner/group %q/%q -> %q/%q", owner, group, a.owner, a.group)
		}
		if string(a.xattrs[name]) != string(value) {
			t.Fatalf("xattr %q: %q -> %q", name, value, a.xattrs[name])
		}
		for k, v := range md {
			for _, c := range []byte(k + v) {
				if c < 0x20 || c > 0x7e {
					t.Fatalf("non-ASCII metadata %q: %q", k, v)
				}
			}
		}
	})
}
