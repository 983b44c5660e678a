package dfs

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"path"
	"time"

	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// CreateRequest describes a create (HDFS CreateFlag and friends).
type CreateRequest struct {
	// Holder is the client name that will hold the lease.
	Holder string
	// Perm is the permission, already masked by the client's umask.
	Perm uint32
	// Create and Overwrite are HDFS's CREATE and OVERWRITE flags; Append
	// its APPEND flag (refused: S3 objects are immutable).
	Create, Overwrite, Append bool
	CreateParent              bool
	// BlockSize is the file's block size (0: Options.BlockSize).
	BlockSize int64
	// Replication is the replication the client asked for (0: default);
	// S3 keeps its own redundancy, the value is recorded and reported.
	Replication int
}

// Create opens src for writing under req.Holder's lease. The file appears
// when the front end completes it (Complete), and an abort leaves nothing.
// One writer per path: another client's open file is taken over only
// once its lease passed the soft limit.
func (n *Namespace) Create(ctx context.Context, c *Caller, src string, req CreateRequest) (*OpenFile, error) {
	p, err := CleanPath(src)
	if err != nil {
		return nil, err
	}
	if p == "/" {
		return nil, Failf(iofs.ErrExist, "/ already exists as a directory")
	}
	if err := n.checkNewName(p); err != nil {
		return nil, err
	}
	// A client at its open-file limit is refused before any S3 request:
	// a hoarding client's further creates cost nothing (reserve below
	// decides for good).
	if full := n.leases.full(req.Holder, n.opts.MaxOpenFilesPerClient); full != "" {
		return nil, fmt.Errorf("cannot create %s: %s", p, full)
	}
	if err := n.homeFor(ctx, c, p); err != nil {
		return nil, err
	}
	holder := req.Holder
	if err := c.checkAncestor(ctx, p); err != nil {
		return nil, err
	}
	// The parent first: nothing can be at p below a parent that is missing
	// (its probes found no key under it), so a create in a new directory
	// (a task's first file of each partition) skips p's own probes.
	parent := path.Dir(p)
	pfi, perr := c.stat(ctx, parent)
	var fi fs.FileInfo
	err = iofs.ErrNotExist
	if !errors.Is(perr, iofs.ErrNotExist) {
		fi, err = c.statBeforeCreate(ctx, p)
	}
	switch {
	case err == nil && fi.IsDir:
		return nil, Failf(iofs.ErrExist, "%s already exists as a directory", p)
	case err == nil && req.Append:
		return nil, appendUnsupported(p)
	case err == nil && !req.Overwrite:
		return nil, Failf(iofs.ErrExist, "%s for client %s already exists", p, holder)
	case err == nil:
		if err := c.checkOn(ctx, p, PermWrite); err != nil {
			return nil, err
		}
	case missing(err):
		if !req.Create && !req.Append {
			return nil, Failf(iofs.ErrNotExist, "File does not exist: %s", p)
		}
	default:
		return nil, err
	}
	switch {
	case perr == nil && !pfi.IsDir:
		return nil, Failf(errs.ErrNotDir, "%s (is not a directory)", parent)
	case errors.Is(perr, iofs.ErrNotExist) && !req.CreateParent:
		return nil, Failf(iofs.ErrNotExist, "Parent directory doesn't exist: %s", parent)
	case perr != nil && !missing(perr):
		return nil, perr
	}
	group, err := c.inheritedGroup(ctx, p)
	if err != nil {
		return nil, err
	}
	blockSize := req.BlockSize
	if blockSize <= 0 {
		blockSize = n.opts.BlockSize
	}
	if blockSize%512 != 0 {
		return nil, Failf(ErrIllegalArgument, "block size %d is not a multiple of 512", blockSize)
	}
	replication := req.Replication
	if replication <= 0 {
		replication = n.opts.Replication
	}
	if replication > maxReplication {
		return nil, Failf(ErrIO, "Requested replication factor of %d exceeds maximum of %d for %s", replication, maxReplication, p)
	}
	now := time.Now()
	f := &OpenFile{Path: p, ID: FileID(p), Holder: holder, BlockSize: blockSize, Replication: replication,
		info: fs.FileInfo{Path: p, Name: path.Base(p), ModTime: now, AccessTime: now,
			Owner: c.user, Group: group, Perm: req.Perm & 07777}}
	for tries := 0; ; tries++ {
		existing, full := n.leases.reserve(f, n.opts.MaxOpenFiles, n.opts.MaxOpenFilesPerClient)
		if full != "" {
			return nil, fmt.Errorf("cannot create %s: %s", p, full)
		}
		if existing == nil {
			break
		}
		if existing.Holder == holder {
			return nil, Failf(ErrAlreadyBeingCreated,
				"failed to create file %s for %s for client %s because current leaseholder is trying to recreate file.", p, holder, c.user)
		}
		if tries > 0 || time.Since(n.leases.renewedAt(existing.Holder)) < n.opts.LeaseSoftLimit {
			return nil, Failf(ErrAlreadyBeingCreated,
				"Failed to CREATE_FILE %s for %s because this file lease is currently owned by %s", p, holder, existing.Holder)
		}
		n.Abort(ctx, existing, "lease soft limit expired and "+holder+" creates the file")
	}
	f.mu.Lock()
	// The upload outlives this call (and the client's connection): the file
	// lives until it completes, is aborted, or its lease expires.
	w, err := n.fs.Create(context.WithoutCancel(ctx), p, fs.CreateOptions{Overwrite: req.Overwrite, CreateParent: req.CreateParent, Checked: true,
		Perm: f.info.Perm, Owner: f.info.Owner, Group: f.info.Group, BlockSize: blockSize, Replication: replication})
	if err != nil {
		f.done = true
		f.mu.Unlock()
		n.leases.release(f)
		return nil, err
	}
	f.w = w
	f.mu.Unlock()
	c.forget()
	return f, nil
}

