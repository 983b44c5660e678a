package namenode

import (
	"context"
	"errors"
	iofs "io/fs"
	"os/user"
	"path"
	"slices"
	"time"

	"github.com/emrfsd/emrfsd/fs"
)

// Access bits (FsAction).
const (
	permExec  = 1
	permWrite = 2
	permRead  = 4
)

var actionNames = [8]string{"NONE", "EXECUTE", "WRITE", "WRITE_EXECUTE", "READ", "READ_EXECUTE", "READ_WRITE", "ALL"}

const groupTTL = 5 * time.Minute

// caller is the identity of one call, with a per-call stat cache used by
// the permission checks.
type caller struct {
	s      *Server
	user   string
	groups []string
	loaded bool
	stats  map[string]statResult
}

type statResult struct {
	fi  fs.FileInfo
	err error
}

// stat is fs.Stat, cached for the duration of the call.
func (c *caller) stat(ctx context.Context, p string) (fs.FileInfo, error) {
	if r, ok := c.stats[p]; ok {
		return r.fi, r.err
	}
	fi, err := c.s.opts.FS.Stat(ctx, p)
	if c.stats == nil {
		c.stats = map[string]statResult{}
	}
	c.stats[p] = statResult{fi, err}
	return fi, err
}

// forget drops cached stats after a mutation.
func (c *caller) forget() { c.stats = nil }

func (c *caller) userGroups() []string {
	if !c.loaded {
		c.groups = c.s.groupsOf(c.user)
		c.loaded = true
	}
	return c.groups
}

func (c *caller) inGroup(g string) bool { return slices.Contains(c.userGroups(), g) }

// primaryGroup is the group new files get when their parent has none.
func (c *caller) primaryGroup() string {
	if g := c.userGroups(); len(g) > 0 {
		return g[0]
	}
	return ""
}

// isSuper reports whether the caller is the superuser or in its group.
func (c *caller) isSuper() bool {
	return c.user == c.s.opts.SuperUser || c.inGroup(c.s.opts.SuperUserGroup)
}

// checking reports whether permissions must be checked for this caller.
func (c *caller) checking() bool { return c.s.opts.PermissionsEnabled && !c.isSuper() }

// groupsOf looks a user's groups up (Options.Groups or the OS), cached.
func (s *Server) groupsOf(name string) []string {
	if e, ok := s.groups.Get(name); ok && time.Since(e.at) < groupTTL {
		return e.groups
	}
	var groups []string
	if s.opts.Groups != nil {
		groups = s.opts.Groups(name)
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
	s.groups.Add(name, groupEntry{groups: groups, at: time.Now()})
	return groups
}

// modeString renders a permission like "drwxr-xr-t".
func modeString(fi fs.FileInfo) string {
	b := []byte("-rwxrwxrwx")
	if fi.IsDir {
		b[0] = 'd'
	}
	for i := 0; i < 9; i++ {
		if fi.Perm&(1<<(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	if fi.Perm&01000 != 0 {
		if b[9] == 'x' {
			b[9] = 't'
		} else {
			b[9] = 'T'
		}
	}
	return string(b)
}

// allowed checks want against fi's mode bits for the caller.
func (c *caller) allowed(fi fs.FileInfo, want int) bool {
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

func (c *caller) denied(p string, fi fs.FileInfo, want int) error {
	return failf(errDenied, "Permission denied: user=%s, access=%s, inode=%q:%s:%s:%s",
		c.user, actionNames[want&7], p, fi.Owner, fi.Group, modeString(fi))
}

// ancestors lists the proper ancestors of a clean absolute path, root first.
func ancestors(p string) []string {
	var out []string
	for d := path.Dir(p); ; d = path.Dir(d) {
		out = append(out, d)
		if d == "/" {
			break
		}
	}
	if p == "/" {
		return nil
	}
	slices.Reverse(out)
	return out
}

// traverse checks execute permission on every existing ancestor of p.
func (c *caller) traverse(ctx context.Context, p string) error {
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
		if !c.allowed(fi, permExec) {
			return c.denied(a, fi, permExec)
		}
	}
	return nil
}

// checkOn checks want on p itself (after traverse) when p exists.
func (c *caller) checkOn(ctx context.Context, p string, want int) error {
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

// checkAncestor checks want on the nearest existing ancestor of p (create,
// mkdirs), after traverse.
func (c *caller) checkAncestor(ctx context.Context, p string) error {
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
		if !c.allowed(fi, permWrite) {
			return c.denied(as[i], fi, permWrite)
		}
		return nil
	}
	return nil
}

// checkRemove checks what removing p (delete, rename source) needs: write
// on its parent, and the sticky-bit rule.
func (c *caller) checkRemove(ctx context.Context, p string) error {
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
	if !c.allowed(pfi, permWrite) {
		return c.denied(parent, pfi, permWrite)
	}
	if pfi.Perm&01000 != 0 && pfi.Owner != c.user {
		fi, err := c.stat(ctx, p)
		if err == nil && fi.Owner != c.user {
			return failf(errDenied, "Permission denied by sticky bit: user=%s, path=%q:%s:%s:%s, parent=%q:%s:%s:%s",
				c.user, p, fi.Owner, fi.Group, modeString(fi), parent, pfi.Owner, pfi.Group, modeString(pfi))
		}
	}
	return nil
}

// checkOwner requires the caller to own p (or be superuser).
func (c *caller) checkOwner(ctx context.Context, p string) error {
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
		return failf(errDenied, "Permission denied. user=%s is not the owner of inode=%s", c.user, p)
	}
	return nil
}

// checkSuper requires superuser privilege.
func (c *caller) checkSuper() error {
	if !c.s.opts.PermissionsEnabled || c.isSuper() {
		return nil
	}
	return failf(errDenied, "Access denied for user %s. Superuser privilege is required", c.user)
}
