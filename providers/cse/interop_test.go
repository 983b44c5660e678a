package cse_test

// Interoperability with the AWS S3 Encryption Client (aws-sdk-go v1
// service/s3/s3crypto, V2 clients) on real MinIO + local-kms.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	v1aws "github.com/aws/aws-sdk-go/aws"
	v1creds "github.com/aws/aws-sdk-go/aws/credentials"
	v1session "github.com/aws/aws-sdk-go/aws/session"
	v1kms "github.com/aws/aws-sdk-go/service/kms"
	v1s3 "github.com/aws/aws-sdk-go/service/s3"
	"github.com/aws/aws-sdk-go/service/s3/s3crypto"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/cse"
)

// s3Source reads a stored object (and its instruction file) with
// aws-sdk-go-v2, as package fs does.
type s3Source struct {
	c           *s3.Client
	bucket, key string
}

func (s *s3Source) Range(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key)}
	switch {
	case n == 0:
		return io.NopCloser(bytes.NewReader(nil)), nil
	case n < 0 && off > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", off))
	case n > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	}
	out, err := s.c.GetObject(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.Body, nil
}

func (s *s3Source) Instruction(ctx context.Context) ([]byte, error) {
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key + providers.InstructionSuffix)})
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return nil, iofs.ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

type interop struct {
	t      *testing.T
	env    *testenv.Env
	s3     *s3.Client
	kms    *kms.AWS
	key    testenv.Key
	bucket string
	sess   *v1session.Session
	v1kms  *v1kms.KMS
}

func newInterop(t *testing.T) *interop {
	t.Helper()
	// v1 sessions with a custom endpoint fail on a CA bundle variable.
	t.Setenv("AWS_CA_BUNDLE", "")
	e := testenv.Get(t)
	in := &interop{t: t, env: e, s3: e.S3Client(), kms: kms.NewAWS(e.KMSClient()), key: e.NewKMSKey(t, "cse-interop")}
	in.bucket = e.NewBucket(t, "cse-interop")
	sess, err := v1session.NewSession(&v1aws.Config{
		Region:           v1aws.String(testenv.Region),
		Endpoint:         v1aws.String(e.S3Endpoint),
		S3ForcePathStyle: v1aws.Bool(true),
		Credentials:      v1creds.NewStaticCredentials(testenv.AccessKey, testenv.SecretKey, ""),
	})
	if err != nil {
		t.Fatalf("v1 session: %v", err)
	}
	in.sess = sess
	in.v1kms = v1kms.New(sess, v1aws.NewConfig().WithEndpoint(e.KMSEndpoint))
	return in
}

func (in *interop) provider(wrap, mode string) *cse.Provider {
	in.t.Helper()
	p, err := cse.NewKMS(cse.KMSOptions{KMS: in.kms, KeyID: in.key.Alias, KeyARN: in.key.ARN, WrapAlg: wrap, StorageMode: mode})
	if err != nil {
		in.t.Fatalf("NewKMS: %v", err)
	}
	return p
}

// put encodes plain with p and stores it with aws-sdk-go-v2 as fs would.
func (in *interop) put(p providers.Provider, key string, plain []byte) {
	in.t.Helper()
	ctx := context.Background()
	var buf bytes.Buffer
	up, w, err := p.Encode(ctx, providers.Object{Bucket: in.bucket, Key: key}, &buf)
	if err != nil {
		in.t.Fatalf("Encode: %v", err)
	}
	if _, err := w.Write(plain); err != nil {
		in.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		in.t.Fatal(err)
	}
	if up.Instruction != nil {
		if _, err := in.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(in.bucket), Key: aws.String(key + providers.InstructionSuffix),
			Body: bytes.NewReader(up.Instruction)}); err != nil {
			in.t.Fatalf("put instruction: %v", err)
		}
	}
	if _, err := in.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(in.bucket), Key: aws.String(key),
		Body: bytes.NewReader(buf.Bytes()), Metadata: up.Metadata}); err != nil {
		in.t.Fatalf("put: %v", err)
	}
}

