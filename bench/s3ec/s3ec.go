package s3ec

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/kms"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/aws/aws-sdk-go/service/s3/s3crypto"

	"github.com/emrfsd/emrfsd/bench/data"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// Subcommand names.
const (
	CmdPut = "s3ec-put"
	CmdGet = "s3ec-get"
)

// ErrUsage reports bad subcommand arguments.
var ErrUsage = errors.New("s3ec: usage")

// Request names the object and the servers.
type Request struct {
	S3Endpoint, KMSEndpoint string
	Bucket, Key             string
	CMK                     string // KMS key id, ARN or alias (put only)
	Seed                    uint64
	Size                    int64
}

// Result is what a child reports on stdout (JSON).
type Result struct {
	Seconds float64 `json:"seconds"` // time of the S3EC call (put) or call plus body read (get)
	Bytes   int64   `json:"bytes"`
	CRC     uint32  `json:"crc"` // CRC32C of the plaintext read (get)
}

// Args returns the command line that runs cmd for req in a child.
func (r Request) Args(cmd string) []string {
	return []string{cmd, "-s3", r.S3Endpoint, "-kms", r.KMSEndpoint, "-bucket", r.Bucket, "-key", r.Key,
		"-cmk", r.CMK, "-seed", fmt.Sprint(r.Seed), "-size", fmt.Sprint(r.Size)}
}

func parse(args []string) (Request, error) {
	var r Request
	fs := flag.NewFlagSet("s3ec", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&r.S3Endpoint, "s3", "", "")
	fs.StringVar(&r.KMSEndpoint, "kms", "", "")
	fs.StringVar(&r.Bucket, "bucket", "", "")
	fs.StringVar(&r.Key, "key", "", "")
	fs.StringVar(&r.CMK, "cmk", "", "")
	fs.Uint64Var(&r.Seed, "seed", 0, "")
	fs.Int64Var(&r.Size, "size", 0, "")
	if err := fs.Parse(args); err != nil {
		return r, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if r.S3Endpoint == "" || r.KMSEndpoint == "" || r.Bucket == "" || r.Key == "" || r.Size < 0 {
		return r, fmt.Errorf("%w: -s3, -kms, -bucket and -key are required", ErrUsage)
	}
	return r, nil
}

func newSession(r Request) (*session.Session, *kms.KMS, error) {
	sess, err := session.NewSessionWithOptions(session.Options{
		Config: aws.Config{
			Region:           aws.String(testenv.Region),
			Credentials:      credentials.NewStaticCredentials(testenv.AccessKey, testenv.SecretKey, ""),
			Endpoint:         aws.String(r.S3Endpoint),
			S3ForcePathStyle: aws.Bool(true),
			DisableSSL:       aws.Bool(true),
		},
		SharedConfigState: session.SharedConfigDisable,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("s3ec: session: %w", err)
	}
	return sess, kms.New(sess, &aws.Config{Endpoint: aws.String(r.KMSEndpoint)}), nil
}

// Put encrypts and uploads Size bytes of the stream Seed with
// EncryptionClientV2.
func Put(ctx context.Context, r Request) (Result, error) {
	sess, kc, err := newSession(r)
	if err != nil {
		return Result{}, err
	}
	gen := s3crypto.NewKMSContextKeyGenerator(kc, r.CMK, s3crypto.MaterialDescription{})
	client, err := s3crypto.NewEncryptionClientV2(sess, s3crypto.AESGCMContentCipherBuilderV2(gen))
	if err != nil {
		return Result{}, fmt.Errorf("s3ec: encryption client: %w", err)
	}
	start := time.Now()
	if _, err := client.PutObjectWithContext(ctx, &s3.PutObjectInput{
		Bucket: aws.String(r.Bucket), Key: aws.String(r.Key), Body: data.New(r.Seed, r.Size),
	}); err != nil {
		return Result{}, fmt.Errorf("s3ec: put %s: %w", r.Key, err)
	}
	return Result{Seconds: time.Since(start).Seconds(), Bytes: r.Size}, nil
}

// Get downloads and decrypts the object with DecryptionClientV2 and
// returns the plaintext length and CRC32C.
func Get(ctx context.Context, r Request) (Result, error) {
	sess, kc, err := newSession(r)
	if err != nil {
		return Result{}, err
	}
	reg := s3crypto.NewCryptoRegistry()
	if err := s3crypto.RegisterAESGCMContentCipher(reg); err != nil {
		return Result{}, fmt.Errorf("s3ec: registry: %w", err)
	}
	if err := s3crypto.RegisterKMSContextWrapWithAnyCMK(reg, kc); err != nil {
		return Result{}, fmt.Errorf("s3ec: registry: %w", err)
	}
	client, err := s3crypto.NewDecryptionClientV2(sess, reg)
	if err != nil {
		return Result{}, fmt.Errorf("s3ec: decryption client: %w", err)
	}
	start := time.Now()
	out, err := client.GetObjectWithContext(ctx, &s3.GetObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(r.Key)})
	if err != nil {
		return Result{}, fmt.Errorf("s3ec: get %s: %w", r.Key, err)
	}
	defer out.Body.Close()
	buf := make([]byte, 1<<20)
	var (
		n   int64
		crc uint32
	)
	for {
		k, err := out.Body.Read(buf)
		crc = data.CRC32C(crc, buf[:k])
		n += int64(k)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Result{}, fmt.Errorf("s3ec: read %s: %w", r.Key, err)
		}
	}
	return Result{Seconds: time.Since(start).Seconds(), Bytes: n, CRC: crc}, nil
}

// Main runs a subcommand (args[0] is CmdPut or CmdGet) and writes its
// Result as JSON to stdout.
func Main(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no subcommand", ErrUsage)
	}
	r, err := parse(args[1:])
	if err != nil {
		return err
	}
	var res Result
	switch args[0] {
	case CmdPut:
		res, err = Put(ctx, r)
	case CmdGet:
		res, err = Get(ctx, r)
	default:
		return fmt.Errorf("%w: unknown subcommand %q", ErrUsage, args[0])
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}
