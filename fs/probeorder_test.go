package fs

import (
	"context"
	iofs "io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/s3api"
)

// slowHeadS3 holds every HEAD of a key under "d/" or "out/", and every
// LIST of such a key's "KEY/" prefix, for a moment, and notes whether one
// started while the other was held: the file and directory probes of one
// lookup went out together (whichever of the two was sent first).
type slowHeadS3 struct {
	s3api.API
	mu       sync.Mutex
	inHead   map[string]bool // keys whose HEAD is being held
	inList   map[string]bool // keys whose "KEY/" LIST is being held
	together map[string]bool // keys whose HEAD and LIST overlapped
}

const held = 100 * time.Millisecond

func watchedKey(key string) bool {
	return (strings.HasPrefix(key, "d/") || strings.HasPrefix(key, "out/")) &&
		!strings.HasSuffix(key, folderSuffix) && !strings.HasSuffix(key, "/")
}

// hold marks key in mine for a moment, noting an overlap with other.
func (s *slowHeadS3) hold(key string, mine, other map[string]bool) {
	s.mu.Lock()
	mine[key] = true
	if other[key] {
		s.together[key] = true
	}
	s.mu.Unlock()
	time.Sleep(held)
	s.mu.Lock()
	delete(mine, key)
	s.mu.Unlock()
}

func (s *slowHeadS3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	if key := aws.ToString(in.Key); watchedKey(key) {
		s.hold(key, s.inHead, s.inList)
	}
	return s.API.HeadObject(ctx, in, opts...)
}

func (s *slowHeadS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	if key, ok := strings.CutSuffix(aws.ToString(in.Prefix), "/"); ok && watchedKey(key) {
		s.hold(key, s.inList, s.inHead)
	}
	return s.API.ListObjectsV2(ctx, in, opts...)
}

// parallel reports, once, whether key's probes went out together.
func (s *slowHeadS3) parallel(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.together[key]
	delete(s.together, key)
	return p
}

// A lookup asks for a file first, unless no file is expected: before a
// create or mkdirs, or when the last two lookups in the same directory
// found none. Either way it answers what is there.
func TestProbeOrder(t *testing.T) {
	var s *slowHeadS3
	r := newRig(t, nil, func(o *Options) {
		s = &slowHeadS3{API: o.S3, inHead: map[string]bool{}, inList: map[string]bool{}, together: map[string]bool{}}
		o.S3 = s
	})
	ctx := ctxT(t)
	r.putRaw("d/file", []byte("a file"), nil)
	r.putRaw("d/sub/x", []byte("in a directory"), nil)

	check := func(what, key string, wantParallel bool) {
		t.Helper()
		if got := s.parallel(key); got != wantParallel {
			t.Errorf("%s: file and directory probes together = %v, want %v", what, got, wantParallel)
		}
	}

	// A directory nobody has looked into: file first, twice.
	for _, name := range []string{"none0", "none1"} {
		_, err := r.fs.Stat(ctx, "/t/d/"+name)
		mustErrIs(t, "stat of a missing path", err, iofs.ErrNotExist)
		check("one of the first two misses in d", "d/"+name, false)
	}

	// The last two lookups in d found no file: the next asks for both at
	// once, and still answers each kind right.
	_, err := r.fs.Stat(ctx, "/t/d/none2")
	mustErrIs(t, "stat of a second missing path", err, iofs.ErrNotExist)
	check("miss after a miss", "d/none2", true)
	fi, err := r.fs.Stat(ctx, "/t/d/sub")
	if err != nil || !fi.IsDir {
		t.Fatalf("stat of a directory with the probes together: %+v, %v", fi, err)
	}
	check("directory after a miss", "d/sub", true)
	fi, err = r.fs.Stat(ctx, "/t/d/file")
	if err != nil || fi.IsDir || fi.Size != int64(len("a file")) {
		t.Fatalf("stat of a file with the probes together: %+v, %v", fi, err)
	}
	check("file after a directory", "d/file", true)

	// That lookup found a file: file first again.
	_, err = r.fs.Stat(ctx, "/t/d/none3")
	mustErrIs(t, "stat of a missing path after a file", err, iofs.ErrNotExist)
	check("miss after a file", "d/none3", false)
	if _, err := r.fs.Stat(ctx, "/t/d/file"); err != nil {
		t.Fatal(err)
	}

	_, err = r.fs.Stat(ctx, "/t/d/none4")
	mustErrIs(t, "stat of a missing path after a miss after a file", err, iofs.ErrNotExist)
	check("second miss after a file", "d/none4", false)

	// A create expects nothing there, whatever the directory's history.
	r.write("/t/d/new", []byte("new"), CreateOptions{})
	check("create", "d/new", true)
	if got := r.read("/t/d/new"); string(got) != "new" {
		t.Fatalf("read back %q", got)
	}
	if _, err := r.fs.Stat(ctx, "/t/d/file"); err != nil {
		t.Fatal(err)
	}
	mustOK(t, "mkdirs", r.fs.Mkdirs(ctx, "/t/d/newdir", 0o755, "", "", false))
	check("mkdirs", "d/newdir", true)
	// A file where a create expected nothing is still refused.
	if _, err := r.fs.Stat(ctx, "/t/d/file"); err != nil {
		t.Fatal(err)
	}
	err = r.tryWrite("/t/d/file", []byte("again"), CreateOptions{})
	mustErrIs(t, "create over a file", err, iofs.ErrExist)
	check("create over a file", "d/file", true)

	// A committer's job commit: each destination is stat'ed (a miss), then
	// a file is renamed there; the files are read next, file first.
	r.write("/t/src/a", []byte("a"), CreateOptions{CreateParent: true})
	r.write("/t/src/b", []byte("b"), CreateOptions{CreateParent: true})
	mustOK(t, "mkdirs", r.fs.Mkdirs(ctx, "/t/out", 0o755, "", "", false))
	for _, name := range []string{"a", "b"} {
		_, err := r.fs.Stat(ctx, "/t/out/"+name)
		mustErrIs(t, "stat of a commit destination", err, iofs.ErrNotExist)
		check("a commit destination's stat", "out/"+name, false)
		mustOK(t, "rename into out", r.fs.Rename(ctx, "/t/src/"+name, "/t/out/"+name, false))
		check("a rename's destination", "out/"+name, true)
	}
	if _, err := r.fs.Stat(ctx, "/t/out/a"); err != nil {
		t.Fatal(err)
	}
	check("a file read after the commit", "out/a", false)
}
