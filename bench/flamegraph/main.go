package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	title := flag.String("title", "flame graph", "title shown above the graph")
	width := flag.Int("width", 1200, "SVG width in pixels")
	minPct := flag.Float64("min", 0.1, "drop frames narrower than this percentage of the total")
	flag.Parse()
	root, unit, err := parseTraces(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "flamegraph:", err)
		os.Exit(1)
	}
	if err := render(os.Stdout, root, unit, *title, *width, *minPct); err != nil {
		fmt.Fprintln(os.Stderr, "flamegraph:", err)
		os.Exit(1)
	}
}

// node is a frame in the merged call tree.
type node struct {
	name     string
	value    float64
	children []*node
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	c := &node{name: name}
	n.children = append(n.children, c)
	return c
}

// parseTraces reads pprof's -traces text: blocks separated by
// "-----------+---" lines, each a value and the leaf frame on its first
// line, then the callers, one per line, root last.
func parseTraces(r io.Reader) (*node, string, error) {
	root := &node{name: "all"}
	unit := ""
	var (
		value  float64
		frames []string
		inside bool
	)
	flush := func() {
		if len(frames) > 0 && value > 0 {
			n := root
			n.value += value
			for i := len(frames) - 1; i >= 0; i-- {
				n = n.child(frames[i])
				n.value += value
			}
		}
		frames, value = nil, 0
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----------+") {
			flush()
			inside = true
			continue
		}
		if !inside || strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		if len(frames) == 0 && value == 0 {
			v, u, ok := parseValue(f[0])
			if !ok || len(f) < 2 {
				continue
			}
			value, unit = v, u
			frames = append(frames, strings.Join(f[1:], " "))
			continue
		}
		if strings.HasSuffix(f[0], ":") { // a label line (bytes: 8MB)
			continue
		}
		frames = append(frames, strings.Join(f, " "))
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, "", err
	}
	if root.value == 0 {
		return nil, "", errors.New("no samples in the input (is it go tool pprof -traces output?)")
	}
	return root, unit, nil
}

// parseValue reads "10ms", "1.20s", "512.14kB", "8MB" into seconds or
// bytes.
func parseValue(s string) (float64, string, bool) {
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, "", false
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, "", false
	}
	scale := map[string]struct {
		f float64
		u string
	}{
		"ns": {1e-9, "s"}, "us": {1e-6, "s"}, "µs": {1e-6, "s"}, "ms": {1e-3, "s"}, "s": {1, "s"},
		"min": {60, "s"}, "h": {3600, "s"},
		"B": {1, "B"}, "kB": {1 << 10, "B"}, "MB": {1 << 20, "B"}, "GB": {1 << 30, "B"}, "TB": {1 << 40, "B"},
	}[s[i:]]
	if scale.u == "" {
		return 0, "", false
	}
	return v * scale.f, scale.u, true
}

func fmtValue(v float64, unit string) string {
	if unit == "B" {
		switch {
		case v >= 1<<30:
			return fmt.Sprintf("%.2f GiB", v/(1<<30))
		case v >= 1<<20:
			return fmt.Sprintf("%.2f MiB", v/(1<<20))
		default:
			return fmt.Sprintf("%.1f KiB", v/(1<<10))
		}
	}
	if v < 1 {
		return fmt.Sprintf("%.0f ms", v*1000)
	}
	return fmt.Sprintf("%.2f s", v)
}

const rowHeight = 16

func depth(n *node) int {
	d := 0
	for _, c := range n.children {
		d = max(d, depth(c))
	}
	return d + 1
}

func render(w io.Writer, root *node, unit, title string, width int, minPct float64) error {
	rows := depth(root)
	top := 40
	height := top + rows*rowHeight + 10
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<?xml version="1.0" standalone="no"?>
<svg version="1.1" width="%d" height="%d" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg" font-family="Verdana,sans-serif" font-size="11">
<rect width="100%%" height="100%%" fill="#f8f8f0"/>
<text x="%d" y="20" text-anchor="middle" font-size="15">%s</text>
<text x="%d" y="34" text-anchor="middle" fill="#555">total %s; width = share of samples, callers below callees</text>
`, width, height, width, height, width/2, html.EscapeString(title), width/2, fmtValue(root.value, unit))
	scale := float64(width-20) / root.value
	var draw func(n *node, x float64, level int)
	draw = func(n *node, x float64, level int) {
		wpx := n.value * scale
		if n.value/root.value*100 < minPct {
			return
		}
		y := height - 10 - (level+1)*rowHeight
		name := n.name
		fmt.Fprintf(bw, `<g><title>%s: %s (%.1f%%)</title><rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" rx="2"/>`,
			html.EscapeString(name), fmtValue(n.value, unit), n.value/root.value*100, x, y, max(wpx-0.5, 0.5), rowHeight-1, color(name))
		if chars := int(wpx / 7); chars >= 3 {
			label := shortName(name)
			if len(label) > chars {
				label = label[:chars-2] + ".."
			}
			fmt.Fprintf(bw, `<text x="%.1f" y="%d">%s</text>`, x+3, y+rowHeight-4, html.EscapeString(label))
		}
		fmt.Fprintln(bw, "</g>")
		kids := slices.Clone(n.children)
		slices.SortFunc(kids, func(a, b *node) int { return strings.Compare(a.name, b.name) })
		cx := x
		for _, c := range kids {
			draw(c, cx, level+1)
			cx += c.value * scale
		}
	}
	draw(root, 10, 0)
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

// shortName drops the module path: github.com/emrfsd/emrfsd/fs.(*FS).Stat
// becomes fs.(*FS).Stat.
func shortName(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// color is a warm hue per package: emrfsd's own code red-orange, the
// runtime and syscalls yellow, the rest orange.
func color(name string) string {
	h := fnv.New32a()
	pkg := name
	if i := strings.Index(pkg, "."); i > 0 {
		pkg = pkg[:i]
	}
	h.Write([]byte(pkg))
	v := h.Sum32()
	r, g, b := 230, 100+int(v%80), 40+int(v>>8%50)
	switch {
	case strings.Contains(name, "emrfsd/emrfsd"):
		r, g, b = 220, 70+int(v%60), 50
	case strings.HasPrefix(name, "runtime.") || strings.HasPrefix(name, "syscall.") || strings.HasPrefix(name, "internal/runtime"):
		r, g, b = 220, 190+int(v%40), 60
	}
	return fmt.Sprintf("rgb(%d,%d,%d)", r, g, b)
}
