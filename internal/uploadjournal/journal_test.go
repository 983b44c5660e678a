package uploadjournal

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// TestRecoverAbortsOrphans: uploads left open by a "crashed" run are
// aborted at the next start; finished ones are left alone.
func TestRecoverAbortsOrphans(t *testing.T) {
	ctx := context.Background()
	e := testenv.Get(t)
	c := e.S3Client()
	bucket := e.NewBucket(t, "journal")
	path := filepath.Join(t.TempDir(), "uploads.journal")
	j, err := Open(c, path)
	if err != nil {
		t.Fatal(err)
	}
	start := func(key string) *string {
		out, err := j.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: out.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))}); err != nil {
			t.Fatal(err)
		}
		return out.UploadId
	}
	start("orphan-1")
	start("orphan-2")
	done := start("finished")
	if _, err := j.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("finished"), UploadId: done}); err != nil {
		t.Fatal(err)
	}
	j.Close() // the crash: no end records for the orphans

	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil || len(lu.Uploads) != 2 {
		t.Fatalf("before recover: %v, %d uploads", err, len(lu.Uploads))
	}
	n, _, err := Recover(ctx, c, path)
	if err != nil || n != 2 {
		t.Fatalf("recover: n=%d err=%v", n, err)
	}
	lu, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil || len(lu.Uploads) != 0 {
		t.Fatalf("after recover: %v, %v", err, lu.Uploads)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("journal not reset: %v", err)
	}
	// Recovering twice is harmless.
	if n, _, err := Recover(ctx, c, path); err != nil || n != 0 {
		t.Fatalf("second recover: %d %v", n, err)
	}
	var _ types.MultipartUpload
}

// TestRecoverIntentWithoutStart: a crash between the intent record and the
// start record (S3 created the upload, the journal never saw its id) is
// still cleaned up, by key.
func TestRecoverIntentWithoutStart(t *testing.T) {
	ctx := context.Background()
	e := testenv.Get(t)
	c := e.S3Client()
	bucket := e.NewBucket(t, "journal")
	path := filepath.Join(t.TempDir(), "uploads.journal")
	j, err := Open(c, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.append(record{Op: "intent", Bucket: bucket, Key: "lost"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	// The upload S3 made, whose id never reached the journal, and another
	// key's upload that must survive.
	if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("lost")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("lost-not")}); err != nil {
		t.Fatal(err)
	}
	n, pending, err := Recover(ctx, c, path)
	if err != nil || n != 1 || len(pending) != 1 || pending[0] != (Key{bucket, "lost"}) {
		t.Fatalf("recover: n=%d err=%v", n, err)
	}
	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].Key) != "lost-not" {
		t.Fatalf("after recover: %v %+v", err, lu.Uploads)
	}
	// The dead run's request that S3 finishes late, and this run's own
	// upload of the same key: SweepLate aborts only the first.
	late, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("lost")})
	if err != nil {
		t.Fatal(err)
	}
	j2, err := Open(c, path)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	mine, err := j2.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("lost")})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := j2.SweepLate(ctx, pending); err != nil || n != 1 {
		t.Fatalf("sweep: n=%d err=%v", n, err)
	}
	lu, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String("lost")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range lu.Uploads {
		if aws.ToString(u.Key) == "lost" {
			ids = append(ids, aws.ToString(u.UploadId))
		}
	}
	if len(ids) != 1 || ids[0] != aws.ToString(mine.UploadId) || ids[0] == aws.ToString(late.UploadId) {
		t.Fatalf("after sweep: uploads of lost %v, want only this run's %s", ids, aws.ToString(mine.UploadId))
	}
}
