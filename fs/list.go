package fs

import (
	"context"
	iofs "io/fs"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// DefaultListLimit is used when List is called with limit <= 0 (HDFS's
// dfs.ls.limit).
const DefaultListLimit = 1000

// List returns up to limit children of dir whose names sort strictly after
// startAfter, sorted by name bytes, and whether more remain.
//
// Entries come from ListObjectsV2 alone (no HEAD per object): file sizes
// are the provider's ListedSize, and owner, group and permission are the
// defaults; Stat shows the stored values. Listing a file fails with
// errs.ErrNotDir; a missing directory with ErrNotExist.
func (f *FS) List(ctx context.Context, dir, startAfter string, limit int) ([]FileInfo, bool, error) {
	l, err := f.resolve(dir)
	if err != nil {
		return nil, false, pathErr("list", dir, err)
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	var (
		out  []FileInfo
		more bool
	)
	if l.isRoot() {
		out, more, err = f.listRoot(ctx, startAfter, limit)
	} else {
		out, more, err = f.listDir(ctx, l, startAfter, limit)
	}
	if err != nil {
		return nil, false, pathErr("list", dir, err)
	}
	return out, more, nil
}

// listRoot lists the top-level directories.
func (f *FS) listRoot(ctx context.Context, startAfter string, limit int) ([]FileInfo, bool, error) {
	var all []FileInfo
	root := loc{path: "/"}
	if f.opts.Buckets != nil {
		for top := range f.opts.Buckets {
			all = append(all, FileInfo{Path: "/" + top, Name: top, IsDir: true})
		}
	} else {
		in := &s3.ListBucketsInput{}
		for {
			out, err := f.opts.S3.ListBuckets(ctx, in)
			if err != nil {
				return nil, false, err
			}
			for _, b := range out.Buckets {
				fi := FileInfo{Path: root.child(aws.ToString(b.Name)).path, Name: aws.ToString(b.Name), IsDir: true}
				fi.ModTime = aws.ToTime(b.CreationDate)
				all = append(all, fi)
			}
			if aws.ToString(out.ContinuationToken) == "" {
				break
			}
			in.ContinuationToken = out.ContinuationToken
		}
	}
	slices.SortFunc(all, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	var res []FileInfo
	for _, fi := range all {
		if fi.Name <= startAfter {
			continue
		}
		if len(res) == limit {
			return res, true, nil
		}
		f.applyMeta(&fi, attrs{}, fi.ModTime)
		res = append(res, fi)
	}
	return res, false, nil
}

// dirLister accumulates one List call over a bucket directory.
type dirLister struct {
	f          *FS
	l          loc
	prefix     string
	startAfter string
	listedSize func(int64) int64

	entries map[string]FileInfo // children by name
	files   []string            // file names that prefix the latest key (sidecar detection)
	seen    bool                // the listing returned something: l is a directory
	last    string              // the greatest key or common prefix returned so far
}

func (f *FS) listDir(ctx context.Context, l loc, startAfter string, limit int) ([]FileInfo, bool, error) {
	pr, err := f.provider(ctx, l)
	if err != nil {
		return nil, false, err
	}
	d := &dirLister{f: f, l: l, prefix: l.dirPrefix(), startAfter: startAfter, listedSize: func(n int64) int64 { return providers.ListedSize(pr, n) }, entries: map[string]FileInfo{}}
	in := &s3.ListObjectsV2Input{
		Bucket:    aws.String(l.bucket),
		Prefix:    aws.String(d.prefix),
		Delimiter: aws.String("/"),
		// Small pages for small limits; a few extra absorb hidden keys.
		MaxKeys: aws.Int32(int32(min(DefaultListLimit, limit+8))),
	}
	if startAfter != "" {
		// Every child named after startAfter has a key after prefix+startAfter.
		in.StartAfter = aws.String(d.prefix + startAfter)
	}
	done := false
	for {
		out, err := f.opts.S3.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, false, err
		}
		if err := d.page(ctx, out); err != nil {
			return nil, false, err
		}
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" {
			done = true
			break
		}
		in.StartAfter, in.ContinuationToken = nil, out.NextContinuationToken
		if len(d.entries) > limit {
			names := d.sortedNames()
			if err := d.settle(ctx, names[limit-1]); err != nil {
				return nil, false, err
			}
			break
		}
	}
	if !d.seen {
		// Nothing below the prefix: an empty directory, a file or nothing.
		fd, err := f.lookup(ctx, l)
		if err != nil {
			return nil, false, err
		}
		switch fd.kind {
		case kindNone:
			return nil, false, iofs.ErrNotExist
		case kindFile:
			return nil, false, errs.ErrNotDir
		}
		return nil, false, nil
	}
	names := d.sortedNames()
	more := !done || len(names) > limit
	if len(names) > limit {
		names = names[:limit]
	}
	res := make([]FileInfo, len(names))
	for i, n := range names {
		res[i] = d.entries[n]
	}
	return res, more, nil
}

// page merges one ListObjectsV2 page.
func (d *dirLister) page(ctx context.Context, out *s3.ListObjectsV2Output) error {
	for _, o := range out.Contents {
		key := aws.ToString(o.Key)
		d.seen = true
		d.bump(key)
		if key == d.prefix {
			continue // the directory's own marker
		}
		name := key[len(d.prefix):]
		if dirName, ok := strings.CutSuffix(name, folderSuffix); ok {
			if dirName != "" {
				d.addDir(dirName, &o)
			}
			continue
		}
		hidden, err := d.sidecar(ctx, name)
		if err != nil {
			return err
		}
		d.pushFile(name)
		if hidden || name <= d.startAfter {
			continue
		}
		fi := FileInfo{
			Path:  d.l.child(name).path,
			Name:  name,
			Size:  d.listedSize(aws.ToInt64(o.Size)),
			ETag:  aws.ToString(o.ETag),
			IsDir: false,
		}
		d.f.applyMeta(&fi, attrs{}, aws.ToTime(o.LastModified))
		d.entries[name] = fi // a file shadows a directory of the same name
	}
	for _, cp := range out.CommonPrefixes {
		p := aws.ToString(cp.Prefix)
		d.seen = true
		d.bump(p)
		name := strings.TrimSuffix(p[len(d.prefix):], "/")
		if name != "" {
			d.addDir(name, nil)
		}
	}
	return nil
}

func (d *dirLister) bump(k string) {
	if k > d.last {
		d.last = k
	}
}

func (d *dirLister) addDir(name string, marker *s3types.Object) {
	if name <= d.startAfter || strings.Contains(name, "/") {
		return
	}
	if _, dup := d.entries[name]; dup {
		return
	}
	fi := FileInfo{Path: d.l.child(name).path, Name: name, IsDir: true}
	if marker != nil {
		fi.ModTime = aws.ToTime(marker.LastModified)
	}
	d.f.applyMeta(&fi, attrs{}, fi.ModTime)
	d.entries[name] = fi
}

// pushFile records a file name for sidecar detection. Keys arrive sorted,
// so an object's key is seen before its instruction file's, and every key
// in between also starts with the object's key: a stack of the file names
// that prefix the current one suffices.
func (d *dirLister) pushFile(name string) {
	for len(d.files) > 0 && !strings.HasPrefix(name, d.files[len(d.files)-1]) {
		d.files = d.files[:len(d.files)-1]
	}
	d.files = append(d.files, name)
}

// sidecar reports whether name is the instruction file of an existing
// object.
func (d *dirLister) sidecar(ctx context.Context, name string) (bool, error) {
	base, ok := strings.CutSuffix(name, instructionSuffix)
	if !ok || base == "" {
		return false, nil
	}
	for i := len(d.files) - 1; i >= 0; i-- {
		if d.files[i] == base {
			return true, nil
		}
	}
	if d.startAfter == "" || base > d.startAfter {
		return false, nil // the object would have been listed before its sidecar
	}
	// The object sorts before this call's start: ask S3.
	return d.f.exists(ctx, d.l.bucket, d.prefix+base)
}

func (d *dirLister) sortedNames() []string {
	names := make([]string, 0, len(d.entries))
	for n := range d.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// settle makes sure no key not yet listed (all sort after d.last) yields
// a child whose name sorts before name. Names and keys sort differently
// only for directories: child "a" has key "a/" or "a_$folder$", which can
// sort after keys "a-1", "a.txt" (or "a0") although "a" sorts before them.
// Such a directory's name is a proper prefix of name, so each prefix whose
// directory keys are still unlisted is probed directly (a one-key listing
// or a HEAD) instead of reading on through every "a-N" key.
func (d *dirLister) settle(ctx context.Context, name string) error {
	for i := 1; i < len(name); i++ {
		n, next := name[:i], name[i]
		if _, ok := d.entries[n]; ok {
			continue
		}
		// "n/" sorts after name's key only when the character after n
		// sorts before '/' ("a-1", "a.txt"); otherwise its keys, if any,
		// were listed already.
		if k := d.prefix + n + "/"; next < '/' && k > d.last {
			ok, err := d.f.folderMarkers.prefixExists(ctx, d.f, d.l.bucket, k)
			if err != nil {
				return err
			}
			if ok {
				d.addDir(n, nil)
				continue
			}
		}
		if k := d.prefix + n + folderSuffix; next < '_' && k > d.last {
			ok, err := d.f.folderMarkers.exists(ctx, d.f, d.l.bucket, k)
			if err != nil {
				return err
			}
			if ok {
				d.addDir(n, nil)
			}
		}
	}
	return nil
}
