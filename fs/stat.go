package fs

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/providers"
)

// found is what a lookup found at a location.
type found struct {
	kind   kind
	head   *s3.HeadObjectOutput // the file, or the directory's "dir/" marker; nil otherwise
	folder bool                 // a directory known only by its EMRFS _$folder$ marker
	hidden bool                 // kindNone, but the key is a folder marker or an existing object's instruction file
	// noFolder: the lookup saw no EMRFS _$folder$ marker beside the
	// directory (false: there is one, or it was not asked).
	noFolder bool
}

type kind int

const (
	kindNone kind = iota
	kindFile
	kindDir
)

// Stat describes a path.
func (f *FS) Stat(ctx context.Context, p string) (FileInfo, error) {
	l, err := f.resolve(ctx, p)
	if err != nil {
		return FileInfo{}, pathErr("stat", p, err)
	}
	if l.isRoot() || l.isTop() {
		fi, err := f.statRoot(ctx, l)
		return fi, pathErr("stat", p, err)
	}
	fd, err := f.lookup(ctx, l)
	if err != nil {
		return FileInfo{}, pathErr("stat", p, err)
	}
	if fd.kind == kindNone {
		return FileInfo{}, pathErr("stat", p, iofs.ErrNotExist)
	}
	fi, err := f.infoOf(ctx, l, fd)
	return fi, pathErr("stat", p, err)
}

// lookup finds what is at l: a file (HEAD), a directory (marker, prefix
// or EMRFS folder marker) or nothing (kindNone, nil error).
func (f *FS) lookup(ctx context.Context, l loc) (found, error) { return f.lookupExpect(ctx, l, false) }

// lookupNoFile is lookup for a caller that expects no file at l: a path
// it is about to make (create, mkdirs, a rename's destination) or a parent
// directory. The file and directory probes go out at once (probeOrder).
func (f *FS) lookupNoFile(ctx context.Context, l loc) (found, error) {
	return f.lookupExpect(ctx, l, true)
}

func (f *FS) lookupExpect(ctx context.Context, l loc, expectNoFile bool) (found, error) {
	switch {
	case l.isRoot():
		return found{kind: kindDir}, nil
	case l.isTop():
		if _, err := f.rootState(ctx, l.bucket); err != nil {
			if isNotExist(err) {
				return found{}, nil
			}
			return found{}, err
		}
		return found{kind: kindDir}, nil
	}
	memo := memoOf(ctx)
	if fd, ok := memo.get(l); ok {
		return fd, nil
	}
	mgen := memo.generation()
	fd, err := f.lookupStore(ctx, l, f.absent.gen.Load(), expectNoFile)
	if err == nil {
		memo.put(l, mgen, fd)
	}
	return fd, err
}

// lookupStore is lookup past the call memo: the directory cache, then S3.
// gen is the mutation generation the lookup started at.
func (f *FS) lookupStore(ctx context.Context, l loc, gen uint64, expectNoFile bool) (found, error) {
	if fd, ok := f.dirs.get(l.bucket, l.key); ok {
		return fd, nil
	}
	if hidden, err := f.hiddenKey(ctx, l.bucket, l.key); err != nil || hidden {
		return found{hidden: hidden}, err
	}
	var dir chan dirAnswer
	if f.probeOrder.parallel(l, expectNoFile) {
		// The directory probes run on even if a file answers first (their
		// answer is then dropped: a file wins), so that their connections
		// are not torn down; they are two short requests.
		dir = make(chan dirAnswer, 1)
		bg := context.WithoutCancel(ctx)
		go func() {
			fd, err := f.lookupDir(bg, l)
			dir <- dirAnswer{fd, err}
		}()
	}
	h, err := f.head(ctx, l.bucket, l.key)
	if err == nil {
		f.probeOrder.fileAt(l)
		f.versions.put(l, h)
		return found{kind: kindFile, head: h}, nil
	}
	if !isNotExist(err) {
		return found{}, err
	}
	var fd found
	if dir != nil {
		select {
		case a := <-dir:
			fd, err = a.fd, a.err
		case <-ctx.Done():
			return found{}, ctx.Err()
		}
	} else {
		fd, err = f.lookupDir(ctx, l)
	}
	if err != nil {
		return found{}, err
	}
	if !expectNoFile {
		f.probeOrder.noFileAt(l)
	}
	switch {
	case fd.kind == kindDir:
		f.dirs.put(l.bucket, l.key, fd)
	case fd.kind == kindNone && !fd.hidden:
		f.absent.record(l, gen)
	}
	return fd, nil
}

type dirAnswer struct {
	fd  found
	err error
}

// lookupDir finds a directory at l (not root, not top-level, no file).
func (f *FS) lookupDir(ctx context.Context, l loc) (found, error) {
	// The EMRFS folder marker is asked for at the same time as the prefix
	// listing: a missing path costs one round trip here, not two.
	type folderAnswer struct {
		exists bool
		err    error
	}
	folder := make(chan folderAnswer, 1)
	go func() {
		ok, err := f.exists(ctx, l.bucket, l.key+folderSuffix)
		folder <- folderAnswer{exists: ok, err: err}
	}()
	out, err := f.opts.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:  aws.String(l.bucket),
		Prefix:  aws.String(l.dirPrefix()),
		MaxKeys: aws.Int32(1),
	})
	fa := <-folder
	if err != nil {
		return found{}, err
	}
	if len(out.Contents) > 0 {
		if aws.ToString(out.Contents[0].Key) == l.dirPrefix() {
			h, err := f.head(ctx, l.bucket, l.dirPrefix())
			switch {
			case err == nil:
				f.rememberHead(l.bucket, l.dirPrefix(), h, 0)
				return found{kind: kindDir, head: h, noFolder: fa.err == nil && !fa.exists}, nil
			case !isNotExist(err):
				return found{}, err
			}
			// The marker vanished meanwhile; fall through.
		} else {
			return found{kind: kindDir}, nil
		}
	}
	if len(out.CommonPrefixes) > 0 {
		return found{kind: kindDir}, nil
	}
	if fa.err != nil {
		return found{}, fa.err
	}
	if fa.exists {
		return found{kind: kindDir, folder: true}, nil
	}
	return found{}, nil
}

