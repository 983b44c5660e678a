package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	v1aws "github.com/aws/aws-sdk-go/aws"
	v1creds "github.com/aws/aws-sdk-go/aws/credentials"
	v1session "github.com/aws/aws-sdk-go/aws/session"
	v1kms "github.com/aws/aws-sdk-go/service/kms"
	v1s3 "github.com/aws/aws-sdk-go/service/s3"
	"github.com/aws/aws-sdk-go/service/s3/s3crypto"
)

type objHead struct {
	size int64
	meta map[string]string
}

func headObject(t testing.TB, g *Gateway, dir, key string) objHead {
	t.Helper()
	out, err := g.Env.S3Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(g.Buckets[dir]), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("head %s/%s: %v", dir, key, err)
	}
	return objHead{size: aws.ToInt64(out.ContentLength), meta: out.Metadata}
}

// v1Session is an aws-sdk-go v1 session for the test MinIO and local-kms
// (the AWS S3 Encryption Client lives in v1's s3crypto).
func v1Clients(t *testing.T, g *Gateway) (*v1session.Session, *v1kms.KMS) {
	t.Helper()
	t.Setenv("AWS_CA_BUNDLE", "") // v1 sessions with custom endpoints choke on the machine's bundle
	sess, err := v1session.NewSession(&v1aws.Config{
		Region:           v1aws.String("us-east-1"),
		Endpoint:         v1aws.String(g.Env.S3Endpoint),
		S3ForcePathStyle: v1aws.Bool(true),
		Credentials:      v1creds.NewStaticCredentials("minioadmin", "minioadmin", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	kc := v1kms.New(sess, &v1aws.Config{Endpoint: v1aws.String(g.Env.KMSEndpoint)})
	return sess, kc
}

// TestS3ECInterop: a file written through HDFS into the cse-kms bucket
// decrypts with the AWS S3 Encryption Client, and objects written by that
// client (header and instruction-file strategies) read back through HDFS.
func TestS3ECInterop(t *testing.T) {
	g := newGateway(t, nil)
	sess, kc := v1Clients(t, g)
	c := hdfsClient(t, g, currentUser(t))
	data := make([]byte, 5<<20+77)
	rand.Read(data)

	// emrfsd → S3EC.
	if err := c.MkdirAll("/csekms/interop", 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := c.Create("/csekms/interop/from-emrfsd.bin")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := closeWithRetry(w); err != nil {
		t.Fatal(err)
	}
	reg := s3crypto.NewCryptoRegistry()
	if err := s3crypto.RegisterAESGCMContentCipher(reg); err != nil {
		t.Fatal(err)
	}
	if err := s3crypto.RegisterKMSContextWrapWithAnyCMK(reg, kc); err != nil {
		t.Fatal(err)
	}
	if err := s3crypto.RegisterKMSWrapWithAnyCMK(reg, kc); err != nil {
		t.Fatal(err)
	}
	dc, err := s3crypto.NewDecryptionClientV2(sess, reg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := dc.GetObject(&v1s3.GetObjectInput{Bucket: v1aws.String(g.Buckets["csekms"]), Key: v1aws.String("interop/from-emrfsd.bin")})
	if err != nil {
		t.Fatalf("S3EC DecryptionClientV2: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("S3EC read of an emrfsd object differs (%v)", err)
	}

	// S3EC → emrfsd, both save strategies.
	keyGen := s3crypto.NewKMSContextKeyGenerator(kc, g.Key.ARN, s3crypto.MaterialDescription{"written-by": v1aws.String("s3crypto")})
	for _, mode := range []string{"header", "instruction"} {
		ec, err := s3crypto.NewEncryptionClientV2(sess, s3crypto.AESGCMContentCipherBuilderV2(keyGen), func(o *s3crypto.EncryptionClientOptions) {
			if mode == "instruction" {
				o.SaveStrategy = s3crypto.S3SaveStrategy{Client: v1s3.New(sess)}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		key := "interop/from-s3ec-" + mode + ".bin"
		if _, err := ec.PutObject(&v1s3.PutObjectInput{Bucket: v1aws.String(g.Buckets["csekms"]), Key: v1aws.String(key), Body: bytes.NewReader(data)}); err != nil {
			t.Fatalf("S3EC put (%s): %v", mode, err)
		}
		r, err := c.Open("/csekms/" + key)
		if err != nil {
			t.Fatalf("open %s: %v", key, err)
		}
		if r.Stat().Size() != int64(len(data)) {
			t.Fatalf("%s: size %d, want %d", key, r.Stat().Size(), len(data))
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("emrfsd read of an S3EC %s object differs (%v)", mode, err)
		}
	}
	// The instruction file is not listed as a file of its own.
	names, err := c.ReadDir("/csekms/interop")
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range names {
		if strings.HasSuffix(fi.Name(), ".instruction") {
			t.Fatalf("instruction file listed: %s", fi.Name())
		}
	}
	_ = time.Second
}