// head fetches what fs hands a provider: HEAD and a Source.
func (in *interop) head(key string) (providers.Head, *s3Source) {
	in.t.Helper()
	out, err := in.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(in.bucket), Key: aws.String(key)})
	if err != nil {
		in.t.Fatalf("head %s: %v", key, err)
	}
	return providers.Head{Size: aws.ToInt64(out.ContentLength), Metadata: out.Metadata, ETag: aws.ToString(out.ETag)},
		&s3Source{c: in.s3, bucket: in.bucket, key: key}
}

func read(p providers.Provider, obj providers.Object, h providers.Head, src providers.Source, off, n int64) ([]byte, error) {
	rc, err := p.Decode(context.Background(), obj, h, src, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func random(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// (a) Objects written here decrypt with the SDK's DecryptionClientV2.
func TestInteropSDKReadsOurObjects(t *testing.T) {
	in := newInterop(t)
	cr := s3crypto.NewCryptoRegistry()
	if err := s3crypto.RegisterAESGCMContentCipher(cr); err != nil {
		t.Fatal(err)
	}
	if err := s3crypto.RegisterKMSContextWrapWithAnyCMK(cr, in.v1kms); err != nil {
		t.Fatal(err)
	}
	if err := s3crypto.RegisterKMSWrapWithAnyCMK(cr, in.v1kms); err != nil {
		t.Fatal(err)
	}
	dec, err := s3crypto.NewDecryptionClientV2(in.sess, cr)
	if err != nil {
		t.Fatal(err)
	}
	for _, wrap := range []string{cse.WrapKMS, cse.WrapKMSContext} {
		for _, mode := range []string{cse.StorageObjectMetadata, cse.StorageInstructionFile} {
			for _, size := range []int{0, 1, 1000, 3<<20 + 5} {
				key := fmt.Sprintf("ours/%s/%s/%d", wrap, mode, size)
				plain := random(t, size)
				in.put(in.provider(wrap, mode), key, plain)
				out, err := dec.GetObject(&v1s3.GetObjectInput{Bucket: v1aws.String(in.bucket), Key: v1aws.String(key)})
				if err != nil {
					t.Fatalf("%s: SDK GetObject: %v", key, err)
				}
				got, err := io.ReadAll(out.Body)
				out.Body.Close()
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("%s: SDK read %d bytes (%v), want %d equal bytes", key, len(got), err, size)
				}
			}
		}
	}
}

// (b) Objects written by the SDK's EncryptionClientV2 read back through Decode.
func TestInteropWeReadSDKObjects(t *testing.T) {
	in := newInterop(t)
	v1s3c := v1s3.New(in.sess)
	for _, strategy := range []string{"header", "instruction"} {
		gen := s3crypto.NewKMSContextKeyGenerator(in.v1kms, in.key.ARN, s3crypto.MaterialDescription{"gateway": v1aws.String("anchors")})
		enc, err := s3crypto.NewEncryptionClientV2(in.sess, s3crypto.AESGCMContentCipherBuilderV2(gen), func(o *s3crypto.EncryptionClientOptions) {
			if strategy == "instruction" {
				o.SaveStrategy = s3crypto.S3SaveStrategy{Client: v1s3c}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, wrap := range []string{cse.WrapKMS, cse.WrapKMSContext} { // our write setting must not matter for reads
			p := in.provider(wrap, "")
			for _, size := range []int{0, 17, 100000} {
				key := fmt.Sprintf("sdk/%s/%s/%d", strategy, wrap, size)
				plain := random(t, size)
				if _, err := enc.PutObject(&v1s3.PutObjectInput{Bucket: v1aws.String(in.bucket), Key: v1aws.String(key), Body: bytes.NewReader(plain)}); err != nil {
					t.Fatalf("SDK PutObject: %v", err)
				}
				h, src := in.head(key)
				obj := providers.Object{Bucket: in.bucket, Key: key}
				got, err := read(p, obj, h, src, 0, -1)
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("%s: Decode %d bytes (%v), want %d equal bytes", key, len(got), err, size)
				}
				if ps, err := p.PlainSize(context.Background(), obj, h, src); err != nil || ps != int64(size) {
					t.Fatalf("%s: PlainSize %d, %v", key, ps, err)
				}
				if size > 100 {
					got, err := read(p, obj, h, src, 33, 5000)
					if err != nil || !bytes.Equal(got, plain[33:5033]) {
						t.Fatalf("%s: ranged Decode: %v", key, err)
					}
				}
			}
		}
	}
}

// (c) A wrong encryption context and flipped bits are refused on real KMS.
func TestInteropTamper(t *testing.T) {
	in := newInterop(t)
	b64 := base64.StdEncoding
	plain := random(t, 10000)
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 0x04; return c }
	for _, wrap := range []string{cse.WrapKMS, cse.WrapKMSContext} {
		p := in.provider(wrap, "")
		key := "tamper/" + wrap
		in.put(p, key, plain)
		h0, src0 := in.head(key)
		obj := providers.Object{Bucket: in.bucket, Key: key}
		if got, err := read(p, obj, h0, src0, 0, -1); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: untampered read: %v", wrap, err)
		}
		body, err := io.ReadAll(mustRange(t, src0))
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			mut  func(h *providers.Head) providers.Source
			want error
		}{
			{"wrong context", func(h *providers.Head) providers.Source {
				var m map[string]string
				_ = json.Unmarshal([]byte(h.Metadata["x-amz-matdesc"]), &m)
				m["purpose"] = "other"
				b, _ := json.Marshal(m)
				h.Metadata["x-amz-matdesc"] = string(b)
				return src0
			}, errs.ErrKeyMismatch},
			{"wrapped key bit", func(h *providers.Head) providers.Source {
				w, _ := b64.DecodeString(h.Metadata["x-amz-key-v2"])
				h.Metadata["x-amz-key-v2"] = b64.EncodeToString(flip(w, len(w)-1)) // in the blob's ciphertext
				return src0
			}, errs.ErrKeyMismatch},
			{"iv bit", func(h *providers.Head) providers.Source {
				iv, _ := b64.DecodeString(h.Metadata["x-amz-iv"])
				h.Metadata["x-amz-iv"] = b64.EncodeToString(flip(iv, 0))
				return src0
			}, errs.ErrIntegrity},
			{"body bit", func(h *providers.Head) providers.Source {
				return &memBody{data: flip(body, 5000)}
			}, errs.ErrIntegrity},
		}
		if wrap == cse.WrapKMS {
			cases = append(cases, struct {
				name string
				mut  func(h *providers.Head) providers.Source
				want error
			}{"matdesc kms_cmk_id bit", func(h *providers.Head) providers.Source {
				md := []byte(h.Metadata["x-amz-matdesc"])
				md[len(md)-3] ^= 0x01 // inside the ARN's key id
				h.Metadata["x-amz-matdesc"] = string(md)
				return src0
			}, errs.ErrKeyMismatch})
		}
		for _, c := range cases {
			h := h0
			h.Metadata = maps.Clone(h0.Metadata)
			src := c.mut(&h)
			got, err := read(p, obj, h, src, 0, -1)
			if !errors.Is(err, c.want) {
				t.Errorf("%s/%s: %v, want %v", wrap, c.name, err, c.want)
			}
			if len(got) != 0 {
				t.Errorf("%s/%s: %d bytes returned from a tampered object", wrap, c.name, len(got))
			}
		}
	}
}

func mustRange(t *testing.T, s *s3Source) io.Reader {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	rc, err := s.Range(ctx, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

// memBody serves a (tampered) copy of a stored body.
type memBody struct{ data []byte }

func (m *memBody) Range(_ context.Context, off, n int64) (io.ReadCloser, error) {
	end := int64(len(m.data))
	if n >= 0 && off+n < end {
		end = off + n
	}
	return io.NopCloser(bytes.NewReader(m.data[off:end])), nil
}

func (m *memBody) Instruction(context.Context) ([]byte, error) { return nil, iofs.ErrNotExist }
