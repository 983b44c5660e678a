package dfs

import (
	"context"
	"errors"
	iofs "io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/s3api"
	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/plain"
)

// keyLog records the keys HEADed and the prefixes listed through it.
type keyLog struct {
	s3api.API
	mu  sync.Mutex
	log []string
}

func (k *keyLog) HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	k.note("HEAD " + aws.ToString(in.Key))
	return k.API.HeadObject(ctx, in, opts...)
}

func (k *keyLog) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	k.note("LIST " + aws.ToString(in.Prefix))
	return k.API.ListObjectsV2(ctx, in, opts...)
}

func (k *keyLog) note(s string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.log = append(k.log, s)
}

func (k *keyLog) take() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.log
	k.log = nil
	return l
}

// TestCreateInNewDirectory: a create whose parent is missing asks nothing
// about its own path (nothing can be below a missing directory) and makes
// the parent; in an existing directory the path is still probed, and
// what exists there still refuses the create.
func TestCreateInNewDirectory(t *testing.T) {
	env := testenv.Get(t)
	bucket := env.NewBucket(t, "dfs")
	env.RemoveBucketOnCleanup(t, bucket)
	kl := &keyLog{API: env.S3Client()}
	f, err := fs.New(context.Background(), fs.Options{S3: kl, Buckets: map[string]string{bucket: bucket},
		Provider:     func(context.Context, string) (providers.Provider, error) { return plain.New(), nil },
		DefaultOwner: "root"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(Options{FS: f, SuperUser: "root", PermissionsEnabled: true, Logger: slog.New(slog.DiscardHandler),
		Groups: func(u string) []string { return []string{u + "-group"} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	b := "/" + bucket
	ctx := context.Background()
	create := func(p string, parents bool) error {
		t.Helper()
		of, err := n.Create(ctx, n.Caller("root"), p, CreateRequest{Holder: "h", Perm: 0o644, Create: true, CreateParent: parents})
		if err != nil {
			return err
		}
		if _, err := of.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		return n.Complete(ctx, of)
	}
	probed := func(log []string, key string) bool {
		for _, l := range log {
			if l == "HEAD "+key || strings.HasPrefix(l, "LIST "+key) {
				return true
			}
		}
		return false
	}

	kl.take()
	if err := create(b+"/job/part=0/f", true); err != nil {
		t.Fatal(err)
	}
	if log := kl.take(); probed(log, "job/part=0/f") || !probed(log, "job/part=0") {
		t.Errorf("create in a missing directory: %v; want its parent probed and not the file", log)
	}
	if fi, err := f.Stat(ctx, b+"/job/part=0"); err != nil || !fi.IsDir {
		t.Errorf("parent made by the create: %+v %v", fi, err)
	}
	kl.take()
	if err := create(b+"/job/part=0/g", true); err != nil {
		t.Fatal(err)
	}
	if log := kl.take(); !probed(log, "job/part=0/g") {
		t.Errorf("create in an existing directory: %v; want the file probed", log)
	}
	if err := create(b+"/job/part=0/g", true); !errors.Is(err, iofs.ErrExist) {
		t.Errorf("create over a file: %v, want ErrExist", err)
	}
	if err := create(b+"/other/f", false); !errors.Is(err, iofs.ErrNotExist) || !strings.Contains(err.Error(), "Parent directory doesn't exist") {
		t.Errorf("create in a missing directory without parents: %v", err)
	}
}
