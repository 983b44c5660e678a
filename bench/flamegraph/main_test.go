package main

import (
	"bytes"
	"strings"
	"testing"
)

const traces = `File: emrfsd
Type: cpu
-----------+-------------------------------------------------------
      30ms   syscall.Syscall
             net.(*conn).Read
             main.serve
-----------+-------------------------------------------------------
      10ms   hash/crc32.update
             main.serve
-----------+-------------------------------------------------------
     1.20s   runtime.gcBgMarkWorker
-----------+-------------------------------------------------------
`

func TestParseAndRender(t *testing.T) {
	root, unit, err := parseTraces(strings.NewReader(traces))
	if err != nil {
		t.Fatal(err)
	}
	if unit != "s" || root.value < 1.2399 || root.value > 1.2401 {
		t.Fatalf("total %v %s, want 1.24 s", root.value, unit)
	}
	serve := root.child("main.serve")
	if serve.value < 0.0399 || serve.value > 0.0401 || len(serve.children) != 2 {
		t.Fatalf("main.serve: %v with %d children", serve.value, len(serve.children))
	}
	var out bytes.Buffer
	if err := render(&out, root, unit, "test", 800, 0); err != nil {
		t.Fatal(err)
	}
	svg := out.String()
	for _, want := range []string{"<svg", "main.serve: 40 ms (3.2%)", "runtime.gcBgMarkWorker: 1.20 s (96.8%)", "</svg>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if _, _, err := parseTraces(strings.NewReader("nothing")); err == nil {
		t.Error("input without samples accepted")
	}
	if v, u, ok := parseValue("512.5kB"); !ok || u != "B" || v != 512.5*1024 {
		t.Errorf("512.5kB: %v %s %v", v, u, ok)
	}
}
