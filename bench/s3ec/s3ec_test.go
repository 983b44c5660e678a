package s3ec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/bench/data"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// TestPutGetRoundTrip writes an object with the S3 Encryption Client and
// reads it back, against the real MinIO and local-kms.
func TestPutGetRoundTrip(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	e := testenv.Get(t)
	bucket := e.NewBucket(t, "s3ec")
	key := e.NewKMSKey(t, "s3ec")
	const size = 3<<20 + 5
	req := Request{S3Endpoint: e.S3Endpoint, KMSEndpoint: e.KMSEndpoint, Bucket: bucket, Key: "obj", CMK: key.Alias, Seed: 9, Size: size}
	ctx := context.Background()
	var out bytes.Buffer
	if err := Main(ctx, req.Args(CmdPut), &out); err != nil {
		t.Fatal(err)
	}
	var put Result
	if err := json.Unmarshal(out.Bytes(), &put); err != nil || put.Bytes != size || put.Seconds <= 0 {
		t.Fatalf("put result %+v %v", put, err)
	}
	head, err := e.S3Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &req.Key})
	if err != nil {
		t.Fatal(err)
	}
	if *head.ContentLength != size+16 || head.Metadata["x-amz-wrap-alg"] != "kms+context" {
		t.Fatalf("stored object is not S3EC V2: length %d, metadata %v", *head.ContentLength, head.Metadata)
	}
	got, err := Get(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bytes != size || got.CRC != data.CRC(9, size) {
		t.Fatalf("get: %d bytes crc %08x, want %d crc %08x", got.Bytes, got.CRC, size, data.CRC(9, size))
	}
}

func TestMainRejectsBadArguments(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"s3ec-nope", "-s3", "x", "-kms", "y", "-bucket", "b", "-key", "k"},
		{CmdPut, "-bucket", "b"},
		{CmdGet, "-size", "many"},
	} {
		if err := Main(context.Background(), args, &bytes.Buffer{}); !errors.Is(err, ErrUsage) {
			t.Errorf("Main(%q) = %v, want ErrUsage", args, err)
		}
	}
}