// errReserved refuses to create a path whose key is hidden.
var errReserved = fmt.Errorf("%w: name is reserved (an EMRFS folder marker, a bucket's "+rootKey+" object or the instruction file of an existing object)", iofs.ErrInvalid)

// hiddenKey reports keys that name no path: EMRFS folder markers, the
// bucket root object, and instruction files whose object exists.
func (f *FS) hiddenKey(ctx context.Context, bucket, key string) (bool, error) {
	if strings.HasSuffix(key, folderSuffix) || key == rootKey {
		return true, nil
	}
	base, ok := strings.CutSuffix(key, instructionSuffix)
	if !ok || base == "" || strings.HasSuffix(base, "/") {
		return false, nil
	}
	return f.exists(ctx, bucket, base)
}

// exists reports whether an object exists (HEAD; not found is no error).
func (f *FS) exists(ctx context.Context, bucket, key string) (bool, error) {
	_, err := f.head(ctx, bucket, key)
	if err != nil && !isNotExist(err) {
		return false, err
	}
	return err == nil, nil
}

func (f *FS) head(ctx context.Context, bucket, key string) (*s3.HeadObjectOutput, error) {
	h, err := f.opts.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil && overlongSegment(key) && httpStatus(err) == http.StatusBadRequest {
		// A derived key (an EMRFS folder marker or instruction file of a
		// 247-255 byte name) past a store's segment limit (MinIO's is 255
		// bytes): no such object can exist there.
		return nil, &iofs.PathError{Op: "head", Path: key, Err: iofs.ErrNotExist}
	}
	return h, err
}

// maxSegment is the longest key segment some S3-compatible stores accept
// (MinIO; AWS S3 limits only the whole key, to 1,024 bytes).
const maxSegment = 255

// overlongSegment reports whether a segment of key exceeds maxSegment.
func overlongSegment(key string) bool {
	for seg := range strings.SplitSeq(key, "/") {
		if len(seg) > maxSegment {
			return true
		}
	}
	return false
}

// httpStatus is the HTTP status of an SDK error, 0 if none.
func httpStatus(err error) int {
	var st interface{ HTTPStatusCode() int }
	if errors.As(err, &st) {
		return st.HTTPStatusCode()
	}
	return 0
}

// bucketExists lists at most one key to check a bucket (s3api.API has no
// HeadBucket).
func (f *FS) bucketExists(ctx context.Context, bucket string) error {
	_, err := f.opts.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)})
	return err
}

// providerHead converts a HEAD response for providers.
func providerHead(h *s3.HeadObjectOutput) providers.Head {
	return providers.Head{
		Size:     aws.ToInt64(h.ContentLength),
		Metadata: h.Metadata,
		SSE: providers.SSE{
			Algorithm: string(h.ServerSideEncryption),
			KMSKeyID:  aws.ToString(h.SSEKMSKeyId),
		},
		ETag: aws.ToString(h.ETag),
	}
}

// infoOf builds the FileInfo of a found path, computing a file's plaintext
// size through its provider.
func (f *FS) infoOf(ctx context.Context, l loc, fd found) (FileInfo, error) {
	fi := FileInfo{Path: l.path, Name: l.name(), IsDir: fd.kind == kindDir}
	var lastMod time.Time
	var md map[string]string
	if fd.head != nil {
		lastMod = aws.ToTime(fd.head.LastModified)
		md = fd.head.Metadata
	}
	if fd.kind == kindFile {
		pr, err := f.provider(ctx, l)
		if err != nil {
			return FileInfo{}, err
		}
		obj := providers.Object{Bucket: l.bucket, Key: l.key}
		h := providerHead(fd.head)
		size, err := pr.PlainSize(ctx, obj, h, &source{fs: f, obj: obj, etag: h.ETag, size: h.Size})
		if err != nil {
			return FileInfo{}, err
		}
		fi.Size, fi.ETag = size, h.ETag
		f.rememberHead(l.bucket, l.key, fd.head, size)
	}
	f.applyMeta(&fi, decodeMeta(md), lastMod)
	return fi, nil
}

// applyMeta fills ownership, permission, times and xattrs from metadata,
// falling back to the defaults.
func (f *FS) applyMeta(fi *FileInfo, a attrs, lastMod time.Time) {
	fi.Owner, fi.Group = f.opts.DefaultOwner, f.opts.DefaultGroup
	if a.owner != "" {
		fi.Owner = a.owner
	}
	if a.group != "" {
		fi.Group = a.group
	}
	fi.Perm = DefaultFilePerm
	if fi.IsDir {
		fi.Perm = DefaultDirPerm
	}
	if a.hasPerm {
		fi.Perm = a.perm
	}
	fi.ModTime = lastMod
	if !a.mtime.IsZero() {
		fi.ModTime = a.mtime
	}
	fi.AccessTime = fi.ModTime
	if !a.atime.IsZero() {
		fi.AccessTime = a.atime
	}
	fi.Xattrs = a.xattrs
	if !fi.IsDir {
		fi.BlockSize = a.blockSize
		fi.Replication = int(a.replication)
	}
}
