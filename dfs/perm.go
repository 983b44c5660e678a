package dfs

import (
	"context"
	"errors"
	iofs "io/fs"
	"os/user"
	"path"
	"slices"

	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// Access bits (Hadoop's FsAction).
const (
	PermExec  = 1
	PermWrite = 2
	PermRead  = 4
)

var actionNames = [8]string{"NONE", "EXECUTE", "WRITE", "WRITE_EXECUTE", "READ", "READ_EXECUTE", "READ_WRITE", "ALL"}

// Caller is the identity behind one request, with a stat cache that lives
// as long as the request: the permission checks of one call look each path
// up once. Make one per request with Namespace.Caller; it is not safe for
// concurrent use.
type Caller struct {
	n      *Namespace
	user   string
	groups []string
	loaded bool
	stats  map[string]statResult
}

type statResult struct {
	fi  fs.FileInfo
	err error
}

// Caller returns the identity of one request by user (already
// authenticated by the front end: SIMPLE auth trusts the name).
func (n *Namespace) Caller(user string) *Caller { return &Caller{n: n, user: user} }

// User is the caller's name.
func (c *Caller) User() string { return c.user }

// stat is fs.Stat, cached for the duration of the call.
func (c *Caller) stat(ctx context.Context, p string) (fs.FileInfo, error) {
	return c.cachedStat(ctx, p, c.n.fs.Stat)
}

// statBeforeCreate is stat for the path a create is about to make: a
// miss the client's own stat found just before costs no second probe
// (fs.StatBeforeCreate).
func (c *Caller) statBeforeCreate(ctx context.Context, p string) (fs.FileInfo, error) {
	return c.cachedStat(ctx, p, c.n.fs.StatBeforeCreate)
}

// cachedStat answers from the call's cache, or asks lookup and keeps the
// answer.
func (c *Caller) cachedStat(ctx context.Context, p string, lookup func(context.Context, string) (fs.FileInfo, error)) (fs.FileInfo, error) {
	if r, ok := c.stats[p]; ok {
		return r.fi, r.err
	}
	fi, err := lookup(ctx, p)
	if c.stats == nil {
		c.stats = map[string]statResult{}
	}
	c.stats[p] = statResult{fi, err}
	return fi, err
}

// forget drops cached stats after a mutation.
func (c *Caller) forget() { c.stats = nil }

func (c *Caller) userGroups() []string {
	if !c.loaded {
		c.groups = c.n.groupsOf(c.user)
		c.loaded = true
	}
	return c.groups
}

func (c *Caller) inGroup(g string) bool { return slices.Contains(c.userGroups(), g) }

// primaryGroup is the caller's first group.
func (c *Caller) primaryGroup() string {
	if g := c.userGroups(); len(g) > 0 {
		return g[0]
	}
	return ""
}

// inheritedGroup is the group a new path p gets: HDFS gives every new
// inode its parent's group, so p and any parents made with it take the
// group of p's nearest existing ancestor.
func (c *Caller) inheritedGroup(ctx context.Context, p string) (string, error) {
	as := ancestors(p)
	for i := len(as) - 1; i >= 0; i-- {
		fi, err := c.stat(ctx, as[i])
		if err == nil && fi.IsDir {
			return fi.Group, nil
		}
		if err != nil && !errors.Is(err, iofs.ErrNotExist) && !errors.Is(err, errs.ErrNotDir) {
			return "", err
		}
	}
	return c.primaryGroup(), nil
}

// IsSuper reports whether the caller is the superuser or in its group.
func (c *Caller) IsSuper() bool {
	return c.user == c.n.opts.SuperUser || c.inGroup(c.n.opts.SuperUserGroup)
}

// checking reports whether permissions must be checked for this caller.
func (c *Caller) checking() bool { return c.n.opts.PermissionsEnabled && !c.IsSuper() }

// GroupsOf returns a user's groups as the permission checks see them
// (Options.Groups or the OS's, cached). Front ends use it for rules of their
// own, such as WebHDFS's proxy-user groups.
func (n *Namespace) GroupsOf(user string) []string { return n.groupsOf(user) }

// groupsOf looks a user's groups up (Options.Groups or the OS), cached.
func (n *Namespace) groupsOf(name string) []string {
	if groups, ok := n.groups.Get(name); ok {
		return groups
	}
	var groups []string
	if n.opts.Groups != nil {
		groups = n.opts.Groups(name)
	} else if u, err := user.Lookup(name); err == nil {
		if ids, err := u.GroupIds(); err == nil {
			// The primary group first.
			ids = append([]string{u.Gid}, slices.DeleteFunc(ids, func(id string) bool { return id == u.Gid })...)
			for _, id := range ids {
				if g, err := user.LookupGroupId(id); err == nil {
					groups = append(groups, g.Name)
				}
			}
		}
	}
	n.groups.Add(name, groups)
	return groups
}

// ModeString renders a permission like "drwxr-xr-t".
func ModeString(isDir bool, perm uint32) string {
	b := []byte("-rwxrwxrwx")
	if isDir {
		b[0] = 'd'
	}
	for i := 0; i < 9; i++ {
		if perm&(1<<(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	if perm&01000 != 0 {
		if b[9] == 'x' {
			b[9] = 't'
		} else {
			b[9] = 'T'
		}
	}
	return string(b)
}

// allowed checks want against fi's mode bits for the caller.
func (c *Caller) allowed(fi fs.FileInfo, want int) bool {
	var bits uint32
	switch {
	case fi.Owner == c.user:
		bits = fi.Perm >> 6
	case c.inGroup(fi.Group):
		bits = fi.Perm >> 3
	default:
		bits = fi.Perm
	}
	return int(bits&7)&want == want
}

func (c *Caller) denied(p string, fi fs.FileInfo, want int) error {
	return Failf(ErrDenied, "Permission denied: user=%s, access=%s, inode=%q:%s:%s:%s",
		c.user, actionNames[want&7], p, fi.Owner, fi.Group, ModeString(fi.IsDir, fi.Perm))
}

// ancestors lists the proper ancestors of a clean absolute path, root first.
func ancestors(p string) []string {
	if p == "/" {
		return nil
	}
	var out []string
	for d := path.Dir(p); ; d = path.Dir(d) {
		out = append(out, d)
		if d == "/" {
			break
		}
	}
	slices.Reverse(out)
	return out
}

// traverse checks execute permission on every existing ancestor of p.
func (c *Caller) traverse(ctx context.Context, p string) error {
	if !c.checking() {
		return nil
	}
	for _, a := range ancestors(p) {
		fi, err := c.stat(ctx, a)
		if errors.Is(err, iofs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !fi.IsDir {
			return nil
		}
		if !c.allowed(fi, PermExec) {
			return c.denied(a, fi, PermExec)
		}
	}
	return nil
}

// checkOn checks want on p itself (after traverse) when p exists.
func (c *Caller) checkOn(ctx context.Context, p string, want int) error {
	if !c.checking() {
		return nil
	}
	if err := c.traverse(ctx, p); err != nil {
		return err
	}
	fi, err := c.stat(ctx, p)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !c.allowed(fi, want) {
		return c.denied(p, fi, want)
	}
	return nil
}

// checkAncestor checks write on the nearest existing ancestor of p
// (create, mkdirs), after traverse.
func (c *Caller) checkAncestor(ctx context.Context, p string) error {
	if !c.checking() {
		return nil
	}
	if err := c.traverse(ctx, p); err != nil {
		return err
	}
	as := ancestors(p)
	for i := len(as) - 1; i >= 0; i-- {
		fi, err := c.stat(ctx, as[i])
		if errors.Is(err, iofs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if !fi.IsDir {
			return nil // the operation reports the bad parent
		}
		if !c.allowed(fi, PermWrite) {
			return c.denied(as[i], fi, PermWrite)
		}
		return nil
	}
	return nil
}

// checkRemove checks what removing p (delete, rename source) needs: write
// on its parent, and the sticky-bit rule.
func (c *Caller) checkRemove(ctx context.Context, p string) error {
	if !c.checking() || p == "/" {
		return nil
	}
	if err := c.traverse(ctx, p); err != nil {
		return err
	}
	parent := path.Dir(p)
	pfi, err := c.stat(ctx, parent)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return nil
		}
		return err
	}
	if !c.allowed(pfi, PermWrite) {
		return c.denied(parent, pfi, PermWrite)
	}
	if pfi.Perm&01000 != 0 && pfi.Owner != c.user {
		fi, err := c.stat(ctx, p)
		if err == nil && fi.Owner != c.user {
			return Failf(ErrDenied, "Permission denied by sticky bit: user=%s, path=%q:%s:%s:%s, parent=%q:%s:%s:%s",
				c.user, p, fi.Owner, fi.Group, ModeString(fi.IsDir, fi.Perm), parent, pfi.Owner, pfi.Group, ModeString(pfi.IsDir, pfi.Perm))
		}
	}
	return nil
}

// checkSubtree checks what deleting directory p needs below it, as HDFS's
// FSPermissionChecker.checkSubAccess(ALL, ignoreEmptyDir): read, write and
// execute on every non-empty directory of the subtree (p included), and
// the sticky-bit rule for the children of sticky ones. A file, or a path
// that does not exist, needs nothing more.
func (n *Namespace) checkSubtree(ctx context.Context, c *Caller, p string) error {
	if !c.checking() {
		return nil
	}
	root, err := c.stat(ctx, p)
	if err != nil || !root.IsDir {
		return nil // the delete itself reports a missing path
	}
	pending := []fs.FileInfo{root}
	for len(pending) > 0 {
		d := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		after, checked := "", false
		for {
			children, more, err := n.fs.List(ctx, d.Path, after, n.opts.ListLimit)
			if err != nil {
				if missing(err) {
					break // removed meanwhile
				}
				return err
			}
			if len(children) > 0 && !checked {
				// A security check reads the directory's own metadata,
				// not a listing's (possibly cached) copy of it.
				if d.Path != p {
					fresh, err := c.stat(ctx, d.Path)
					if missing(err) {
						break
					}
					if err != nil {
						return err
					}
					d = fresh
				}
				if !c.allowed(d, PermRead|PermWrite|PermExec) {
					return c.denied(d.Path, d, PermRead|PermWrite|PermExec)
				}
				checked = true
			}
			for _, ch := range children {
				if d.Perm&01000 != 0 && d.Owner != c.user && ch.Owner != c.user {
					return Failf(ErrDenied, "Permission denied by sticky bit: user=%s, path=%q:%s:%s:%s, parent=%q:%s:%s:%s",
						c.user, ch.Path, ch.Owner, ch.Group, ModeString(ch.IsDir, ch.Perm), d.Path, d.Owner, d.Group, ModeString(d.IsDir, d.Perm))
				}
				if ch.IsDir {
					pending = append(pending, ch)
				}
			}
			if !more || len(children) == 0 {
				break
			}
			after = children[len(children)-1].Name
		}
	}
	return nil
}

// checkOwner requires the caller to own p (or be superuser).
func (c *Caller) checkOwner(ctx context.Context, p string) error {
	if !c.checking() {
		return nil
	}
	if err := c.traverse(ctx, p); err != nil {
		return err
	}
	fi, err := c.stat(ctx, p)
	if err != nil {
		return err
	}
	if fi.Owner != c.user {
		return Failf(ErrDenied, "Permission denied. user=%s is not the owner of inode=%s", c.user, p)
	}
	return nil
}

// CheckSuper requires superuser privilege.
func (c *Caller) CheckSuper() error {
	if !c.n.opts.PermissionsEnabled || c.IsSuper() {
		return nil
	}
	return Failf(ErrDenied, "Access denied for user %s. Superuser privilege is required", c.user)
}
