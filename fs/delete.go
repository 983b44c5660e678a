package fs

import (
	"context"
	"errors"
	iofs "io/fs"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// deleteBatch is DeleteObjects' limit.
const deleteBatch = 1000

// Delete removes p; it reports false (and no error) when p does not exist.
// A file goes with its instruction file. A non-empty directory needs
// recursive (else errs.ErrNotEmpty); then every object below it is deleted in
// batches. The parent stays visible: if p was its last child, a marker is
// written for it (as S3A does). Top-level directories fail with
// ErrPermission.
func (f *FS) Delete(ctx context.Context, p string, recursive bool) (bool, error) {
	defer f.folderMarkers.reset()
	l, err := f.resolve(ctx, p)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return false, nil
		}
		return false, pathErr("delete", p, err)
	}
	parentMarked := f.knownMarked(ctx, l.parent())
	f.dropDirs(l, true)
	defer f.dropDirs(l, true)
	ok, err := f.delete(ctx, l, recursive, parentMarked)
	return ok, pathErr("delete", p, err)
}

// delete removes l; parentMarked: l's parent is known to have its own
// marker, so it stays without keepParent's listing.
func (f *FS) delete(ctx context.Context, l loc, recursive, parentMarked bool) (bool, error) {
	if l.isRoot() || l.isTop() {
		return false, iofs.ErrPermission
	}
	fd, err := f.lookup(ctx, l)
	if err != nil {
		return false, err
	}
	switch fd.kind {
	case kindNone:
		return false, nil
	case kindFile:
		if err := f.deleteKeys(ctx, l.bucket, []string{l.key, l.key + instructionSuffix}); err != nil {
			return false, err
		}
	case kindDir:
		if !recursive {
			empty, err := f.dirEmpty(ctx, l)
			if err != nil {
				return false, err
			}
			if !empty {
				return false, errs.ErrNotEmpty
			}
		}
		if err := f.deleteTree(ctx, l); err != nil {
			return false, err
		}
	}
	if parentMarked {
		return true, nil
	}
	return true, f.keepParent(ctx, l)
}

// dirEmpty reports whether a directory has no children (its own markers
// aside).
func (f *FS) dirEmpty(ctx context.Context, l loc) (bool, error) {
	out, err := f.opts.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:  aws.String(l.bucket),
		Prefix:  aws.String(l.dirPrefix()),
		MaxKeys: aws.Int32(2),
	})
	if err != nil {
		return false, err
	}
	for _, o := range out.Contents {
		if aws.ToString(o.Key) != l.dirPrefix() {
			return false, nil
		}
	}
	return true, nil
}

// deleteTree deletes every object below a directory, then its markers.
func (f *FS) deleteTree(ctx context.Context, l loc) error {
	batch := make([]string, 0, deleteBatch)
	err := f.walk(ctx, l.bucket, l.dirPrefix(), func(o s3types.Object) error {
		if aws.ToString(o.Key) == l.dirPrefix() {
			return nil
		}
		batch = append(batch, aws.ToString(o.Key))
		if len(batch) == deleteBatch {
			if err := f.deleteKeys(ctx, l.bucket, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The markers go last, so a failure midway leaves the directory visible.
	if len(batch)+2 > deleteBatch {
		if err := f.deleteKeys(ctx, l.bucket, batch); err != nil {
			return err
		}
		batch = batch[:0]
	}
	batch = append(batch, l.dirPrefix(), l.key+folderSuffix)
	f.folderMarkers.forget(l.bucket, l.key+folderSuffix)
	return f.deleteKeys(ctx, l.bucket, batch)
}

// walk calls fn for every object whose key starts with prefix, in key
// order, following ListObjectsV2 pagination.
func (f *FS) walk(ctx context.Context, bucket, prefix string, fn func(s3types.Object) error) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
	for {
		out, err := f.opts.S3.ListObjectsV2(ctx, in)
		if err != nil {
			return err
		}
		for _, o := range out.Contents {
			if err := fn(o); err != nil {
				return err
			}
		}
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" {
			return nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

// deleteKeys deletes up to deleteBatch keys in one request; missing keys
// are fine.
func (f *FS) deleteKeys(ctx context.Context, bucket string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	ids := make([]s3types.ObjectIdentifier, len(keys))
	for i, k := range keys {
		ids[i] = s3types.ObjectIdentifier{Key: aws.String(k)}
		f.forget(bucket, k)
	}
	out, err := f.opts.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String(bucket),
		Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)},
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range out.Errors {
		if aws.ToString(e.Code) == "NoSuchKey" {
			continue
		}
		if code := aws.ToString(e.Code); overlongSegment(aws.ToString(e.Key)) && (code == "XMinioInvalidObjectName" || code == "KeyTooLongError") {
			continue // a derived key the store cannot hold: nothing to delete
		}
		errs = append(errs, &codeError{key: aws.ToString(e.Key), code: aws.ToString(e.Code), msg: aws.ToString(e.Message)})
	}
	if len(errs) > 0 {
		return classify(errs[0])
	}
	return nil
}

// keepParent writes a marker for l's parent when l was its last child, so
// the parent directory does not vanish with it.
func (f *FS) keepParent(ctx context.Context, l loc) error {
	par := l.parent()
	if par.isRoot() || par.isTop() {
		return nil
	}
	out, err := f.opts.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:  aws.String(par.bucket),
		Prefix:  aws.String(par.dirPrefix()),
		MaxKeys: aws.Int32(1),
	})
	if err != nil {
		return err
	}
	if len(out.Contents) > 0 || len(out.CommonPrefixes) > 0 {
		return nil
	}
	// Removing a child changes a directory's modification time.
	_, err = f.putMarker(ctx, par, map[string]string{metaMtime: formatMillis(time.Now())})
	return err
}
