package hadoopconf

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"slices"
	"strings"
)

// Write writes props as a Hadoop configuration file (the *-site.xml
// format Load reads), sorted by name, with an optional comment at the
// top. Names and values are XML-escaped.
func Write(w io.Writer, props map[string]string, comment string) error {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\"?>\n")
	if comment != "" {
		b.WriteString("<!-- " + strings.ReplaceAll(comment, "--", "- -") + " -->\n")
	}
	b.WriteString("<configuration>\n")
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		b.WriteString("  <property><name>")
		if err := xml.EscapeText(&b, []byte(n)); err != nil {
			return err
		}
		b.WriteString("</name><value>")
		if err := xml.EscapeText(&b, []byte(props[n])); err != nil {
			return err
		}
		b.WriteString("</value></property>\n")
	}
	b.WriteString("</configuration>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// WriteFile writes props to path (mode 0600) with Write.
func WriteFile(path string, props map[string]string, comment string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := Write(f, props, comment); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
