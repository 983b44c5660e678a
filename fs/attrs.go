package fs

import (
	"context"
	"fmt"
	iofs "io/fs"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// SetAttrs changes permission, ownership or times. Files are copied onto
// themselves with the merged metadata (MetadataDirective REPLACE; every
// other metadata key, notably the S3 Encryption Client's, is kept and the
// bucket's SSE parameters are re-sent). Directories get their marker
// rewritten, or created when they were implicit. A bucket root (/BUCKET,
// and "/" when there is a default bucket) gets its root object rewritten
// (see Options.DefaultBucket); "/" without a default bucket fails with
// ErrPermission. The modification time is pinned in metadata on the first
// change, so the copy's new LastModified does not show as a modification.
func (f *FS) SetAttrs(ctx context.Context, p string, a Attrs) error {
	defer f.folderMarkers.reset()
	return f.updateMeta(ctx, "setattrs", p, metaChange{a: a}, nil)
}

// SetXattr sets a user xattr ("user.NAME"). The name must be
// NAMESPACE.NAME (at most 255 bytes); the object's whole user metadata
// must stay within MaxMetadataBytes (else ErrInvalid).
func (f *FS) SetXattr(ctx context.Context, p, name string, value []byte) error {
	defer f.folderMarkers.reset()
	if err := checkXattrName(name); err != nil {
		return pathErr("setxattr", p, err)
	}
	return f.updateMeta(ctx, "setxattr", p, metaChange{setXattr: map[string][]byte{name: value}}, nil)
}

// RemoveXattr removes a user xattr; one that is not set fails with
// errs.ErrNoXattr.
func (f *FS) RemoveXattr(ctx context.Context, p, name string) error {
	defer f.folderMarkers.reset()
	if err := checkXattrName(name); err != nil {
		return pathErr("removexattr", p, err)
	}
	return f.updateMeta(ctx, "removexattr", p, metaChange{delXattr: []string{name}}, func(a attrs) error {
		if _, ok := a.xattrs[name]; !ok {
			return errs.ErrNoXattr
		}
		return nil
	})
}

// updateMeta applies a metadata change to the file or directory at p;
// check, if set, vets the current metadata first.
func (f *FS) updateMeta(ctx context.Context, op, p string, c metaChange, check func(attrs) error) error {
	l, err := f.resolve(ctx, p)
	if err != nil {
		return pathErr(op, p, err)
	}
	f.dropDirs(l, false)
	defer f.dropDirs(l, false)
	return pathErr(op, p, f.updateMetaAt(ctx, l, c, check))
}

func (f *FS) updateMetaAt(ctx context.Context, l loc, c metaChange, check func(attrs) error) error {
	if l.isRoot() || l.isTop() {
		return f.updateRoot(ctx, l, c, check)
	}
	fd, err := f.lookup(ctx, l)
	if err != nil {
		return err
	}
	if fd.kind == kindNone {
		return iofs.ErrNotExist
	}
	var cur map[string]string
	if fd.head != nil {
		cur = fd.head.Metadata
		c.keepMtime = aws.ToTime(fd.head.LastModified)
	}
	if check != nil {
		if err := check(decodeMeta(cur)); err != nil {
			return err
		}
	}
	md := c.apply(cur)
	if err := checkMetaSize(md); err != nil {
		return err
	}
	if fd.kind == kindDir {
		return f.replaceMarker(ctx, l, md)
	}
	pr, err := f.provider(ctx, l)
	if err != nil {
		return err
	}
	size := aws.ToInt64(fd.head.ContentLength)
	res, err := f.copyObject(ctx, copySpec{
		bucket: l.bucket, src: l.key, dst: l.key,
		size: size, ifMatch: aws.ToString(fd.head.ETag), sse: providers.CopySSE(pr),
		head: fd.head, meta: md,
	})
	if err != nil {
		if isPrecondition(err) {
			return fmt.Errorf("%w: %w", errs.ErrChanged, err)
		}
		return err
	}
	plain := int64(-1)
	if old, ok := f.recall(l.bucket, l.key); ok && old.etag == aws.ToString(fd.head.ETag) {
		plain = old.plain
	}
	f.rememberWrite(l.bucket, l.key, res.etag, size, plain, res.lastMod, md)
	return nil
}
