package dfs

import (
	"context"
	"errors"
	"sort"
	"strings"
)

// UserXattrPrefix is the only xattr namespace stored ("user.NAME").
const UserXattrPrefix = "user."

// Messages Hadoop uses for missing attributes (clients match them).
const (
	msgXattrNotFound       = "At least one of the attributes provided was not found."
	msgXattrRemoveNotFound = "No matching attributes found for remove operation"
)

// Xattr is one extended attribute: Name is the full name ("user.x").
type Xattr struct {
	Name  string
	Value []byte
}

func userXattrs(m map[string][]byte) []Xattr {
	var out []Xattr
	for k, v := range m {
		if strings.HasPrefix(k, UserXattrPrefix) {
			out = append(out, Xattr{Name: k, Value: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ListXattrs returns src's extended attributes (with values) by name.
func (n *Namespace) ListXattrs(ctx context.Context, c *Caller, src string) ([]Xattr, error) {
	return n.GetXattrs(ctx, c, src, nil)
}

// GetXattrs returns the named attributes of src (all when names is
// empty); a name that is not set fails the whole call, as in HDFS.
func (n *Namespace) GetXattrs(ctx context.Context, c *Caller, src string, names []string) ([]Xattr, error) {
	p, err := c.checkedPath(ctx, src, PermRead)
	if err != nil {
		return nil, err
	}
	fi, err := c.anyStat(ctx, p)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return userXattrs(fi.Xattrs), nil
	}
	out := make([]Xattr, 0, len(names))
	for _, name := range names {
		v, found := fi.Xattrs[name]
		if !strings.HasPrefix(name, UserXattrPrefix) || !found {
			return nil, Failf(ErrIO, "%s", msgXattrNotFound)
		}
		out = append(out, Xattr{Name: name, Value: v})
	}
	return out, nil
}

// SetXattr sets attribute name of src. create and replace are HDFS's
// XAttrSetFlag: setting an existing attribute needs replace, a new one
// create.
func (n *Namespace) SetXattr(ctx context.Context, c *Caller, src, name string, value []byte, create, replace bool) error {
	p, err := CleanPath(src)
	if err != nil {
		return err
	}
	short, ok := strings.CutPrefix(name, UserXattrPrefix)
	if !ok || short == "" {
		return Failf(errors.ErrUnsupported, "only user.* extended attributes are supported")
	}
	if err := c.checkOn(ctx, p, PermWrite); err != nil {
		return err
	}
	fi, err := c.anyStat(ctx, p)
	if err != nil {
		return err
	}
	_, exists := fi.Xattrs[name]
	switch {
	case exists && !replace:
		return Failf(ErrIO, "XAttr: %s already exists. The REPLACE flag must be specified.", short)
	case !exists && !create:
		return Failf(ErrIO, "XAttr: %s does not exist. The CREATE flag must be specified.", short)
	}
	if value == nil {
		value = []byte{}
	}
	defer c.forget()
	return n.fs.SetXattr(ctx, p, name, value)
}

// RemoveXattr removes attribute name of src.
func (n *Namespace) RemoveXattr(ctx context.Context, c *Caller, src, name string) error {
	p, err := c.checkedPath(ctx, src, PermWrite)
	if err != nil {
		return err
	}
	fi, err := c.anyStat(ctx, p)
	if err != nil {
		return err
	}
	if _, found := fi.Xattrs[name]; !strings.HasPrefix(name, UserXattrPrefix) || !found {
		return Failf(ErrIO, "%s", msgXattrRemoveNotFound)
	}
	defer c.forget()
	return n.fs.RemoveXattr(ctx, p, name)
}
