package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Fixed settings of the test servers.
const (
	Region    = "us-east-1"
	AccessKey = "minioadmin"
	SecretKey = "minioadmin"
	AccountID = "111122223333"
	// MinIOKMSKey is the one key name MinIO's built-in KMS accepts for SSE-KMS.
	MinIOKMSKey = "emrfsd-test-key"
)

// Env describes the running test servers.
type Env struct {
	S3Endpoint  string // http://127.0.0.1:PORT (MinIO)
	S3DataDir   string // MinIO's data directory, for at-rest scans
	KMSEndpoint string // http://127.0.0.1:PORT (local-kms)
	ToolsDir    string // installed tools (hdfs CLI, minio, ...)
}

// Get returns the environment, failing the test when the servers are not
// running.
func Get(t testing.TB) *Env {
	t.Helper()
	e, err := Lookup()
	if err != nil {
		t.Fatalf("%v", err)
	}
	return e
}

// Lookup reads the environment set by scripts/services.sh.
func Lookup() (*Env, error) {
	e := &Env{
		S3Endpoint:  os.Getenv("EMRFSD_TEST_S3_ENDPOINT"),
		S3DataDir:   os.Getenv("EMRFSD_TEST_S3_DATA"),
		KMSEndpoint: os.Getenv("EMRFSD_TEST_KMS_ENDPOINT"),
		ToolsDir:    os.Getenv("EMRFSD_TEST_TOOLS"),
	}
	if e.S3Endpoint == "" || e.KMSEndpoint == "" || e.ToolsDir == "" {
		return nil, errors.New("testenv: MinIO/local-kms are not running (EMRFSD_TEST_* unset): run the suite with ./scripts/test.sh")
	}
	return e, nil
}

// Tool returns the path of an installed tool, e.g. "hdfs".
func (e *Env) Tool(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(e.ToolsDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testenv: tool %s missing (run scripts/tools.sh): %v", name, err)
	}
	return p
}

// AWSConfig returns an SDK config with the test credentials and region.
func (e *Env) AWSConfig() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		HTTPClient:  &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
	}
}

// S3Client returns a path-style client for MinIO.
func (e *Env) S3Client() *s3.Client {
	return NewS3Client(e.AWSConfig(), e.S3Endpoint)
}

// NewS3Client returns a path-style client for an S3-compatible endpoint over
// plain http, with unsigned payloads and checksums only where required.
func NewS3Client(cfg aws.Config, endpoint string) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	})
}

// KMSClient returns a client for local-kms.
func (e *Env) KMSClient() *kms.Client {
	return kms.NewFromConfig(e.AWSConfig(), func(o *kms.Options) {
		o.BaseEndpoint = aws.String(e.KMSEndpoint)
	})
}

// Unique returns prefix plus a random suffix, usable as a bucket name.
func Unique(prefix string) string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return strings.ToLower(prefix) + "-" + hex.EncodeToString(b[:])
}

// NewBucket creates a fresh bucket and returns its name.
func (e *Env) NewBucket(t testing.TB, prefix string) string {
	t.Helper()
	name := Unique(prefix)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.S3Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("testenv: create bucket %s: %v", name, err)
	}
	return name
}

// EmptyBucket deletes every object in a bucket (for reuse between subtests).
func (e *Env) EmptyBucket(t testing.TB, bucket string) {
	t.Helper()
	ctx := context.Background()
	c := e.S3Client()
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("testenv: list %s: %v", bucket, err)
		}
		if len(page.Contents) == 0 {
			continue
		}
		var ids []s3types.ObjectIdentifier
		for _, o := range page.Contents {
			ids = append(ids, s3types.ObjectIdentifier{Key: o.Key})
		}
		if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}}); err != nil {
			t.Fatalf("testenv: empty %s: %v", bucket, err)
		}
	}
}

// RemoveBucketOnCleanup deletes bucket when t finishes: its multipart
// uploads are aborted, its objects deleted, then the bucket itself. Tests
// that write gigabytes register it so that a run does not leave them on
// MinIO's disk (a full disk fails later tests with XMinioStorageFull).
// Register it before starting anything that must stop first (cleanups run
// last-registered first). Failures are logged, not test failures.
func (e *Env) RemoveBucketOnCleanup(t testing.TB, bucket string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := RemoveBucket(ctx, e.S3Client(), bucket); err != nil {
			t.Logf("testenv: remove bucket %s: %v", bucket, err)
		}
	})
}

// RemoveBucket aborts a bucket's multipart uploads, deletes its objects,
// then the bucket.
func RemoveBucket(ctx context.Context, c *s3.Client, bucket string) error {
	up := s3.NewListMultipartUploadsPaginator(c, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	for up.HasMorePages() {
		page, err := up.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, u := range page.Uploads {
			if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId}); err != nil {
				return err
			}
		}
	}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		if len(page.Contents) == 0 {
			continue
		}
		var ids []s3types.ObjectIdentifier
		for _, o := range page.Contents {
			ids = append(ids, s3types.ObjectIdentifier{Key: o.Key})
		}
		if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}}); err != nil {
			return err
		}
	}
	_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	return err
}

// Key is a KMS key created for a test.
type Key struct {
	ID    string // key id (UUID)
	ARN   string
	Alias string // "alias/..."
}

// NewKMSKey creates a symmetric customer-managed key with a unique alias.
func (e *Env) NewKMSKey(t testing.TB, aliasPrefix string) Key {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k, err := e.CreateKMSKey(ctx, aliasPrefix)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return k
}

// CreateKMSKey is NewKMSKey for set-up code that has no testing.TB.
func (e *Env) CreateKMSKey(ctx context.Context, aliasPrefix string) (Key, error) {
	c := e.KMSClient()
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		return Key{}, fmt.Errorf("CreateKey: %w", err)
	}
	alias := "alias/" + Unique(aliasPrefix)
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
		return Key{}, fmt.Errorf("CreateAlias: %w", err)
	}
	return Key{ID: aws.ToString(out.KeyMetadata.KeyId), ARN: aws.ToString(out.KeyMetadata.Arn), Alias: alias}, nil
}
