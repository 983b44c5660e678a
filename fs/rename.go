package fs

import (
	"context"
	"fmt"
	iofs "io/fs"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// Rename moves src to dst (file: server-side copy keeping encryption and
// metadata, then delete; directory: every object below it).
//
// HDFS rename2 semantics: a missing src fails with ErrNotExist; src == dst
// and an existing dst without overwrite with ErrExist; a file onto a
// directory with errs.ErrIsDir, a directory onto a file with ErrExist; a
// non-empty dst directory with errs.ErrNotEmpty; a missing dst parent with
// ErrNotExist (errs.ErrNotDir if it is a file); dst inside src, and src and dst
// in different buckets, with ErrInvalid; top-level directories with
// ErrPermission. The rename is not atomic: a directory is copied (up to
// CopyWorkers objects at a time) then deleted, one listing page at a time.
func (f *FS) Rename(ctx context.Context, src, dst string, overwrite bool) error {
	defer f.folderMarkers.reset()
	ls, err := f.resolve(ctx, src)
	if err != nil {
		return pathErr("rename", src, err)
	}
	ld, err := f.resolve(ctx, dst)
	if err != nil {
		if elems, _ := splitPath(dst); len(elems) == 1 {
			err = iofs.ErrPermission // a new top-level directory
		}
		return pathErr("rename", dst, err)
	}
	parentMarked := f.knownMarked(ctx, ls.parent())
	f.dropDirs(ls, true)
	f.dropDirs(ld, false)
	moved, err := f.rename(ctx, ls, ld, overwrite, parentMarked)
	f.dropDirs(ls, true)
	f.dropDirs(ld, false)
	if err == nil && moved.kind == kindDir {
		// A committer lists the directory it has just moved.
		f.dirs.put(ld.bucket, ld.key, moved)
	}
	return pathErr("rename", src, err)
}

// rename moves ls to ld. For a directory whose marker it moved, it
// returns what a lookup of ld would now find. parentMarked: ls's parent is
// known to have its own marker, so it stays without keepParent's listing.
func (f *FS) rename(ctx context.Context, ls, ld loc, overwrite, parentMarked bool) (found, error) {
	switch {
	case ls.isRoot() || ls.isTop() || ld.isRoot() || ld.isTop():
		return found{}, iofs.ErrPermission
	case ls.bucket != ld.bucket:
		return found{}, fmt.Errorf("%w: rename across buckets", iofs.ErrInvalid)
	case ls.contains(ld):
		return found{}, fmt.Errorf("%w: destination %s is inside the source", iofs.ErrInvalid, ld.path)
	}
	sfd, err := f.lookup(ctx, ls)
	if err != nil {
		return found{}, err
	}
	if sfd.kind == kindNone {
		return found{}, iofs.ErrNotExist
	}
	if ls.key == ld.key {
		return found{}, fmt.Errorf("%w: source and destination are the same", iofs.ErrExist)
	}
	dfd, err := f.lookupNoFile(ctx, ld)
	if err != nil {
		return found{}, err
	}
	if dfd.hidden {
		return found{}, errReserved
	}
	if dfd.kind != kindNone {
		switch {
		case !overwrite:
			return found{}, iofs.ErrExist
		case sfd.kind == kindFile && dfd.kind == kindDir:
			return found{}, errs.ErrIsDir
		case sfd.kind == kindDir && dfd.kind == kindFile:
			return found{}, fmt.Errorf("%w: cannot overwrite a file with a directory", iofs.ErrExist)
		case dfd.kind == kindDir:
			empty, err := f.dirEmpty(ctx, ld)
			if err != nil {
				return found{}, err
			}
			if !empty {
				return found{}, errs.ErrNotEmpty
			}
		}
	}
	pfd, err := f.lookupNoFile(ctx, ld.parent())
	if err != nil {
		return found{}, err
	}
	switch pfd.kind {
	case kindNone:
		return found{}, iofs.ErrNotExist
	case kindFile:
		return found{}, errs.ErrNotDir
	}
	pr, err := f.provider(ctx, ls)
	if err != nil {
		return found{}, err
	}
	var moved found
	if sfd.kind == kindFile {
		err = f.renameFile(ctx, pr, ls, ld, sfd.head, dfd.kind == kindFile)
		if err == nil {
			f.probeOrder.fileAt(ld)
		}
	} else {
		moved, err = f.renameDir(ctx, pr, ls, ld, sfd)
	}
	if err != nil || parentMarked {
		return moved, err
	}
	return moved, f.keepParent(ctx, ls)
}

// renameFile copies the instruction file (if any) and the object, keeping
// its metadata and modification time, then deletes the source.
func (f *FS) renameFile(ctx context.Context, pr providers.Provider, ls, ld loc, h *s3.HeadObjectOutput, dstWasFile bool) error {
	sse := providers.CopySSE(pr)
	ih, err := f.head(ctx, ls.bucket, ls.key+instructionSuffix)
	hasInstr := err == nil
	if err != nil && !isNotExist(err) {
		return err
	}
	if hasInstr {
		_, err := f.copyObject(ctx, copySpec{
			bucket: ls.bucket, src: ls.key + instructionSuffix, dst: ld.key + instructionSuffix,
			size: aws.ToInt64(ih.ContentLength), ifMatch: aws.ToString(ih.ETag), sse: sse,
		})
		if err != nil {
			return err
		}
	}
	meta := metaChange{keepMtime: aws.ToTime(h.LastModified)}.apply(h.Metadata)
	size := aws.ToInt64(h.ContentLength)
	res, err := f.copyObject(ctx, copySpec{
		bucket: ls.bucket, src: ls.key, dst: ld.key,
		size: size, ifMatch: aws.ToString(h.ETag), sse: sse,
		head: h, meta: meta,
	})
	if err != nil {
		if isPrecondition(err) {
			return fmt.Errorf("%w: %w", errs.ErrChanged, err) // the source changed meanwhile
		}
		return err
	}
	plain := int64(-1)
	if old, ok := f.recall(ls.bucket, ls.key); ok && old.etag == aws.ToString(h.ETag) {
		plain = old.plain
	}
	f.rememberWrite(ld.bucket, ld.key, res.etag, size, plain, res.lastMod, meta)
	keys := []string{ls.key, ls.key + instructionSuffix}
	if !hasInstr && dstWasFile {
		keys = append(keys, ld.key+instructionSuffix) // the replaced file's
	}
	return f.deleteKeys(ctx, ls.bucket, keys)
}

// renameDir copies every object below ls (markers, sidecars and EMRFS
// folder markers included) to the same relative key below ld, then
// deletes it; the source's own markers are deleted last. sfd is the
// source's lookup: a marker it HEADed is copied without asking again
// (unconditionally, as listed markers are: an empty marker that changed
// meanwhile only carries newer metadata, which is what should move), and a
// folder marker it saw missing is not asked for.
//
// It returns what a lookup of ld finds afterwards when it moved the
// source's marker (kindNone otherwise).
func (f *FS) renameDir(ctx context.Context, pr providers.Provider, ls, ld loc, sfd found) (found, error) {
	sp, dp := ls.dirPrefix(), ld.dirPrefix()
	sse := providers.CopySSE(pr)
	// The source's markers first: the destination is visible (and keeps
	// the directory's metadata) from the start.
	var srcMarkers []string
	var moved found
	for _, k := range [][2]string{{sp, dp}, {ls.key + folderSuffix, ld.key + folderSuffix}} {
		var h *s3.HeadObjectOutput
		ifMatch, reused := "", false
		switch {
		case k[0] == sp && sfd.head != nil:
			h, reused = sfd.head, true
		case k[0] != sp && sfd.noFolder:
			continue
		default:
			var err error
			h, err = f.head(ctx, ls.bucket, k[0])
			if err != nil {
				if isNotExist(err) {
					continue
				}
				return found{}, err
			}
			ifMatch = aws.ToString(h.ETag)
		}
		res, err := f.copyObject(ctx, copySpec{bucket: ls.bucket, src: k[0], dst: k[1], size: aws.ToInt64(h.ContentLength), ifMatch: ifMatch, sse: sse})
		if err != nil {
			if reused && isNotExist(err) {
				continue // the marker went away since the lookup
			}
			return found{}, err
		}
		if k[0] == sp {
			f.rememberWrite(ld.bucket, dp, res.etag, 0, 0, res.lastMod, h.Metadata)
			moved = madeDir(h.Metadata, res.lastMod)
		} else {
			moved.noFolder = false
		}
		srcMarkers = append(srcMarkers, k[0])
	}
	var page []s3types.Object
	flush := func() error {
		err := parallel(ctx, f.opts.CopyWorkers, len(page), func(ctx context.Context, i int) error {
			o := page[i]
			k := aws.ToString(o.Key)
			res, err := f.copyObject(ctx, copySpec{bucket: ls.bucket, src: k, dst: dp + k[len(sp):], size: aws.ToInt64(o.Size), ifMatch: listedCopyETag(o), sse: sse})
			if err != nil {
				if isPrecondition(err) {
					return fmt.Errorf("%w: %s: %w", errs.ErrChanged, k, err) // replaced since it was listed
				}
				return err
			}
			f.carryEntry(ls.bucket, k, dp+k[len(sp):], &o, res)
			return nil
		})
		if err != nil {
			return err
		}
		keys := make([]string, len(page))
		for i, o := range page {
			keys[i] = aws.ToString(o.Key)
		}
		page = page[:0]
		return f.deleteKeys(ctx, ls.bucket, keys)
	}
	err := f.walk(ctx, ls.bucket, sp, func(o s3types.Object) error {
		if aws.ToString(o.Key) == sp {
			return nil
		}
		page = append(page, o)
		if len(page) == deleteBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return found{}, err
	}
	return moved, f.deleteKeys(ctx, ls.bucket, srcMarkers)
}

// listedCopyETag is the source ETag a copy of a listed object insists on.
//
// A directory marker ("dir/") is copied unconditionally. It is empty, so a
// changed marker can only carry newer metadata, which is what should move;
// and its listed ETag cannot be trusted as a precondition: MinIO lists an
// SSE-S3 or SSE-KMS object whose key ends in "/" with a shortened ETag
// (the last 32 hex digits of the sealed one that HEAD reports) while
// x-amz-copy-source-if-match is checked against the sealed one, so the
// copy failed with 412 PreconditionFailed. Keys not ending in "/" (files,
// EMRFS folder markers, instruction files) are listed, HEADed and checked
// with one ETag on MinIO, as on S3, and keep their precondition.
func listedCopyETag(o s3types.Object) string {
	if strings.HasSuffix(aws.ToString(o.Key), dirMarkerSuffix) {
		return ""
	}
	return aws.ToString(o.ETag)
}

// carryEntry gives a copy made by a directory rename the index entry of
// its source (the copy keeps the source's metadata), if the index knows
// the listed source version; otherwise the copy is HEADed when first
// listed.
func (f *FS) carryEntry(bucket, src, dst string, o *s3types.Object, res copied) {
	e, ok := f.recall(bucket, src)
	if !ok || e.absent {
		return
	}
	if strings.HasSuffix(src, dirMarkerSuffix) {
		// Markers are trusted for DirAttrTTL from when they were read.
		if time.Since(e.seen) < f.opts.DirAttrTTL {
			e.etag, e.lastMod, e.pinned = res.etag, res.lastMod, !res.lastMod.IsZero()
			f.remember(bucket, dst, e)
		}
		return
	}
	if match, _ := e.matchListed(o); !match {
		return
	}
	e.etag, e.lastMod, e.pinned, e.seen = res.etag, res.lastMod, !res.lastMod.IsZero(), time.Time{}
	f.remember(bucket, dst, e)
}