func appendUnsupported(p string) error {
	return Failf(errors.ErrUnsupported, "append to %s is not supported: S3 objects are immutable", p)
}

// Append refuses to append to src (after the checks HDFS makes first).
func (n *Namespace) Append(ctx context.Context, c *Caller, src string) error {
	p, err := c.checkedPath(ctx, src, PermWrite)
	if err != nil {
		return err
	}
	if _, err := c.fileStat(ctx, p); err != nil {
		return err
	}
	return appendUnsupported(p)
}

// RecoverLease ends the write of src, if any: unlike HDFS, the partial data
// cannot be kept (S3 shows an object only once its upload completes), so
// the write is discarded. It reports true: the file is closed.
func (n *Namespace) RecoverLease(ctx context.Context, c *Caller, src, holder string) (bool, error) {
	p, err := c.checkedPath(ctx, src, PermWrite)
	if err != nil {
		return false, err
	}
	if f := n.leases.get(p); f != nil {
		n.Abort(ctx, f, "recoverLease by "+holder)
		return true, nil
	}
	if _, err := c.fileStat(ctx, p); err != nil {
		return false, err
	}
	return true, nil
}

// IsFileClosed reports whether file src is closed (not being written).
func (n *Namespace) IsFileClosed(ctx context.Context, c *Caller, src string) (bool, error) {
	p, err := CleanPath(src)
	if err != nil {
		return false, err
	}
	if err := c.traverse(ctx, p); err != nil {
		return false, err
	}
	if n.leases.get(p) != nil {
		return false, nil
	}
	if _, err := c.fileStat(ctx, p); err != nil {
		return false, err
	}
	return true, nil
}

// Truncate cuts file src to size: to its current size (nothing to do) or
// to 0 (an empty object replaces it). Other sizes are refused: S3 objects
// are immutable. It reports true: no block recovery is pending.
func (n *Namespace) Truncate(ctx context.Context, c *Caller, src string, size int64, holder string) (bool, error) {
	p, err := c.checkedPath(ctx, src, PermWrite)
	if err != nil {
		return false, err
	}
	fi, err := c.fileStat(ctx, p)
	if err != nil {
		return false, err
	}
	if n.leases.get(p) != nil {
		return false, Failf(ErrAlreadyBeingCreated, "Failed to TRUNCATE_FILE %s for %s: the file is being written", p, holder)
	}
	switch {
	case size < 0 || size > fi.Size:
		return false, Failf(ErrIllegalArgument, "Cannot truncate to a larger file size. Current size: %d, truncate size: %d.", fi.Size, size)
	case size == fi.Size:
	case size == 0:
		defer c.forget()
		w, err := n.fs.Create(ctx, p, fs.CreateOptions{Overwrite: true, Perm: fi.Perm, Owner: fi.Owner, Group: fi.Group})
		if err != nil {
			return false, err
		}
		if err := w.Close(ctx); err != nil {
			w.Abort(context.WithoutCancel(ctx))
			return false, err
		}
	default:
		return false, Failf(errors.ErrUnsupported, "truncate of %s to %d bytes is not supported: S3 objects are immutable (only truncation to 0 is)", p, size)
	}
	return true, nil
}
