package localstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

func newClient(t *testing.T, dir string) (*s3.Client, *Store) {
	t.Helper()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st.Handler(nil, "tok3n"))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
	return testenv.NewS3Client(cfg, srv.URL+"/tok3n"), st
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestObjectLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c, _ := newClient(t, dir)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("b1")}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 100_000)
	rand.Read(data)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b1"), Key: aws.String("dir/a"), Body: bytes.NewReader(data),
		Metadata: map[string]string{"x-amz-iv": "abc"}, IfNoneMatch: aws.String("*")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b1"), Key: aws.String("dir/a"), Body: bytes.NewReader(data), IfNoneMatch: aws.String("*")})
	if errCode(err) != "PreconditionFailed" {
		t.Fatalf("second conditional put: %v", err)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b1"), Key: aws.String("dir/a")})
	if err != nil || aws.ToInt64(h.ContentLength) != int64(len(data)) || h.Metadata["x-amz-iv"] != "abc" {
		t.Fatalf("head: %v %+v", err, h)
	}
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b1"), Key: aws.String("dir/a"), Range: aws.String("bytes=10-19")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(g.Body)
	if !bytes.Equal(got, data[10:20]) {
		t.Fatal("range mismatch")
	}
	g, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b1"), Key: aws.String("dir/a"), Range: aws.String("bytes=-16")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(g.Body)
	if !bytes.Equal(got, data[len(data)-16:]) {
		t.Fatal("suffix range mismatch")
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b1"), Key: aws.String("nope")}); err == nil {
		t.Fatal("head of missing key succeeded")
	} else {
		var nf *types.NotFound
		if !errors.As(err, &nf) {
			t.Fatalf("head missing: %T %v", err, err)
		}
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b1"), Key: aws.String("nope")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Fatalf("get missing: %v", err)
	}
	// A key and a "directory" of the same name coexist, as in S3.
	for _, k := range []string{"dir", "dir/", "dir/b/c", "dir/b/d", "e"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b1"), Key: aws.String(k), Body: bytes.NewReader(nil)}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b1"), Prefix: aws.String("dir/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range l.Contents {
		keys = append(keys, *o.Key)
	}
	for _, p := range l.CommonPrefixes {
		keys = append(keys, *p.Prefix)
	}
	if fmt.Sprint(keys) != "[dir/ dir/a dir/b/]" {
		t.Fatalf("list: %v", keys)
	}
	// Pagination over everything.
	var all []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("b1"), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range pg.Contents {
			all = append(all, *o.Key)
		}
	}
	if fmt.Sprint(all) != "[dir dir/ dir/a dir/b/c dir/b/d e]" {
		t.Fatalf("paginated: %v", all)
	}
	// Copy with metadata replace.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("b1"), Key: aws.String("copy"), CopySource: aws.String("b1/dir/a"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	h, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b1"), Key: aws.String("copy")})
	if err != nil || h.Metadata["k"] != "v" || aws.ToInt64(h.ContentLength) != int64(len(data)) {
		t.Fatalf("copy head: %v %+v", err, h)
	}
	if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("b1"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("e")}, {Key: aws.String("missing")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b1"), Key: aws.String("e")}); err == nil {
		t.Fatal("deleted object still there")
	}

	// Everything survives reopening the directory.
	c2, _ := newClient(t, dir)
	g, err = c2.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b1"), Key: aws.String("dir/a")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(g.Body)
	if !bytes.Equal(got, data) || g.Metadata["x-amz-iv"] != "abc" {
		t.Fatal("data lost across reopen")
	}
}

func TestMultipart(t *testing.T) {
	ctx := context.Background()
	c, st := newClient(t, t.TempDir())
	if err := st.EnsureBucket("mb"); err != nil {
		t.Fatal(err)
	}
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mb"), Key: aws.String("big"), Metadata: map[string]string{"m": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	var want []byte
	for i := 1; i <= 3; i++ {
		p := bytes.Repeat([]byte{byte(i)}, 1000*i)
		want = append(want, p...)
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mb"), Key: aws.String("big"), UploadId: cu.UploadId, PartNumber: aws.Int32(int32(i)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i)), ETag: up.ETag})
	}
	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("mb")})
	if err != nil || len(lu.Uploads) != 1 {
		t.Fatalf("list uploads: %v %d", err, len(lu.Uploads))
	}
	// Invisible until completed.
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("mb"), Key: aws.String("big")}); err == nil {
		t.Fatal("object visible before complete")
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mb"), Key: aws.String("big"), UploadId: cu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}, IfNoneMatch: aws.String("*")}); err != nil {
		t.Fatal(err)
	}
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mb"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(g.Body)
	if !bytes.Equal(got, want) || g.Metadata["m"] != "1" {
		t.Fatal("multipart content mismatch")
	}
	// A second conditional completion loses, and abort cleans up.
	cu2, _ := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mb"), Key: aws.String("big")})
	up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mb"), Key: aws.String("big"), UploadId: cu2.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mb"), Key: aws.String("big"), UploadId: cu2.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}, IfNoneMatch: aws.String("*")})
	if errCode(err) != "PreconditionFailed" {
		t.Fatalf("conditional complete: %v", err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mb"), Key: aws.String("big"), UploadId: cu2.UploadId}); err != nil {
		t.Fatal(err)
	}
	lu, _ = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("mb")})
	if len(lu.Uploads) != 0 {
		t.Fatalf("uploads left: %d", len(lu.Uploads))
	}
}

func TestRefusesSSE(t *testing.T) {
	ctx := context.Background()
	c, st := newClient(t, t.TempDir())
	st.EnsureBucket("sb")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sb"), Key: aws.String("k"), Body: bytes.NewReader([]byte("x")), ServerSideEncryption: types.ServerSideEncryptionAes256})
	if errCode(err) != "NotImplemented" {
		t.Fatalf("SSE put: %v", err)
	}
}

func TestParseRange(t *testing.T) {
	for _, c := range []struct {
		spec     string
		size     int64
		off, n   int64
		wantFail bool
	}{
		{"bytes=0-9", 100, 0, 10, false},
		{"bytes=90-", 100, 90, 10, false},
		{"bytes=90-200", 100, 90, 10, false},
		{"bytes=-10", 100, 90, 10, false},
		{"bytes=-200", 100, 0, 100, false},
		{"bytes=100-", 100, 0, 0, true},
		{"bytes=5-4", 100, 0, 0, true},
		{"bytes=a-b", 100, 0, 0, true},
		{"items=0-1", 100, 0, 0, true},
		{"bytes=0-1,3-4", 100, 0, 0, true},
	} {
		off, n, err := parseRange(c.spec, c.size)
		if (err != nil) != c.wantFail || (!c.wantFail && (off != c.off || n != c.n)) {
			t.Errorf("%s: got %d,%d,%v", c.spec, off, n, err)
		}
	}
}

func TestTokenRequired(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st.EnsureBucket("b")
	srv := httptest.NewServer(st.Handler(nil, "s3cret"))
	defer srv.Close()
	for _, p := range []string{"/", "/b", "/s3cre/b", "/s3cretX/b", "/b/s3cret"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s without the token: %d", p, resp.StatusCode)
		}
	}
	resp, err := http.Get(srv.URL + "/s3cret/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ListBuckets with the token: %d", resp.StatusCode)
	}
}
