package hadoopconf

import (
	"path/filepath"
	"testing"
)

// What Write writes, Load reads back exactly, odd characters included.
func TestWriteRoundTrip(t *testing.T) {
	props := map[string]string{
		"a.plain":  "v",
		"b.markup": `<x y="1">&amp; 'q' -- </x>`,
		"c.spaces": " padded ",
		"d.empty":  "",
		"e.utf8":   "ünï",
	}
	p := filepath.Join(t.TempDir(), "site.xml")
	if err := WriteFile(p, props, "written by a test -- with dashes"); err != nil {
		t.Fatal(err)
	}
	c, err := Load([]string{p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range props {
		e, ok := c.Get(k)
		if !ok || e.Value != want {
			t.Errorf("%s = %q (%v), want %q", k, e.Value, ok, want)
		}
	}
}
