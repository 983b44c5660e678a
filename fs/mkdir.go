package fs

import (
	"bytes"
	"context"
	iofs "io/fs"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// Mkdirs creates a directory (and its parents when createParent) as marker
// objects "dir/" carrying perm, owner, group and the creation time as
// modification time; parents get perm plus u+wx, as in HDFS. An existing
// directory is success. A file at p fails with ErrExist, a file among the
// parents with errs.ErrNotDir, a missing parent without createParent with
// ErrNotExist, and a missing top-level directory with ErrPermission
// (without a default bucket, where new top-level names live).
func (f *FS) Mkdirs(ctx context.Context, p string, perm uint32, owner, group string, createParent bool) error {
	defer f.folderMarkers.reset()
	l, err := f.resolve(ctx, p)
	if err != nil {
		if err == iofs.ErrNotExist { // unknown top-level directory
			err = iofs.ErrPermission
		}
		return pathErr("mkdirs", p, err)
	}
	// Only what is missing gets made, so no directory found before can
	// change: the cache is dropped beforehand (l is looked up afresh), and
	// the directories made are then known without asking S3.
	f.dropDirs(l, false)
	return pathErr("mkdirs", p, f.mkdirs(ctx, l, perm, owner, group, createParent))
}

// inheritPerm asks mkdirs for HDFS's implicit parents of a new file: every
// missing directory gets the nearest existing ancestor's permission plus
// u+wx.
const inheritPerm = ^uint32(0)

func (f *FS) mkdirs(ctx context.Context, l loc, perm uint32, owner, group string, createParent bool) error {
	fd, err := f.lookupNoFile(ctx, l)
	if err != nil {
		return err
	}
	switch {
	case fd.kind == kindDir:
		return nil
	case fd.kind == kindFile:
		return iofs.ErrExist
	case l.isTop():
		return iofs.ErrPermission
	case fd.hidden:
		return errReserved
	}
	// Walk up to the nearest existing ancestor, collecting the missing ones.
	var missing []loc
	for par := l.parent(); ; par = par.parent() {
		if par.isTop() || par.isRoot() {
			if perm == inheritPerm {
				fi, err := f.statRoot(ctx, par)
				if err != nil {
					return err
				}
				perm = fi.Perm | 0o300
			}
			break
		}
		fd, err := f.lookupNoFile(ctx, par)
		if err != nil {
			return err
		}
		if fd.kind == kindFile {
			return errs.ErrNotDir
		}
		if fd.kind == kindDir {
			if perm == inheritPerm {
				perm = DefaultDirPerm | 0o300
				if fd.head != nil {
					if a := decodeMeta(fd.head.Metadata); a.hasPerm {
						perm = a.perm | 0o300
					}
				}
			}
			break
		}
		if !createParent {
			return iofs.ErrNotExist
		}
		if fd.hidden {
			return errReserved
		}
		missing = append(missing, par)
	}
	// Ancestors first, as HDFS does, with u+wx so the owner can use them.
	now := time.Now()
	for i := len(missing) - 1; i >= 0; i-- {
		if err := f.makeDir(ctx, missing[i], newMarkerMeta(perm|0o300, owner, group, now), now); err != nil {
			return err
		}
	}
	return f.makeDir(ctx, l, newMarkerMeta(perm, owner, group, now), now)
}

// makeDir writes l's marker and, when this call wrote it, puts the new
// directory in the directory cache: the next file created in it (a task
// writing its partitions) then needs no lookup of its parents.
func (f *FS) makeDir(ctx context.Context, l loc, md map[string]string, now time.Time) error {
	wrote, err := f.putMarker(ctx, l, md)
	if wrote {
		f.dirs.put(l.bucket, l.key, madeDir(md, now))
	}
	return err
}

// putMarker writes l's directory marker if none exists (a marker written
// concurrently by someone else wins) and says whether it wrote it.
func (f *FS) putMarker(ctx context.Context, l loc, md map[string]string) (bool, error) {
	in := &s3.PutObjectInput{
		Bucket:        aws.String(l.bucket),
		Key:           aws.String(l.dirPrefix()),
		Body:          bytes.NewReader(nil),
		ContentLength: aws.Int64(0),
		ContentType:   aws.String(dirContentType),
		Metadata:      md,
		IfNoneMatch:   aws.String("*"),
	}
	if err := f.setMarkerSSE(ctx, l, in); err != nil {
		return false, err
	}
	out, err := f.opts.S3.PutObject(ctx, in)
	if err != nil {
		if isPrecondition(err) {
			return false, nil
		}
		return false, err
	}
	f.rememberWrite(l.bucket, l.dirPrefix(), aws.ToString(out.ETag), 0, 0, time.Time{}, md)
	return true, nil
}

// replaceMarker writes l's directory marker unconditionally.
func (f *FS) replaceMarker(ctx context.Context, l loc, md map[string]string) error {
	in := &s3.PutObjectInput{
		Bucket:        aws.String(l.bucket),
		Key:           aws.String(l.dirPrefix()),
		Body:          bytes.NewReader(nil),
		ContentLength: aws.Int64(0),
		ContentType:   aws.String(dirContentType),
		Metadata:      md,
	}
	if err := f.setMarkerSSE(ctx, l, in); err != nil {
		return err
	}
	out, err := f.opts.S3.PutObject(ctx, in)
	if err != nil {
		return err
	}
	f.rememberWrite(l.bucket, l.dirPrefix(), aws.ToString(out.ETag), 0, 0, time.Time{}, md)
	return nil
}

// setMarkerSSE sends the bucket's SSE parameters with markers so bucket
// policies that require them accept the PUT.
func (f *FS) setMarkerSSE(ctx context.Context, l loc, in *s3.PutObjectInput) error {
	pr, err := f.provider(ctx, l)
	if err != nil {
		return err
	}
	setPutSSE(in, providers.CopySSE(pr))
	return nil
}

// dirContentType is what S3A gives its markers.
const dirContentType = "application/x-directory"
