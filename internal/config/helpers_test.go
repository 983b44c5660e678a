package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
)

// siteXML renders name/value pairs as a configuration file body; property i
// is on line i+3.
func siteXML(kv ...string) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<configuration>\n")
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "<property><name>%s</name><value>%s</value></property>\n", kv[i], kv[i+1])
	}
	b.WriteString("</configuration>\n")
	return b.String()
}

func writeSite(t *testing.T, kv ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "emrfs-site.xml")
	if err := os.WriteFile(p, []byte(siteXML(kv...)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func testLoader(log io.Writer) Loader {
	if log == nil {
		log = io.Discard
	}
	return Loader{
		LookupEnv: func(string) (string, bool) { return "", false },
		Logger:    slog.New(slog.NewTextHandler(log, nil)),
	}
}

func load(t *testing.T, files, defs []string) *Options {
	t.Helper()
	o, err := testLoader(nil).Load(files, defs)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return o
}

// wantConfErr checks that err has class and contains an *hadoopconf.Error
// naming file and prop, and that its text names them too.
func wantConfErr(t *testing.T, err error, class error, file, prop string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v naming %s property %s", class, file, prop)
	}
	if !errors.Is(err, class) {
		t.Errorf("err = %v, want class %v", err, class)
	}
	for _, e := range flatten(err) {
		var ce *hadoopconf.Error
		if errors.As(e, &ce) && ce.File == file && ce.Property == prop {
			if !strings.HasPrefix(e.Error(), file) || !strings.Contains(e.Error(), "property "+prop+": ") {
				t.Errorf("Error() = %q does not name %s and property %s", e.Error(), file, prop)
			}
			if !errors.Is(e, class) {
				t.Errorf("the error naming %s is %v, want class %v", prop, e, class)
			}
			return
		}
	}
	t.Errorf("err = %v\nwant an error naming file %s property %s", err, file, prop)
}
