package fs

import (
	"bytes"
	"context"
	"testing"

	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/sse"
)

// TestRenameSSEDirectories renames directories, files and metadata on
// buckets served by the real SSE providers. On MinIO an SSE object whose key
// ends in "/" (every directory marker) is listed with a different ETag
// than the one HEAD reports and CopyObject's x-amz-copy-source-if-match is
// checked against, so a directory rename that insisted on the listed ETag
// of a subdirectory's marker failed with 412 PreconditionFailed (Spark's
// task commit, hadoop fs -mv DIR DIR2).
func TestRenameSSEDirectories(t *testing.T) {
	withCtx, err := sse.NewKMSWithContext(testenv.MinIOKMSKey, map[string]string{"purpose": "rename-test"})
	mustOK(t, "provider", err)
	for _, tc := range []struct {
		name string
		p    providers.Provider
	}{
		{"sse-kms", sse.NewKMS(testenv.MinIOKMSKey)},
		{"sse-kms-context", withCtx},
		{"sse-kms-default-key", sse.NewKMS("")},
		{"sse-s3", sse.NewS3()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, nil, func(o *Options) {
				o.Provider = func(context.Context, string) (providers.Provider, error) { return tc.p, nil }
			})
			ctx := ctxT(t)
			f := r.fs
			// Spark's layout: _temporary/0/_temporary/attempt_X/part-*, with
			// a subdirectory (partition) that has its own marker.
			att := "/t/out/_temporary/0/_temporary/attempt_1"
			mustOK(t, "mkdirs", f.Mkdirs(ctx, att+"/p=1", 0o750, "spark", "hadoop", true))
			small, big := pattern(5000, 1), pattern(MinPartSize+1234, 2)
			r.write(att+"/part-0", small, CreateOptions{Owner: "spark"})
			r.write(att+"/p=1/part-1", big, CreateOptions{Owner: "spark"}) // multipart
			r.write(att+"/empty", nil, CreateOptions{})
			perm := uint32(0o640)
			mustOK(t, "setattrs file", f.SetAttrs(ctx, att+"/part-0", Attrs{Perm: &perm}))
			mustOK(t, "setattrs dir", f.SetAttrs(ctx, att+"/p=1", Attrs{Perm: &perm}))

			task := "/t/out/_temporary/0/task_1"
			mustOK(t, "task commit rename", f.Rename(ctx, att, task, false))
			if !bytes.Equal(r.read(task+"/part-0"), small) || !bytes.Equal(r.read(task+"/p=1/part-1"), big) {
				t.Fatal("content differs after directory rename")
			}
			if fi, err := f.Stat(ctx, task+"/part-0"); err != nil || fi.Perm != 0o640 || fi.Owner != "spark" {
				t.Fatalf("file attrs after rename: %+v %v", fi, err)
			}
			if fi, err := f.Stat(ctx, task+"/p=1"); err != nil || !fi.IsDir || fi.Perm != 0o640 || fi.Owner != "spark" {
				t.Fatalf("subdirectory attrs after rename: %+v %v", fi, err)
			}
			// The job commit: the task's files move up, one by one and as a
			// directory.
			mustOK(t, "file rename", f.Rename(ctx, task+"/part-0", "/t/out/part-0", false))
			mustOK(t, "dir rename", f.Rename(ctx, task+"/p=1", "/t/out/p=1", false))
			mustOK(t, "setattrs after rename", f.SetAttrs(ctx, "/t/out/p=1/part-1", Attrs{Perm: &perm}))
			mustOK(t, "rename tree", f.Rename(ctx, "/t/out", "/t/final", false))
			if !bytes.Equal(r.read("/t/final/part-0"), small) || !bytes.Equal(r.read("/t/final/p=1/part-1"), big) {
				t.Fatal("content differs after second rename")
			}
			if left := r.rawKeys("out"); len(left) != 0 {
				t.Fatalf("source keys left: %v", left)
			}
		})
	}
}
