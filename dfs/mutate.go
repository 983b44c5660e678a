package dfs

import (
	"context"
	"errors"
	iofs "io/fs"
	"path"
	"strings"
	"time"

	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// Mkdirs creates directory src (and its missing parents when
// createParent) with permission perm (already masked by the client's
// umask), owned by the caller with the parent's group. An existing
// directory is success.
func (n *Namespace) Mkdirs(ctx context.Context, c *Caller, src string, perm uint32, createParent bool) error {
	p, err := CleanPath(src)
	if err != nil {
		return err
	}
	if err := n.provisionTrash(ctx, c, p); err != nil {
		return err
	}
	if err := n.homeFor(ctx, c, p); err != nil {
		return err
	}
	if err := c.checkAncestor(ctx, p); err != nil {
		return err
	}
	fi, err := c.stat(ctx, p)
	switch {
	case err == nil && fi.IsDir:
		return nil
	case err == nil:
		return Failf(iofs.ErrExist, "Path is not a directory: %s", p)
	case !missing(err):
		return err
	}
	if err := n.checkNewName(p); err != nil {
		return err
	}
	parent := path.Dir(p)
	pfi, err := c.stat(ctx, parent)
	switch {
	case err == nil && !pfi.IsDir:
		return Failf(errs.ErrNotDir, "%s (is not a directory)", parent)
	case missing(err) && !createParent:
		return Failf(iofs.ErrNotExist, "Parent directory doesn't exist: %s", parent)
	case err != nil && !missing(err):
		return err
	}
	group, err := c.inheritedGroup(ctx, p)
	if err != nil {
		return err
	}
	defer c.forget()
	return n.fs.Mkdirs(ctx, p, perm&07777, c.user, group, createParent)
}

// Delete removes src (a non-empty directory only when recursive) and
// reports whether anything was deleted: false, without error, for a
// missing path and for "/". Files being written below src are aborted.
func (n *Namespace) Delete(ctx context.Context, c *Caller, src string, recursive bool) (bool, error) {
	p, err := CleanPath(src)
	if err != nil {
		return false, err
	}
	if p == "/" {
		// HDFS never deletes the root.
		return false, nil
	}
	if err := c.checkRemove(ctx, p); err != nil {
		return false, err
	}
	if err := n.checkSubtree(ctx, c, p); err != nil {
		return false, err
	}
	defer c.forget()
	deleted, err := n.fs.Delete(ctx, p, recursive)
	if err != nil {
		if errors.Is(err, errs.ErrNotEmpty) {
			return false, Failf(errs.ErrNotEmpty, "`%s is non empty': Directory is not empty", p)
		}
		return false, err
	}
	// Files being written below p are deleted too (their writers get
	// LeaseExpiredException), as in HDFS.
	for _, f := range n.leases.under(p) {
		if f.Path == p || recursive || deleted {
			n.Abort(ctx, f, "deleted")
			deleted = true
		}
	}
	return deleted, nil
}

// busy refuses renames involving files being written (their uploads are
// bound to their keys).
func (n *Namespace) busy(p string) error {
	if fs := n.leases.under(p); len(fs) > 0 {
		return Failf(ErrIO, "cannot rename %s: %s is being written", p, fs[0].Path)
	}
	return nil
}

// Rename is HDFS's original rename: it reports false rather than failing
// when the source is missing, the destination exists (a file, or a
// non-directory), the destination's parent is missing, or the destination
// is inside the source; a directory destination receives the source
// inside it.
func (n *Namespace) Rename(ctx context.Context, c *Caller, src, dst string) (bool, error) {
	src, err := CleanPath(src)
	if err != nil {
		return false, err
	}
	dst, err = CleanPath(dst)
	if err != nil {
		return false, err
	}
	if src == "/" {
		return false, nil
	}
	if err := c.checkRemove(ctx, src); err != nil {
		return false, err
	}
	if _, err := c.stat(ctx, src); err != nil {
		if missing(err) {
			return false, nil
		}
		return false, err
	}
	if src == dst {
		return true, nil
	}
	if err := n.busy(src); err != nil {
		return false, err
	}
	target := dst
	if dfi, err := c.stat(ctx, dst); err == nil && dfi.IsDir {
		target = path.Join(dst, path.Base(src))
	} else if err != nil && !missing(err) {
		return false, err
	}
	if target == src {
		return true, nil
	}
	if err := n.checkNewName(target); err != nil {
		return false, err
	}
	if strings.HasPrefix(target, src+"/") {
		return false, nil
	}
	if _, err := c.stat(ctx, target); err == nil {
		return false, nil
	} else if !missing(err) {
		return false, err
	}
	if pfi, err := c.stat(ctx, path.Dir(target)); missing(err) || (err == nil && !pfi.IsDir) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if err := c.checkAncestor(ctx, target); err != nil {
		return false, err
	}
	defer c.forget()
	if err := n.fs.Rename(ctx, src, target, false); err != nil {
		if missing(err) || errors.Is(err, iofs.ErrExist) {
			n.log.Info("rename refused", "src", src, "dst", target, "err", err)
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// Rename2 is HDFS's rename with options: every refusal is an exception,
// and overwrite replaces an existing destination of the same kind (an
// empty directory for a directory).
func (n *Namespace) Rename2(ctx context.Context, c *Caller, src, dst string, overwrite bool) error {
	src, err := CleanPath(src)
	if err != nil {
		return err
	}
	dst, err = CleanPath(dst)
	if err != nil {
		return err
	}
	switch {
	case src == dst:
		return Failf(iofs.ErrExist, "The source %s and destination %s are the same", src, dst)
	case src == "/":
		return Failf(ErrIO, "Rename source / is the root")
	case dst == "/":
		return Failf(ErrIO, "Rename destination / is the root")
	case strings.HasPrefix(dst, src+"/"):
		return Failf(ErrIO, "Rename destination %s is a directory or file under source %s", dst, src)
	}
	if err := n.checkNewName(dst); err != nil {
		return err
	}
	if err := c.checkRemove(ctx, src); err != nil {
		return err
	}
	sfi, err := c.stat(ctx, src)
	if missing(err) {
		return Failf(iofs.ErrNotExist, "rename source %s is not found.", src)
	} else if err != nil {
		return err
	}
	if err := n.busy(src); err != nil {
		return err
	}
	dfi, err := c.stat(ctx, dst)
	switch {
	case err == nil:
		if !overwrite {
			return Failf(iofs.ErrExist, "rename destination %s already exists", dst)
		}
		if dfi.IsDir != sfi.IsDir {
			kind := "files"
			if sfi.IsDir {
				kind = "directories"
			}
			return Failf(ErrIO, "Source %s and destination %s must both be %s", src, dst, kind)
		}
		if dfi.IsDir {
			children, _, err := n.fs.List(ctx, dst, "", 1)
			if err != nil {
				return err
			}
			if len(children) > 0 {
				return Failf(ErrIO, "rename destination directory is not empty: %s", dst)
			}
		}
		if err := c.checkRemove(ctx, dst); err != nil {
			return err
		}
		if err := n.busy(dst); err != nil {
			return err
		}
	case missing(err):
		parent := path.Dir(dst)
		pfi, err := c.stat(ctx, parent)
		switch {
		case missing(err):
			return Failf(iofs.ErrNotExist, "rename destination parent %s not found.", parent)
		case err != nil:
			return err
		case !pfi.IsDir:
			return Failf(errs.ErrNotDir, "rename destination parent %s is a file.", parent)
		}
	default:
		return err
	}
	if err := c.checkAncestor(ctx, dst); err != nil {
		return err
	}
	defer c.forget()
	return n.fs.Rename(ctx, src, dst, overwrite)
}

// SetPermission changes src's permission bits (owner or superuser only).
func (n *Namespace) SetPermission(ctx context.Context, c *Caller, src string, perm uint32) error {
	p, _, err := c.existingPath(ctx, src)
	if err != nil {
		return err
	}
	if err := c.checkOwner(ctx, p); err != nil {
		return err
	}
	perm &= 07777
	defer c.forget()
	if err := n.fs.SetAttrs(ctx, p, fs.Attrs{Perm: &perm}); err != nil {
		return err
	}
	n.forgetListings(p)
	return nil
}

// SetOwner changes src's owner and/or group ("" leaves one unchanged).
// Only the superuser may change the owner; the owner may change the group
// to one of their own groups.
func (n *Namespace) SetOwner(ctx context.Context, c *Caller, src, owner, group string) error {
	p, _, err := c.existingPath(ctx, src)
	if err != nil {
		return err
	}
	var a fs.Attrs
	if owner != "" {
		a.Owner = &owner
	}
	if group != "" {
		a.Group = &group
	}
	if a.Owner == nil && a.Group == nil {
		return Failf(ErrIllegalArgument, "User name or group name must be specified to set the owner of %s", p)
	}
	if err := c.checkOwner(ctx, p); err != nil {
		return err
	}
	if c.checking() {
		if a.Owner != nil && *a.Owner != c.user {
			return Failf(ErrDenied, "User %s is not a super user (non-super user cannot change owner).", c.user)
		}
		if a.Group != nil && !c.inGroup(*a.Group) {
			return Failf(ErrDenied, "User %s does not belong to %s", c.user, *a.Group)
		}
	}
	defer c.forget()
	if err := n.fs.SetAttrs(ctx, p, a); err != nil {
		return err
	}
	n.forgetListings(p)
	return nil
}

// SetTimes sets src's modification and access times in milliseconds since
// the epoch; a negative value leaves that time unchanged.
func (n *Namespace) SetTimes(ctx context.Context, c *Caller, src string, mtime, atime int64) error {
	p, _, err := c.existingPath(ctx, src)
	if err != nil {
		return err
	}
	if err := c.checkOn(ctx, p, PermWrite); err != nil {
		return err
	}
	var a fs.Attrs
	if mtime >= 0 {
		t := time.UnixMilli(mtime)
		a.ModTime = &t
	}
	if atime >= 0 {
		t := time.UnixMilli(atime)
		a.AccessTime = &t
	}
	if a.ModTime == nil && a.AccessTime == nil {
		return nil
	}
	defer c.forget()
	return n.fs.SetAttrs(ctx, p, a)
}

// maxReplication is HDFS's dfs.replication.max default.
const maxReplication = 512

// SetReplication records a file's replication factor (S3 keeps its own
// redundancy; the value is what stat and listings report); HDFS answers
// false for directories and missing paths.
func (n *Namespace) SetReplication(ctx context.Context, c *Caller, src string, replication int) (bool, error) {
	p, err := c.checkedPath(ctx, src, PermWrite)
	if err != nil {
		return false, err
	}
	if replication < 1 || replication > maxReplication {
		return false, Failf(ErrIO, "file %s: replication %d is outside [1, %d]", p, replication, maxReplication)
	}
	fi, err := c.stat(ctx, p)
	if missing(err) || (err == nil && fi.IsDir) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer c.forget()
	if err := n.fs.SetAttrs(ctx, p, fs.Attrs{Replication: &replication}); err != nil {
		return false, err
	}
	return true, nil
}
