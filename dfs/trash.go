package dfs

import (
	"context"
	"errors"
	iofs "io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// Trash.
//
// A Hadoop client deleting with fs.trash.interval > 0 renames the path into
// FileSystem.getTrashRoot(path) instead. For HDFS that is /user/USER/.Trash,
// which here would be a rename from a bucket into the default bucket: a
// copy that would move data out of its bucket's encryption. So emrfsd
// reports every bucket root as a snapshottable directory and
// snapshotTrashRootEnabled in its server defaults; clients then use
// /BUCKET/.Trash/USER for paths in a bucket (Hadoop's snapshot trash root,
// HDFS-15607) and /user/USER/.Trash for the rest. /BUCKET/.Trash is made,
// 1777 and owned by the superuser, the first time a user's trash needs it.
//
// With Options.TrashInterval set, RunTrash checkpoints and empties every
// trash directory as Hadoop's TrashPolicyDefault emptier does: Current is
// renamed to a yyMMddHHmmss checkpoint every checkpoint interval, and
// checkpoints older than the interval are deleted.

// TrashDir is the name of trash directories (FileSystem.TRASH_PREFIX).
const TrashDir = ".Trash"

const (
	trashCurrent    = "Current"
	checkpointFmt   = "060102150405" // yyMMddHHmmss
	checkpointShort = "0601021504"   // yyMMddHHmm, older clients
)

// BucketRoots are the directories reported as snapshottable (trash roots
// of the files below them): the bucket roots the caller can see.
func (n *Namespace) BucketRoots(ctx context.Context, c *Caller) ([]Status, error) {
	roots, err := n.fs.BucketRoots(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(roots))
	for _, r := range roots {
		fi, err := c.stat(ctx, r)
		if err != nil {
			if missing(err) {
				continue
			}
			return nil, err
		}
		out = append(out, n.status(fi))
	}
	return out, nil
}

// provisionTrash makes /TOP/.Trash (1777, the superuser's) when p is below
// it, TOP is a bucket root and it does not exist yet, so every user can
// make their own trash directory in it.
func (n *Namespace) provisionTrash(ctx context.Context, c *Caller, p string) error {
	elems := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 3)
	if len(elems) < 2 || elems[1] != TrashDir {
		return nil
	}
	trash := "/" + elems[0] + "/" + TrashDir
	if _, err := c.stat(ctx, trash); err == nil || !missing(err) {
		return nil
	}
	roots, err := n.fs.BucketRoots(ctx)
	if err != nil {
		return err
	}
	for _, r := range roots {
		if r == "/"+elems[0] {
			defer c.forget()
			err := n.fs.Mkdirs(ctx, trash, 01777, n.opts.SuperUser, n.opts.SuperUserGroup, false)
			if err != nil && !errors.Is(err, iofs.ErrExist) {
				return err
			}
			return nil
		}
	}
	return nil
}

// RunTrash checkpoints and empties trash every checkpoint interval until
// ctx ends or Close is called; it returns at once when trash is off.
func (n *Namespace) RunTrash(ctx context.Context) {
	if n.opts.TrashInterval <= 0 {
		return
	}
	every := n.opts.TrashCheckpointInterval
	if every <= 0 || every > n.opts.TrashInterval {
		every = n.opts.TrashInterval
	}
	n.every(ctx, every, func(now time.Time) {
		if err := n.EmptyTrash(ctx, now); err != nil {
			n.log.Warn("trash emptier", "err", err)
		}
	})
}

// EmptyTrash runs one emptier pass at now: in every user's trash
// directory, checkpoints older than the trash interval are deleted and
// Current becomes a checkpoint.
func (n *Namespace) EmptyTrash(ctx context.Context, now time.Time) error {
	su := n.Caller(n.opts.SuperUser)
	var homes []string
	roots, err := n.fs.BucketRoots(ctx)
	if err != nil {
		return err
	}
	for _, r := range roots {
		homes = append(homes, path.Join(r, TrashDir))
	}
	var errs []error
	for _, trash := range homes {
		users, err := n.listAll(ctx, trash)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, u := range users {
			if u.IsDir {
				errs = append(errs, n.emptyUserTrash(ctx, su, u.Path, now))
			}
		}
	}
	// Home-directory trash: /user/NAME/.Trash (in the default bucket).
	if users, err := n.listAll(ctx, "/user"); err == nil {
		for _, u := range users {
			if !u.IsDir {
				continue
			}
			if fi, err := n.fs.Stat(ctx, path.Join(u.Path, TrashDir)); err == nil && fi.IsDir {
				errs = append(errs, n.emptyUserTrash(ctx, su, fi.Path, now))
			}
		}
	}
	return errors.Join(errs...)
}

// listAll lists every child of dir; a missing dir has none.
func (n *Namespace) listAll(ctx context.Context, dir string) ([]Status, error) {
	var out []Status
	after := ""
	for {
		children, more, err := n.fs.List(ctx, dir, after, n.opts.ListLimit)
		if err != nil {
			if missing(err) {
				return out, nil
			}
			return out, err
		}
		for _, ch := range children {
			out = append(out, n.status(ch))
		}
		if !more || len(children) == 0 {
			return out, nil
		}
		after = children[len(children)-1].Name
	}
}

func (n *Namespace) emptyUserTrash(ctx context.Context, su *Caller, root string, now time.Time) error {
	entries, err := n.listAll(ctx, root)
	if err != nil {
		return err
	}
	var errs []error
	hasCurrent := false
	for _, e := range entries {
		if e.Name == trashCurrent {
			hasCurrent = true
			continue
		}
		if !e.IsDir {
			continue
		}
		at, ok := checkpointTime(e.Name)
		if !ok {
			continue
		}
		if now.Sub(at) > n.opts.TrashInterval {
			if _, err := n.Delete(ctx, su, e.Path, true); err != nil {
				errs = append(errs, err)
			} else {
				n.log.Info("trash checkpoint deleted", "path", e.Path)
			}
		}
	}
	if hasCurrent {
		name := now.UTC().Format(checkpointFmt)
		dst := path.Join(root, name)
		for i := 1; ; i++ {
			if _, err := n.fs.Stat(ctx, dst); missing(err) {
				break
			}
			dst = path.Join(root, name+"-"+strconv.Itoa(i))
			if i > 9 {
				return errors.Join(append(errs, Failf(ErrIO, "no free checkpoint name in %s", root))...)
			}
		}
		if err := n.Rename2(ctx, su, path.Join(root, trashCurrent), dst, false); err != nil {
			errs = append(errs, err)
		} else {
			n.log.Info("trash checkpoint created", "path", dst)
		}
	}
	return errors.Join(errs...)
}

// checkpointTime parses a checkpoint directory name (yyMMddHHmmss, an older
// client's yyMMddHHmm, optionally with a "-N" suffix).
func checkpointTime(name string) (time.Time, bool) {
	if i := strings.IndexByte(name, '-'); i > 0 {
		name = name[:i]
	}
	for _, f := range []string{checkpointFmt, checkpointShort} {
		if len(name) == len(f) {
			if t, err := time.ParseInLocation(f, name, time.UTC); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}
