package hadoopconf

import (
	"errors"
	"testing"
)

// FuzzParseXML checks that no input makes the parser panic and that every
// failure is an *Error naming the file.
func FuzzParseXML(f *testing.F) {
	f.Add([]byte(props("a", "b")))
	f.Add([]byte("<configuration><property name=\"x\" value=\"y\"/></configuration>"))
	f.Add([]byte("<configuration><property><name>a</name>"))
	f.Add([]byte("<configuration><property><value>v</value></property></configuration>"))
	f.Add([]byte("<configuration><configuration><property><name>a</name><value>${a}</value></property></configuration></configuration>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := parseXML("f.xml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "f.xml" {
				t.Fatalf("err = %v, want *Error naming f.xml", err)
			}
			return
		}
		for _, p := range ps {
			if p.e.Name == "" {
				t.Fatal("property with empty name accepted")
			}
		}
	})
}

// FuzzExpand checks that expansion terminates without panicking.
func FuzzExpand(f *testing.F) {
	f.Add("${a}", "${b}", "x")
	f.Add("${a${b}}", "a", "${env.X:-${c}}")
	f.Fuzz(func(t *testing.T, a, b, s string) {
		c := &Conf{props: map[string]Entry{"a": {Name: "a", Raw: a}, "b": {Name: "b", Raw: b}}, lookupEnv: func(string) (string, bool) { return s, true }}
		_, _ = c.expand(s, nil)
		_, _ = c.Get("a")
	})
}
