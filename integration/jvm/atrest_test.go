package jvm

import (
	"bytes"
	"context"
	"io"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// sparkMarker is what spark_checks.py writes into every row's s column.
const sparkMarker = "emrfsd-plaintext-marker-"

type object struct {
	bucket, key string
	size        int64
}

// listObjects lists a bucket's objects under prefix.
func (f *fixture) listObjects(t *testing.T, ctx context.Context, bucket, prefix string) []object {
	t.Helper()
	var out []object
	p := s3.NewListObjectsV2Paginator(f.env.S3Client(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("list %s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, object{bucket, aws.ToString(o.Key), aws.ToInt64(o.Size)})
		}
	}
	return out
}

func (f *fixture) getObject(t *testing.T, ctx context.Context, o object) []byte {
	t.Helper()
	out, err := f.env.S3Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", o.bucket, o.key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s/%s: %v", o.bucket, o.key, err)
	}
	return b
}

// sparkParts are the part files Spark wrote in a bucket, by format
// directory (v1, v2, csv, json, ...).
func (f *fixture) sparkParts(t *testing.T, ctx context.Context, dir string) []object {
	var parts []object
	for _, o := range f.listObjects(t, ctx, f.buckets[dir], "spark-"+f.run+"/") {
		if strings.HasPrefix(path.Base(o.key), "part-") && !strings.HasSuffix(o.key, "/") {
			parts = append(parts, o)
		}
	}
	return parts
}

func isText(key string) bool {
	return strings.Contains(key, "/csv/") || strings.Contains(key, "/json/")
}

// checkSparkAtRest looks at the part files in MinIO directly: SSE-KMS
// headers in ssekms, the S3 Encryption Client envelope and no plaintext in
// csekms, and (as the control that shows the search works) plaintext and
// no encryption in plain.
func (f *fixture) checkSparkAtRest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s3c := f.env.S3Client()
	head := func(t *testing.T, o object) *s3.HeadObjectOutput {
		h, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key)})
		if err != nil {
			t.Fatalf("HEAD %s/%s: %v", o.bucket, o.key, err)
		}
		return h
	}
	partsOf := func(t *testing.T, dir string) []object {
		parts := f.sparkParts(t, ctx, dir)
		text := 0
		for _, o := range parts {
			if isText(o.key) {
				text++
			}
		}
		if len(parts) == 0 || text == 0 {
			t.Fatalf("%d part files (%d CSV/JSON) under %s/spark-%s/: the Spark jobs wrote nothing to check", len(parts), text, f.buckets[dir], f.run)
		}
		return parts
	}
	t.Run("plain/no-encryption-and-plaintext-visible", func(t *testing.T) {
		for _, o := range partsOf(t, "plain") {
			h := head(t, o)
			if h.ServerSideEncryption != "" || h.Metadata["x-amz-key-v2"] != "" {
				t.Errorf("%s: SSE %q, envelope %q in the plain bucket", o.key, h.ServerSideEncryption, h.Metadata["x-amz-key-v2"])
			}
			if isText(o.key) && o.size > 0 && !bytes.Contains(f.getObject(t, ctx, o), []byte(sparkMarker)) {
				t.Errorf("%s: plaintext marker not found in a plain CSV/JSON part (the at-rest search would prove nothing)", o.key)
			}
		}
	})
	t.Run("ssekms/part-files-sse-kms", func(t *testing.T) {
		parts := partsOf(t, "ssekms")
		for _, o := range parts {
			h := head(t, o)
			if string(h.ServerSideEncryption) != "aws:kms" {
				t.Errorf("%s: x-amz-server-side-encryption %q, want aws:kms", o.key, h.ServerSideEncryption)
			} else if !strings.Contains(aws.ToString(h.SSEKMSKeyId), testenv.MinIOKMSKey) {
				t.Errorf("%s: SSE-KMS key %q, want %s", o.key, aws.ToString(h.SSEKMSKeyId), testenv.MinIOKMSKey)
			}
		}
		t.Logf("%d part files carry SSE-KMS", len(parts))
	})
	t.Run("csekms/part-files-cse-envelope", func(t *testing.T) {
		parts := partsOf(t, "csekms")
		for _, o := range parts {
			h := head(t, o)
			md := h.Metadata
			if md["x-amz-key-v2"] == "" || md["x-amz-cek-alg"] != "AES/GCM/NoPadding" || md["x-amz-iv"] == "" || md["x-amz-wrap-alg"] == "" {
				t.Errorf("%s: no S3 Encryption Client envelope: x-amz-key-v2 %d bytes, x-amz-cek-alg %q, x-amz-iv %q, x-amz-wrap-alg %q",
					o.key, len(md["x-amz-key-v2"]), md["x-amz-cek-alg"], md["x-amz-iv"], md["x-amz-wrap-alg"])
			}
			if h.ServerSideEncryption != "" {
				t.Errorf("%s: SSE %q on a CSE object", o.key, h.ServerSideEncryption)
			}
		}
		t.Logf("%d part files carry the CSE envelope", len(parts))
	})
	t.Run("csekms/no-plaintext", func(t *testing.T) {
		for _, o := range partsOf(t, "csekms") {
			if o.size > 8<<20 {
				continue
			}
			if body := f.getObject(t, ctx, o); bytes.Contains(body, []byte(sparkMarker)) {
				t.Errorf("%s: plaintext marker stored in the CSE-KMS bucket", o.key)
			}
		}
	})
}

// checkTrashAtRest: the shell's trashed files carry a marker per bucket. A
// CSE-KMS file's plaintext must not be stored in any bucket (wherever trash
// moved it); the plain bucket's marker must be found somewhere in plaintext
// (the control: -rm kept the data, and the search works).
func (f *fixture) checkTrashAtRest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	all := []string{f.rootBucket}
	for _, d := range dirs {
		all = append(all, f.buckets[d])
	}
	found := map[string][]string{} // marker bucket dir → where its plaintext is stored
	for _, b := range all {
		for _, o := range f.listObjects(t, ctx, b, "") {
			if o.size == 0 || o.size > 64<<10 {
				continue
			}
			body := f.getObject(t, ctx, o)
			for _, d := range dirs {
				if bytes.Contains(body, []byte("emrfsd-trash-marker-"+d+"-"+f.run)) {
					found[d] = append(found[d], b+"/"+o.key)
				}
			}
		}
	}
	for d, where := range found {
		sort.Strings(where)
		t.Logf("plaintext of %s's trashed file stored at %v", d, where)
	}
	t.Run("plain-trashed-data-kept", func(t *testing.T) {
		if len(found["plain"]) == 0 {
			t.Error("the plain bucket's trashed file is stored nowhere: -rm with trash lost it (or the search is broken)")
		}
	})
	t.Run("csekms-plaintext-nowhere", func(t *testing.T) {
		if len(found["csekms"]) > 0 {
			t.Errorf("a CSE-KMS file's plaintext is stored at rest in %v", found["csekms"])
		}
	})
}
