package hadoopconf

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestValueParsing(t *testing.T) {
	f := writeConf(t, "v-site.xml", props(
		"b.true", " TRUE ", "b.false", "false", "b.bad", "yes",
		"i.dec", "42", "i.hex", "0x1F", "i.neg", "-7", "i.bad", "4x", "i.big", "99999999999999999999",
		"s.plain", "1000", "s.k", "4k", "s.M", "64M", "s.g", " 2g ", "s.t", "1T", "s.p", "1p", "s.e", "3e",
		"s.bad", "1.5g", "s.unit", "64MB", "s.over", "8e", "s.neg", "-1k", "s.empty", "",
		"d.plain", "300", "d.s", "300s", "d.m", "5m", "d.ms", "250ms", "d.h", "2H", "d.d", "1d",
		"d.ns", "7ns", "d.us", "9us", "d.bad", "5 minutes", "d.frac", "1.5s", "d.over", "999999999999d",
	))
	c := mustLoad(t, []string{f}, nil)

	for name, want := range map[string]bool{"b.true": true, "b.false": false} {
		got, err := c.GetBool(name, !want)
		if err != nil || got != want {
			t.Errorf("GetBool(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
	for name, want := range map[string]int64{"i.dec": 42, "i.hex": 31, "i.neg": -7} {
		got, err := c.GetInt(name, 0)
		if err != nil || got != want {
			t.Errorf("GetInt(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
	bytesWant := map[string]int64{
		"s.plain": 1000, "s.k": 4 << 10, "s.M": 64 << 20, "s.g": 2 << 30, "s.t": 1 << 40,
		"s.p": 1 << 50, "s.e": 3 << 60, "s.neg": -1024,
	}
	for name, want := range bytesWant {
		got, err := c.GetBytes(name, 0)
		if err != nil || got != want {
			t.Errorf("GetBytes(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
	durWant := map[string]time.Duration{
		"d.plain": 300 * time.Millisecond, "d.s": 300 * time.Second, "d.m": 5 * time.Minute,
		"d.ms": 250 * time.Millisecond, "d.h": 2 * time.Hour, "d.d": 24 * time.Hour,
		"d.ns": 7, "d.us": 9 * time.Microsecond,
	}
	for name, want := range durWant {
		got, err := c.GetDuration(name, time.Millisecond, 0)
		if err != nil || got != want {
			t.Errorf("GetDuration(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
	// Defaults apply only when unset.
	if v, err := c.GetBool("unset", true); !v || err != nil {
		t.Errorf("GetBool default = %v, %v", v, err)
	}
	if v, err := c.GetInt("unset", 9); v != 9 || err != nil {
		t.Errorf("GetInt default = %v, %v", v, err)
	}
	if v, err := c.GetBytes("unset", 5); v != 5 || err != nil {
		t.Errorf("GetBytes default = %v, %v", v, err)
	}
	if v, err := c.GetDuration("unset", time.Second, time.Minute); v != time.Minute || err != nil {
		t.Errorf("GetDuration default = %v, %v", v, err)
	}

	bad := []struct {
		name string
		get  func(string) error
	}{
		{"b.bad", func(n string) error { _, err := c.GetBool(n, false); return err }},
		{"i.bad", func(n string) error { _, err := c.GetInt(n, 0); return err }},
		{"i.big", func(n string) error { _, err := c.GetInt(n, 0); return err }},
		{"s.bad", func(n string) error { _, err := c.GetBytes(n, 0); return err }},
		{"s.unit", func(n string) error { _, err := c.GetBytes(n, 0); return err }},
		{"s.over", func(n string) error { _, err := c.GetBytes(n, 0); return err }},
		{"s.empty", func(n string) error { _, err := c.GetBytes(n, 0); return err }},
		{"d.bad", func(n string) error { _, err := c.GetDuration(n, time.Millisecond, 0); return err }},
		{"d.frac", func(n string) error { _, err := c.GetDuration(n, time.Millisecond, 0); return err }},
		{"d.over", func(n string) error { _, err := c.GetDuration(n, time.Millisecond, 0); return err }},
	}
	for _, tt := range bad {
		err := tt.get(tt.name)
		var ce *Error
		if !errors.As(err, &ce) || ce.File != f || ce.Property != tt.name || ce.Line == 0 {
			t.Errorf("%s: err = %v, want *Error naming %s and the property", tt.name, err, f)
			continue
		}
		if !strings.HasPrefix(err.Error(), f+":") || !strings.Contains(err.Error(), "property "+tt.name+": ") {
			t.Errorf("%s: Error() = %q does not name file and property", tt.name, err)
		}
	}
	if _, err := (Entry{Value: "9223372036854775807"}).Int(); err != nil {
		t.Errorf("MaxInt64: %v", err)
	}
	if v, _ := (Entry{Value: "8191p"}).Bytes(); v != 8191<<50 || v > math.MaxInt64 {
		t.Errorf("8191p = %d", v)
	}
}
