package hadoopconf

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConf writes a *-site.xml file into t's temp dir and returns its path.
func writeConf(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// props renders name/value pairs as a configuration file body.
func props(kv ...string) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<configuration>\n")
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "  <property><name>%s</name><value>%s</value></property>\n", kv[i], kv[i+1])
	}
	b.WriteString("</configuration>\n")
	return b.String()
}

func noEnv(string) (string, bool) { return "", false }

func mustLoad(t *testing.T, files, defs []string) *Conf {
	t.Helper()
	c, err := LoadOptions{LookupEnv: noEnv}.Load(files, defs)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoadOverrideOrderAndProvenance(t *testing.T) {
	core := writeConf(t, "core-site.xml", props("a", "core", "b", "core", "c", "core"))
	emrfs := writeConf(t, "emrfs-site.xml", props("b", "emrfs", "c", "emrfs"))
	c := mustLoad(t, []string{core, emrfs}, []string{"c=cmdline"})

	tests := []struct {
		name, value, file string
		line              int
	}{
		{"a", "core", core, 3},
		{"b", "emrfs", emrfs, 3},
		{"c", "cmdline", CommandLine, 0},
	}
	for _, tt := range tests {
		e, ok := c.Get(tt.name)
		if !ok {
			t.Fatalf("Get(%q): missing", tt.name)
		}
		if e.Value != tt.value || e.File != tt.file || e.Name != tt.name || e.Line != tt.line {
			t.Errorf("Get(%q) = %+v, want value %q file %q line %d", tt.name, e, tt.value, tt.file, tt.line)
		}
	}
	if _, ok := c.Get("missing"); ok {
		t.Error("Get(missing) found a property")
	}
}

func TestFinalWins(t *testing.T) {
	first := writeConf(t, "a-site.xml", `<configuration>
<property><name>locked</name><value>one</value><final>true</final></property>
<property><name>open</name><value>one</value></property>
</configuration>`)
	second := writeConf(t, "b-site.xml", props("locked", "two", "open", "two"))
	var logs bytes.Buffer
	c, err := LoadOptions{LookupEnv: noEnv, Logger: slog.New(slog.NewTextHandler(&logs, nil))}.
		Load([]string{first, second}, []string{"locked=three", "open=three"})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := c.Get("locked")
	if e.Value != "one" || e.File != first || !e.Final || e.Line != 2 {
		t.Errorf("final property = %+v, want value one from %s line 2, final", e, first)
	}
	e, _ = c.Get("open")
	if e.Value != "three" || e.File != CommandLine || e.Final {
		t.Errorf("open property = %+v, want value three from -D", e)
	}
	if n := strings.Count(logs.String(), "override final property ignored"); n != 2 {
		t.Errorf("want 2 warnings (file and -D), got %d:\n%s", n, logs.String())
	}
}

func TestDefs(t *testing.T) {
	c := mustLoad(t, nil, []string{"a=b=c", " spaced =v", "empty="})
	for name, want := range map[string]string{"a": "b=c", "spaced": "v", "empty": ""} {
		if e, ok := c.Get(name); !ok || e.Value != want {
			t.Errorf("Get(%q) = %q, %v; want %q", name, e.Value, ok, want)
		}
	}
	for _, bad := range []string{"novalue", "=v", " =v"} {
		_, err := LoadOptions{LookupEnv: noEnv}.Load(nil, []string{bad})
		var ce *Error
		if !errors.As(err, &ce) || ce.File != CommandLine || !strings.Contains(err.Error(), "-D name=value") {
			t.Errorf("Load(-D %q) err = %v, want *Error from -D", bad, err)
		}
	}
}

func TestXMLForms(t *testing.T) {
	f := writeConf(t, "x-site.xml", `<?xml version="1.0" encoding="UTF-8"?>
<!-- comment -->
<configuration>
  <property name="attr" value="fromattr" final="true"/>
  <property>
    <name>  trimmed.name  </name>
    <value>  kept spaces  </value>
    <description>ignored <b>markup</b></description>
    <source>programmatically</source>
  </property>
  <property><name>novalue</name></property>
  <property><name>emptyvalue</name><value/></property>
  <property><name>entity</name><value>a&amp;b&lt;c</value></property>
  <configuration>
    <property><name>nested</name><value>yes</value></property>
  </configuration>
  <unknown><x/></unknown>
</configuration>`)
	var logs bytes.Buffer
	c, err := LoadOptions{LookupEnv: noEnv, Logger: slog.New(slog.NewTextHandler(&logs, nil))}.Load([]string{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"attr":         "fromattr",
		"trimmed.name": "  kept spaces  ",
		"emptyvalue":   "",
		"entity":       "a&b<c",
		"nested":       "yes",
	}
	for name, v := range want {
		if e, ok := c.Get(name); !ok || e.Value != v {
			t.Errorf("Get(%q) = %q, %v; want %q", name, e.Value, ok, v)
		}
	}
	if e, _ := c.Get("attr"); !e.Final || e.Line != 4 {
		t.Errorf("attr = %+v, want final at line 4", e)
	}
	if _, ok := c.Get("novalue"); ok {
		t.Error("property without <value> was kept")
	}
	if !strings.Contains(logs.String(), "novalue") {
		t.Errorf("no warning about the property without a value: %s", logs.String())
	}
	if got := len(c.All()); got != len(want) {
		t.Errorf("All() has %d entries, want %d", got, len(want))
	}
}

func TestXMLErrors(t *testing.T) {
	tests := []struct {
		name, body string
		line       int
		msg        string
	}{
		{"unclosed", "<configuration>\n<property>\n<name>a</name>\n<value>b</valu>\n</property>\n</configuration>", 4, "XML syntax error"},
		{"eof", "<configuration>\n<property><name>a</name>\n", 3, "XML syntax error"},
		{"garbage", "<configuration>\n\n<<<\n</configuration>", 3, "XML syntax error"},
		{"missing name", "<configuration>\n<property><value>a</value></property>\n\n<property>\n<value>b</value>\n</property>\n</configuration>", 2, "<property> without <name>"},
		{"empty name", "<configuration>\n\n<property><name> </name><value>a</value></property>\n</configuration>", 3, "<property> without <name>"},
		{"wrong root", "<?xml version=\"1.0\"?>\n<config>\n</config>", 2, "want <configuration>"},
		{"xinclude", "<configuration xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n<xi:include href=\"x.xml\"/>\n</configuration>", 2, "XInclude"},
		{"nested in value", "<configuration>\n<property><name>a</name>\n<value><b/></value></property>\n</configuration>", 3, "unexpected element"},
		{"empty file", "", 0, "no <configuration>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeConf(t, "bad-site.xml", tt.body)
			_, err := LoadOptions{LookupEnv: noEnv}.Load([]string{f}, nil)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if ce.File != f || ce.Line != tt.line || !strings.Contains(ce.Msg, tt.msg) {
				t.Errorf("err = %#v, want file %s line %d msg containing %q", ce, f, tt.line, tt.msg)
			}
			prefix := f + ":"
			if tt.line > 0 {
				prefix = fmt.Sprintf("%s:%d: ", f, tt.line)
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), prefix)
			}
		})
	}
	_, err := Load([]string{filepath.Join(t.TempDir(), "absent-site.xml")}, nil)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "absent-site.xml: cannot read configuration file: ") {
		t.Errorf("missing file: err = %v, want ErrNotExist naming the file", err)
	}
}

