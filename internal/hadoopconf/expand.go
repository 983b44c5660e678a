package hadoopconf

import (
	"errors"
	"fmt"
	"strings"
)

// MaxExpansionDepth bounds variable nesting (Hadoop's MAX_SUBST is 20).
const MaxExpansionDepth = 20

// Expansion failures, wrapped in the *Error Load returns.
var (
	ErrVariableCycle = errors.New("variable reference cycle")
	ErrTooDeep       = errors.New("variable expansion nested too deeply")
)

// expand substitutes ${...} variables in s. stack holds the properties being
// expanded by the callers, outermost first.
func (c *Conf) expand(s string, stack []string) (string, error) {
	if len(stack) > MaxExpansionDepth {
		return "", fmt.Errorf("%w (more than %d levels: %s)", ErrTooDeep, MaxExpansionDepth, strings.Join(stack, " -> "))
	}
	// Each pass replaces the variables it can resolve; a later pass sees
	// names built by earlier ones (${a${b}}) and ${...} text brought in by
	// environment values.
	for pass := 0; ; pass++ {
		out, changed, err := c.expandOnce(s, stack)
		if err != nil {
			return "", err
		}
		if !changed {
			return out, nil
		}
		if pass >= MaxExpansionDepth {
			return "", fmt.Errorf("%w (more than %d passes over %q)", ErrTooDeep, MaxExpansionDepth, s)
		}
		s = out
	}
}

// isNameByte reports whether b may appear in a variable name; like Hadoop,
// names exclude '$', '{', '}' and whitespace.
func isNameByte(b byte) bool {
	switch b {
	case '$', '{', '}', ' ', '\t', '\r', '\n':
		return false
	}
	return true
}

// expandOnce replaces, left to right, every innermost ${name} it can resolve.
func (c *Conf) expandOnce(s string, stack []string) (string, bool, error) {
	if !strings.Contains(s, "${") {
		return s, false, nil
	}
	var b strings.Builder
	changed := false
	i := 0
	for {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			b.WriteString(s[i:])
			return b.String(), changed, nil
		}
		j += i
		k := j + 2
		for k < len(s) && isNameByte(s[k]) {
			k++
		}
		if k >= len(s) || s[k] != '}' || k == j+2 {
			// Not a variable here (maybe an inner one follows): keep the
			// '$' and look again from the '{'.
			b.WriteString(s[i : j+1])
			i = j + 1
			continue
		}
		b.WriteString(s[i:j])
		val, ok, err := c.resolve(s[j+2:k], stack)
		if err != nil {
			return "", false, err
		}
		if ok {
			b.WriteString(val)
			changed = true
		} else {
			b.WriteString(s[j : k+1])
		}
		i = k + 1
	}
}

// resolve returns the value of one variable.
func (c *Conf) resolve(name string, stack []string) (string, bool, error) {
	if v, ok := strings.CutPrefix(name, "env."); ok && v != "" {
		return c.env(v)
	}
	for i, s := range stack {
		if s == name {
			chain := append(append([]string(nil), stack[i:]...), name)
			return "", false, fmt.Errorf("%w: %s", ErrVariableCycle, strings.Join(chain, " -> "))
		}
	}
	e, ok := c.props[name]
	if !ok {
		return "", false, nil
	}
	v, err := c.expand(e.Raw, append(stack[:len(stack):len(stack)], name))
	if err != nil {
		return "", false, err
	}
	return v, true, nil
}

// env resolves the part after "env.": NAME, NAME:-DEFAULT (default when
// unset or empty) or NAME-DEFAULT (default when unset), as Hadoop does.
func (c *Conf) env(v string) (string, bool, error) {
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == ':' && i+1 < len(v) && v[i+1] == '-':
			if val, ok := c.lookupEnv(v[:i]); ok && val != "" {
				return val, true, nil
			}
			return v[i+2:], true, nil
		case v[i] == '-':
			if val, ok := c.lookupEnv(v[:i]); ok {
				return val, true, nil
			}
			return v[i+1:], true, nil
		}
	}
	val, ok := c.lookupEnv(v)
	return val, ok, nil
}
