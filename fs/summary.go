package fs

import (
	"context"
	iofs "io/fs"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/emrfsd/emrfsd/providers"
)

// ContentSummary totals a subtree from a flat listing (no delimiter, no
// HEAD per object): file sizes are the provider's ListedSize; directories
// are counted from markers, EMRFS folder markers and key prefixes, plus
// the path itself. Hidden objects (markers, instruction files of existing
// objects) are not counted.
func (f *FS) ContentSummary(ctx context.Context, p string) (Summary, error) {
	l, err := f.resolve(ctx, p)
	if err != nil {
		return Summary{}, pathErr("summary", p, err)
	}
	s, err := f.summary(ctx, l)
	return s, pathErr("summary", p, err)
}

func (f *FS) summary(ctx context.Context, l loc) (Summary, error) {
	if l.isRoot() {
		tops, dates, err := f.servedTops(ctx)
		if err != nil {
			return Summary{}, err
		}
		total := Summary{Directories: 1}
		add := func(s Summary) {
			total.Length += s.Length
			total.Files += s.Files
			total.Directories += s.Directories
		}
		for _, t := range tops {
			s, err := f.summary(ctx, loc{path: "/" + t, top: t, bucket: f.bucketOf(t)})
			if err != nil {
				return Summary{}, err
			}
			add(s)
		}
		if f.opts.DefaultBucket != "" {
			// The default bucket's keys, but those a served bucket shadows.
			s, err := f.treeSummary(ctx, f.rootLoc(), func(rel string) bool {
				first, _, _ := strings.Cut(rel, "/")
				first = strings.TrimSuffix(first, folderSuffix)
				_, shadowed := dates[first]
				return shadowed
			})
			if err != nil && !isNotExist(err) { // a missing default bucket holds nothing
				return Summary{}, err
			}
			add(s)
		}
		return total, nil
	}
	fd, err := f.lookup(ctx, l)
	if err != nil {
		return Summary{}, err
	}
	switch fd.kind {
	case kindNone:
		return Summary{}, iofs.ErrNotExist
	case kindFile:
		fi, err := f.infoOf(ctx, l, fd)
		if err != nil {
			return Summary{}, err
		}
		return Summary{Length: fi.Size, Files: 1}, nil
	}
	s, err := f.treeSummary(ctx, l, nil)
	if err != nil {
		return Summary{}, err
	}
	s.Directories++ // l itself
	return s, nil
}

// treeSummary totals what lies below directory l (not l itself), leaving
// out keys (relative to l) for which skip reports true.
func (f *FS) treeSummary(ctx context.Context, l loc, skip func(rel string) bool) (Summary, error) {
	pr, err := f.provider(ctx, l)
	if err != nil {
		return Summary{}, err
	}
	prefix := l.dirPrefix()
	var s Summary
	dirs := map[string]struct{}{}
	addDir := func(rel string) { // rel: a directory path relative to l
		for rel != "" {
			if _, ok := dirs[rel]; ok {
				return
			}
			dirs[rel] = struct{}{}
			i := strings.LastIndexByte(rel, '/')
			if i < 0 {
				return
			}
			rel = rel[:i]
		}
	}
	var files []string // keys of files that prefix the current key (sidecar detection, as in List)
	err = f.walk(ctx, l.bucket, prefix, func(o s3types.Object) error {
		rel := aws.ToString(o.Key)[len(prefix):]
		if (prefix == "" && rel == rootKey) || (skip != nil && skip(rel)) {
			return nil
		}
		if i := strings.LastIndexByte(rel, '/'); i >= 0 {
			addDir(rel[:i])
		}
		switch {
		case rel == "" || strings.HasSuffix(rel, "/"):
			return nil // a marker: its directory was counted above
		case strings.HasSuffix(rel, folderSuffix):
			addDir(strings.TrimSuffix(rel, folderSuffix))
			return nil
		}
		for len(files) > 0 && !strings.HasPrefix(rel, files[len(files)-1]) {
			files = files[:len(files)-1]
		}
		if base, ok := strings.CutSuffix(rel, instructionSuffix); ok && base != "" {
			for _, fk := range files {
				if fk == base {
					return nil
				}
			}
		}
		files = append(files, rel)
		s.Files++
		s.Length += providers.ListedSize(pr, aws.ToInt64(o.Size))
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	s.Directories += int64(len(dirs))
	return s, nil
}

// bucketOf maps a top-level directory name to its bucket.
func (f *FS) bucketOf(top string) string {
	if b, ok := f.opts.Buckets[top]; ok {
		return b
	}
	return top
}
