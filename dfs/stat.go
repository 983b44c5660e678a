package dfs

import (
	"context"
	"errors"
	iofs "io/fs"
	"strings"

	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// missing reports errors meaning "no such path" (including a file used as
// a directory along the way).
func missing(err error) bool {
	return errors.Is(err, iofs.ErrNotExist) || errors.Is(err, errs.ErrNotDir)
}

// fileStat stats a path that must be an existing file.
func (c *Caller) fileStat(ctx context.Context, p string) (fs.FileInfo, error) {
	fi, err := c.stat(ctx, p)
	switch {
	case missing(err):
		return fi, Failf(iofs.ErrNotExist, "File does not exist: %s", p)
	case err != nil:
		return fi, err
	case fi.IsDir:
		return fi, Failf(iofs.ErrNotExist, "Path is not a file: %s", p)
	}
	return fi, nil
}

// anyStat stats a path that must exist.
func (c *Caller) anyStat(ctx context.Context, p string) (fs.FileInfo, error) {
	fi, err := c.stat(ctx, p)
	if missing(err) {
		return fi, Failf(iofs.ErrNotExist, "File does not exist: %s", p)
	}
	return fi, err
}

// checkedPath cleans src and checks that the caller has access want on it.
func (c *Caller) checkedPath(ctx context.Context, src string, want int) (string, error) {
	p, err := CleanPath(src)
	if err != nil {
		return "", err
	}
	if err := c.checkOn(ctx, p, want); err != nil {
		return "", err
	}
	return p, nil
}

// existingPath cleans src and stats it: the path must exist (and its
// ancestors be traversable by the caller).
func (c *Caller) existingPath(ctx context.Context, src string) (string, fs.FileInfo, error) {
	p, err := CleanPath(src)
	if err != nil {
		return "", fs.FileInfo{}, err
	}
	if err := c.traverse(ctx, p); err != nil {
		return "", fs.FileInfo{}, err
	}
	fi, err := c.anyStat(ctx, p)
	if err != nil {
		return "", fs.FileInfo{}, err
	}
	return p, fi, nil
}

// Stat is an existing path's status (FileNotFoundException otherwise),
// after the traverse checks. Front ends use it for calls that only need
// the path to exist (getEZForPath, storage policies, ...).
func (n *Namespace) Stat(ctx context.Context, c *Caller, src string) (Status, error) {
	_, fi, err := c.existingPath(ctx, src)
	if err != nil {
		return Status{}, err
	}
	return n.status(fi), nil
}

// GetFileInfo describes src; nil (and no error) when it does not exist, as
// HDFS answers getFileInfo. A file being written but not yet visible is
// shown with its bytes so far.
func (n *Namespace) GetFileInfo(ctx context.Context, c *Caller, src string) (*Status, error) {
	p, err := CleanPath(src)
	if errors.Is(err, ErrPathTooLong) {
		return nil, nil // no such path can exist
	}
	if err != nil {
		return nil, err
	}
	if err := c.traverse(ctx, p); err != nil {
		return nil, err
	}
	fi, err := c.stat(ctx, p)
	if missing(err) {
		if f := n.leases.get(p); f != nil {
			st := f.Status()
			return &st, nil
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st := n.status(fi)
	return &st, nil
}

// List returns up to Options.ListLimit entries of directory src whose names
// sort after startAfter, and whether more remain. A file lists as itself,
// with an empty Name.
// A missing src fails with an error satisfying errors.Is(err,
// io/fs.ErrNotExist) (HDFS's getListing answers null: the RPC front end
// sends an empty answer).
func (n *Namespace) List(ctx context.Context, c *Caller, src, startAfter string) ([]Status, bool, error) {
	p, err := CleanPath(src)
	if err != nil {
		return nil, false, err
	}
	key := listingKey{c.user, p}
	fi, cont := fs.FileInfo{}, false
	if startAfter != "" {
		fi, cont = n.listings.Get(key)
	}
	if !cont {
		if err := c.traverse(ctx, p); err != nil {
			return nil, false, err
		}
		fi, err = c.stat(ctx, p)
		if missing(err) {
			return nil, false, Failf(iofs.ErrNotExist, "File %s does not exist.", p)
		}
		if err != nil {
			return nil, false, err
		}
	}
	if !fi.IsDir {
		// A file lists as itself, with an empty local name (HDFS's
		// EMPTY_NAME: the client uses the path it asked for).
		st := n.status(fi)
		st.Name = ""
		return []Status{st}, false, nil
	}
	if !cont && c.checking() && !c.allowed(fi, PermRead|PermExec) {
		return nil, false, c.denied(p, fi, PermRead|PermExec)
	}
	children, more, err := n.fs.List(ctx, p, startAfter, n.opts.ListLimit)
	if err != nil {
		if missing(err) {
			return nil, false, Failf(iofs.ErrNotExist, "File %s does not exist.", p)
		}
		return nil, false, err
	}
	out := make([]Status, len(children))
	for i, ch := range children {
		out[i] = n.status(ch)
	}
	if more {
		n.listings.Add(key, fi)
	}
	return out, more, nil
}

// forgetListings drops cached listings of p (after a change of p itself).
func (n *Namespace) forgetListings(p string) {
	for _, k := range n.listings.Keys() {
		if k.path == p {
			n.listings.Remove(k)
		}
	}
}

// OpenRead checks that the caller may read src, a file, and returns it
// (the block locations a front end hands out cover this version).
func (n *Namespace) OpenRead(ctx context.Context, c *Caller, src string) (Status, error) {
	p, err := c.checkedPath(ctx, src, PermRead)
	if err != nil {
		return Status{}, err
	}
	fi, err := c.fileStat(ctx, p)
	if err != nil {
		if n.leases.get(p) != nil {
			return Status{}, Failf(iofs.ErrNotExist, "%s is being written: its data becomes readable when the writer closes it (emrfsd has no hflush visibility)", p)
		}
		return Status{}, err
	}
	return n.status(fi), nil
}

// ContentSummary totals src (du, count).
func (n *Namespace) ContentSummary(ctx context.Context, c *Caller, src string) (fs.Summary, error) {
	p, fi, err := c.existingPath(ctx, src)
	if err != nil {
		return fs.Summary{}, err
	}
	if fi.IsDir && c.checking() && !c.allowed(fi, PermRead|PermExec) {
		return fs.Summary{}, c.denied(p, fi, PermRead|PermExec)
	}
	return n.fs.ContentSummary(ctx, p)
}

// PreferredBlockSize is the block size of file src.
func (n *Namespace) PreferredBlockSize(ctx context.Context, c *Caller, src string) (int64, error) {
	p, err := CleanPath(src)
	if err != nil {
		return 0, err
	}
	if err := c.traverse(ctx, p); err != nil {
		return 0, err
	}
	if f := n.leases.get(p); f != nil {
		return f.BlockSize, nil
	}
	fi, err := c.fileStat(ctx, p)
	if err != nil {
		return 0, err
	}
	return n.status(fi).BlockSize, nil
}

// CheckAccess checks mode (PermRead|PermWrite|PermExec bits) on src.
func (n *Namespace) CheckAccess(ctx context.Context, c *Caller, src string, mode int) error {
	p, _, err := c.existingPath(ctx, src)
	if err != nil {
		return err
	}
	return c.checkOn(ctx, p, mode&7)
}

// EnclosingRoot answers getEnclosingRoot: the directory under which
// temporary and staging paths for src belong so that renaming them into
// place works. HDFS answers the encryption zone holding src, else "/"; an
// emrfsd bucket is the like of a zone (its own encryption, and renames across
// buckets are refused), so a path in a served bucket answers the bucket's
// root, and "/" and the default bucket's paths (/user, /tmp, ...) answer "/".
// As HDFS, src need not exist; the caller must be able to traverse to it and
// read it if it does.
func (n *Namespace) EnclosingRoot(ctx context.Context, c *Caller, src string) (string, error) {
	p, err := CleanPath(src)
	if err != nil {
		return "", err
	}
	if err := c.checkOn(ctx, p, PermRead); err != nil {
		return "", err
	}
	roots, err := n.fs.BucketRoots(ctx)
	if err != nil {
		return "", err
	}
	for _, r := range roots {
		if p == r || strings.HasPrefix(p, r+"/") {
			return r, nil
		}
	}
	return "/", nil
}
