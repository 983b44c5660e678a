package hadoopconf

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Bool parses the value as Hadoop's getBoolean does ("true"/"false", any
// case, surrounding space ignored); anything else is an error (Hadoop would
// silently use the default).
func (e Entry) Bool() (bool, error) {
	switch strings.ToLower(strings.TrimSpace(e.Value)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, e.Errorf("value %q is not a boolean (want true or false)", e.Value)
}

// Int parses the value as a decimal or 0x-prefixed hexadecimal integer, as
// Hadoop's getLong does.
func (e Entry) Int() (int64, error) {
	s := strings.TrimSpace(e.Value)
	neg := false
	if r, ok := strings.CutPrefix(s, "-"); ok {
		neg, s = true, r
	}
	base := 10
	if r, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		base, s = 16, r
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, e.Errorf("value %q is not an integer", e.Value)
	}
	u, err := strconv.ParseUint(s, base, 64)
	if err != nil || u > math.MaxInt64 {
		return 0, e.wrapErr(err, "value %q is not an integer", e.Value)
	}
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
}

// Bytes parses a size as Hadoop's getLongBytes does: an integer with an
// optional binary suffix k, m, g, t, p or e (any case; 1k = 1024).
func (e Entry) Bytes() (int64, error) {
	s := strings.TrimSpace(e.Value)
	shift := 0
	if s != "" {
		if i := strings.IndexByte("kmgtpe", lower(s[len(s)-1])); i >= 0 {
			shift = 10 * (i + 1)
			s = s[:len(s)-1]
		}
	}
	n, err := (Entry{Value: s}).Int()
	if err != nil {
		return 0, e.Errorf("value %q is not a size (want an integer with an optional k, m, g, t, p or e suffix, e.g. 64M)", e.Value)
	}
	if n > math.MaxInt64>>shift || n < math.MinInt64>>shift {
		return 0, e.Errorf("size %q overflows 64 bits", e.Value)
	}
	return n << shift, nil
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// durationUnits are Hadoop's time suffixes, in the order Hadoop tries them
// (so "ms" wins over "s").
var durationUnits = [...]struct {
	suffix string
	unit   time.Duration
}{
	{"ns", time.Nanosecond},
	{"us", time.Microsecond},
	{"ms", time.Millisecond},
	{"s", time.Second},
	{"m", time.Minute},
	{"h", time.Hour},
	{"d", 24 * time.Hour},
}

// Duration parses a duration as Hadoop's getTimeDuration does: an integer
// with an optional suffix ns, us, ms, s, m, h or d (any case); a plain
// integer is in unit.
func (e Entry) Duration(unit time.Duration) (time.Duration, error) {
	s := strings.ToLower(strings.TrimSpace(e.Value))
	for _, u := range durationUnits {
		if r, ok := strings.CutSuffix(s, u.suffix); ok {
			s, unit = r, u.unit
			break
		}
	}
	n, err := (Entry{Value: strings.TrimSpace(s)}).Int()
	if err != nil {
		return 0, e.Errorf("value %q is not a duration (want an integer with an optional ns, us, ms, s, m, h or d suffix, e.g. 300s)", e.Value)
	}
	if n > math.MaxInt64/int64(unit) || n < math.MinInt64/int64(unit) {
		return 0, e.Errorf("duration %q overflows", e.Value)
	}
	return time.Duration(n) * unit, nil
}

// GetBool returns the boolean property name, or def when it is unset.
func (c *Conf) GetBool(name string, def bool) (bool, error) {
	if e, ok := c.Get(name); ok {
		return e.Bool()
	}
	return def, nil
}

// GetInt returns the integer property name, or def when it is unset.
func (c *Conf) GetInt(name string, def int64) (int64, error) {
	if e, ok := c.Get(name); ok {
		return e.Int()
	}
	return def, nil
}

// GetBytes returns the size property name, or def when it is unset.
func (c *Conf) GetBytes(name string, def int64) (int64, error) {
	if e, ok := c.Get(name); ok {
		return e.Bytes()
	}
	return def, nil
}

// GetDuration returns the duration property name (plain integers in unit),
// or def when it is unset.
func (c *Conf) GetDuration(name string, unit, def time.Duration) (time.Duration, error) {
	if e, ok := c.Get(name); ok {
		return e.Duration(unit)
	}
	return def, nil
}