func TestExpansion(t *testing.T) {
	env := map[string]string{"HOME": "/home/u", "EMPTY": "", "INDIRECT": "${base}", "LOOP": "${env.LOOP}x"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	f := writeConf(t, "e-site.xml", props(
		"base", "/data",
		"dir", "${base}/dfs",
		"deep", "${dir}/name",
		"two", "${base}+${dir}",
		"home", "${env.HOME}/x",
		"unset.env", "${env.NOPE}",
		"default.unset", "${env.NOPE:-dflt}",
		"default.empty", "${env.EMPTY:-dflt}",
		"dash.empty", "${env.EMPTY-dflt}",
		"dash.unset", "${env.NOPE-dflt}",
		"indirect", "${env.INDIRECT}/i",
		"unresolved", "${nope}/${base}",
		"which", "dir",
		"nestedname", "${${which}}",
		"partial", "${base",
		"dollar", "$base {x} ${} ${a b}",
		"builtname", "${ba${which.s}}",
		"which.s", "se",
	))
	c, err := LoadOptions{LookupEnv: lookup}.Load([]string{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"dir":           "/data/dfs",
		"deep":          "/data/dfs/name",
		"two":           "/data+/data/dfs",
		"home":          "/home/u/x",
		"unset.env":     "${env.NOPE}",
		"default.unset": "dflt",
		"default.empty": "dflt",
		"dash.empty":    "",
		"dash.unset":    "dflt",
		"indirect":      "/data/i",
		"unresolved":    "${nope}//data",
		"nestedname":    "/data/dfs",
		"partial":       "${base",
		"dollar":        "$base {x} ${} ${a b}",
		"builtname":     "/data",
	}
	for name, v := range want {
		e, ok := c.Get(name)
		if !ok || e.Value != v {
			t.Errorf("Get(%q) = %q, want %q", name, e.Value, v)
		}
		if e.Raw == "" {
			t.Errorf("Get(%q).Raw is empty", name)
		}
	}
	if e, _ := c.Get("dir"); e.Raw != "${base}/dfs" {
		t.Errorf("Raw = %q, want the value as written", e.Raw)
	}

	// A chain of exactly MaxExpansionDepth references resolves; one more
	// does not.
	chain := func(n int) []string {
		defs := []string{fmt.Sprintf("p%d=end", n)}
		for i := 0; i < n; i++ {
			defs = append(defs, fmt.Sprintf("p%d=${p%d}", i, i+1))
		}
		return defs
	}
	c, err = LoadOptions{LookupEnv: lookup}.Load(nil, chain(MaxExpansionDepth))
	if err != nil {
		t.Fatalf("chain of %d: %v", MaxExpansionDepth, err)
	}
	if e, _ := c.Get("p0"); e.Value != "end" {
		t.Errorf("p0 = %q", e.Value)
	}
	_, err = LoadOptions{LookupEnv: lookup}.Load(nil, chain(MaxExpansionDepth+1))
	if !errors.Is(err, ErrTooDeep) {
		t.Errorf("chain of %d: err = %v, want ErrTooDeep", MaxExpansionDepth+1, err)
	}

	cycles := []struct {
		name  string
		defs  []string
		prop  string
		isErr error
	}{
		{"self", []string{"a=${a}/x"}, "a", ErrVariableCycle},
		{"pair", []string{"a=${b}", "b=x${a}"}, "a", ErrVariableCycle},
		{"env loop", []string{"z=${env.LOOP}"}, "z", ErrTooDeep},
	}
	for _, tt := range cycles {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadOptions{LookupEnv: lookup}.Load(nil, tt.defs)
			var ce *Error
			if !errors.Is(err, tt.isErr) || !errors.As(err, &ce) || ce.Property != tt.prop || ce.File != CommandLine {
				t.Fatalf("err = %v, want %v naming property %s from -D", err, tt.isErr, tt.prop)
			}
		})
	}
	// A cycle in a file names the file, property and line.
	f = writeConf(t, "cyc-site.xml", props("x", "1", "y", "${y}"))
	_, err = LoadOptions{LookupEnv: lookup}.Load([]string{f}, nil)
	if want := f + ":4: property y: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want prefix %q", err, want)
	}
}

func TestDefaultsLayer(t *testing.T) {
	f := writeConf(t, "d-site.xml", props("dir", "/srv"))
	c, err := LoadOptions{LookupEnv: noEnv, Defaults: map[string]string{
		"dir": "/default", "sub": "${dir}/sub", "only.default": "d",
	}}.Load([]string{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := c.Get("sub"); e.Value != "/srv/sub" || e.File != DefaultsFile {
		t.Errorf("sub = %+v, want /srv/sub from %s", e, DefaultsFile)
	}
	if e, _ := c.Get("dir"); e.Value != "/srv" || e.File != f {
		t.Errorf("dir = %+v, want the file's value", e)
	}
	if e, _ := c.Get("only.default"); e.Value != "d" || e.File != DefaultsFile {
		t.Errorf("only.default = %+v", e)
	}
	err = (Entry{Name: "x", Value: "v", File: DefaultsFile}).Errorf("bad")
	if err.Error() != "(default): property x: bad" {
		t.Errorf("Error() = %q", err.Error())
	}
}
