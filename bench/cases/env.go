package cases

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// Provider names as they appear in the report, and the emrfsd top-level
// directory serving each.
const (
	Plain  = "plain"
	SSEKMS = "sse-kms"
	CSEKMS = "cse-kms"
)

// Providers lists the providers in report order.
var Providers = []string{Plain, SSEKMS, CSEKMS}

func dirOf(provider string) string {
	switch provider {
	case SSEKMS:
		return "ssekms"
	case CSEKMS:
		return "csekms"
	default:
		return "plain"
	}
}

// Servers are the S3 and KMS endpoints the benchmark runs against.
type Servers struct {
	S3Endpoint  string // MinIO, http://127.0.0.1:PORT
	KMSEndpoint string // local-kms
}

// Env is the per-run state: clients, buckets and the CSE key.
type Env struct {
	Servers
	S3      *s3.Client
	KMS     *kms.Client
	Buckets map[string]string // provider → bucket
	KeyARN  string
	KeyID   string
	Alias   string
	http    *http.Client
}

// newHTTPClient returns a client whose pool keeps enough idle connections
// for the concurrent uploads.
func newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 64
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: tr}
}

func awsConfig(hc *http.Client) aws.Config {
	return aws.Config{
		Region:      testenv.Region,
		Credentials: credentials.NewStaticCredentialsProvider(testenv.AccessKey, testenv.SecretKey, ""),
		HTTPClient:  hc,
	}
}

// s3ClientFor returns a path-style client for endpoint (MinIO or a proxy in
// front of it).
func (e *Env) s3ClientFor(endpoint string) *s3.Client {
	return testenv.NewS3Client(awsConfig(e.http), endpoint)
}

func unique(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return prefix + "-" + hex.EncodeToString(b[:])
}

// NewEnv creates fresh buckets (one per provider) and a fresh KMS key with
// an alias for the cse-kms bucket.
func NewEnv(ctx context.Context, srv Servers) (*Env, error) {
	hc := newHTTPClient()
	cfg := awsConfig(hc)
	e := &Env{
		Servers: srv,
		http:    hc,
		S3:      testenv.NewS3Client(cfg, srv.S3Endpoint),
		KMS: kms.NewFromConfig(cfg, func(o *kms.Options) {
			o.BaseEndpoint = aws.String(srv.KMSEndpoint)
		}),
		Buckets: map[string]string{},
	}
	for _, p := range Providers {
		b := unique("bench-" + dirOf(p))
		if _, err := e.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			return nil, fmt.Errorf("bench: create bucket %s: %w", b, err)
		}
		e.Buckets[p] = b
	}
	key, err := e.KMS.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		return nil, fmt.Errorf("bench: kms CreateKey: %w", err)
	}
	e.KeyID, e.KeyARN = aws.ToString(key.KeyMetadata.KeyId), aws.ToString(key.KeyMetadata.Arn)
	e.Alias = "alias/" + unique("emrfsd-bench")
	if _, err := e.KMS.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(e.Alias), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		return nil, fmt.Errorf("bench: kms CreateAlias: %w", err)
	}
	return e, nil
}

// Close deletes every object and the buckets (best effort: returns the
// first error).
func (e *Env) Close(ctx context.Context) error {
	var errs []error
	for _, b := range e.Buckets {
		if err := e.deletePrefix(ctx, b, ""); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := e.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)}); err != nil {
			errs = append(errs, fmt.Errorf("bench: delete bucket %s: %w", b, err))
		}
	}
	return errors.Join(errs...)
}

// deletePrefix deletes every object under prefix, a page at a time.
func (e *Env) deletePrefix(ctx context.Context, bucket, prefix string) error {
	p := s3.NewListObjectsV2Paginator(e.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("bench: list %s/%s: %w", bucket, prefix, err)
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]s3types.ObjectIdentifier, 0, len(page.Contents))
		for _, o := range page.Contents {
			ids = append(ids, s3types.ObjectIdentifier{Key: o.Key})
		}
		if _, err := e.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}}); err != nil {
			return fmt.Errorf("bench: delete under %s/%s: %w", bucket, prefix, err)
		}
	}
	return nil
}
