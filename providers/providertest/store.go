package providertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/emrfsd/emrfsd/providers"
)

// PartSize is the multipart part size the suite's uploader uses (the S3
// minimum). Objects whose stored bytes exceed it are uploaded in parts.
const PartSize = 5 << 20

// writeSize is the size of the plaintext writes Put issues: odd, so writes
// straddle every block and chunk boundary a provider may have.
const writeSize = 7919

// Stored describes an object Put wrote.
type Stored struct {
	Upload     providers.Upload // what Encode asked for
	SSE        providers.SSE    // what S3 answered on the completing request
	Multipart  bool             // stored with a multipart upload
	StoredSize int64            // bytes S3 holds for the object
}

// Put encodes plaintext from r through p and stores it as bucket/key the way
// fs does: the instruction file first (if any), then one PutObject, or a
// multipart upload once the stored bytes exceed PartSize. It returns an
// error when providers.Confirm rejects S3's answer (the object is then left
// in place for inspection).
func Put(ctx context.Context, c *s3.Client, p providers.Provider, bucket, key string, r io.Reader) (*Stored, error) {
	w := &partWriter{ctx: ctx, c: c, bucket: bucket, key: key}
	up, enc, err := p.Encode(ctx, providers.Object{Bucket: bucket, Key: key}, w)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", key, err)
	}
	w.up = up
	if up.Instruction != nil {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket),
			Key:    aws.String(key + providers.InstructionSuffix),
			Body:   bytes.NewReader(up.Instruction),
		}); err != nil {
			_ = enc.Close()
			return nil, fmt.Errorf("put instruction file of %s: %w", key, err)
		}
	}
	buf := make([]byte, writeSize)
	if _, err := io.CopyBuffer(onlyWriter{enc}, onlyReader{r}, buf); err != nil {
		_ = enc.Close()
		w.abort()
		return nil, fmt.Errorf("encode %s: %w", key, err)
	}
	if err := enc.Close(); err != nil {
		w.abort()
		return nil, fmt.Errorf("encode %s: close: %w", key, err)
	}
	got, err := w.finish()
	if err != nil {
		return nil, err
	}
	st := &Stored{Upload: up, SSE: got, Multipart: w.uploadID != "", StoredSize: w.total}
	if err := providers.Confirm(p, up, got); err != nil {
		return st, fmt.Errorf("confirm %s: %w", key, err)
	}
	return st, nil
}

// onlyWriter and onlyReader hide ReadFrom/WriteTo so io.CopyBuffer really
// writes in writeSize pieces.
type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }

// partWriter receives a provider's stored bytes: it buffers up to PartSize,
// then switches to a multipart upload and ships every full part.
type partWriter struct {
	ctx      context.Context
	c        *s3.Client
	bucket   string
	key      string
	up       providers.Upload
	buf      bytes.Buffer
	total    int64
	uploadID string
	parts    []s3types.CompletedPart
}

func (w *partWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		room := PartSize - w.buf.Len()
		if room == 0 {
			if err := w.flushPart(); err != nil {
				return n, err
			}
			continue
		}
		k := min(room, len(p))
		w.buf.Write(p[:k])
		w.total += int64(k)
		n += k
		p = p[k:]
	}
	return n, nil
}

func (w *partWriter) flushPart() error {
	if w.uploadID == "" {
		in := &s3.CreateMultipartUploadInput{Bucket: aws.String(w.bucket), Key: aws.String(w.key), Metadata: w.up.Metadata}
		applySSE(w.up.SSE, &in.ServerSideEncryption, &in.SSEKMSKeyId, &in.SSEKMSEncryptionContext)
		out, err := w.c.CreateMultipartUpload(w.ctx, in)
		if err != nil {
			return fmt.Errorf("create multipart upload %s: %w", w.key, err)
		}
		w.uploadID = aws.ToString(out.UploadId)
	}
	num := int32(len(w.parts) + 1)
	out, err := w.c.UploadPart(w.ctx, &s3.UploadPartInput{
		Bucket: aws.String(w.bucket), Key: aws.String(w.key), UploadId: aws.String(w.uploadID),
		PartNumber: aws.Int32(num), Body: bytes.NewReader(w.buf.Bytes()), ContentLength: aws.Int64(int64(w.buf.Len())),
	})
	if err != nil {
		return fmt.Errorf("upload part %d of %s: %w", num, w.key, err)
	}
	w.parts = append(w.parts, s3types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
	w.buf.Reset()
	return nil
}

// finish stores what is left and returns S3's report of the encryption.
func (w *partWriter) finish() (providers.SSE, error) {
	if w.uploadID == "" {
		in := &s3.PutObjectInput{
			Bucket: aws.String(w.bucket), Key: aws.String(w.key), Metadata: w.up.Metadata,
			Body: bytes.NewReader(w.buf.Bytes()), ContentLength: aws.Int64(int64(w.buf.Len())),
		}
		applySSE(w.up.SSE, &in.ServerSideEncryption, &in.SSEKMSKeyId, &in.SSEKMSEncryptionContext)
		out, err := w.c.PutObject(w.ctx, in)
		if err != nil {
			return providers.SSE{}, fmt.Errorf("put %s: %w", w.key, err)
		}
		return providers.SSE{
			Algorithm: string(out.ServerSideEncryption),
			KMSKeyID:  aws.ToString(out.SSEKMSKeyId),
			Context:   aws.ToString(out.SSEKMSEncryptionContext),
		}, nil
	}
	if w.buf.Len() > 0 {
		if err := w.flushPart(); err != nil {
			w.abort()
			return providers.SSE{}, err
		}
	}
	out, err := w.c.CompleteMultipartUpload(w.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(w.bucket), Key: aws.String(w.key), UploadId: aws.String(w.uploadID),
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: w.parts},
	})
	if err != nil {
		w.abort()
		return providers.SSE{}, fmt.Errorf("complete multipart upload %s: %w", w.key, err)
	}
	got := providers.SSE{Algorithm: string(out.ServerSideEncryption), KMSKeyID: aws.ToString(out.SSEKMSKeyId)}
	return reportedSSE(w.ctx, w.c, w.bucket, w.key, got)
}

// reportedSSE returns got, or when got reports no encryption, what a HEAD
// of the object reports: MinIO leaves the SSE headers out of its
// CompleteMultipartUpload and CopyObject answers (AWS sends them; PutObject
// and HEAD answers carry them on both), so fs must ask again.
func reportedSSE(ctx context.Context, c *s3.Client, bucket, key string, got providers.SSE) (providers.SSE, error) {
	if got.Algorithm != "" {
		return got, nil
	}
	h, err := HeadObject(ctx, c, bucket, key)
	if err != nil {
		return providers.SSE{}, err
	}
	return h.SSE, nil
}

func (w *partWriter) abort() {
	if w.uploadID == "" {
		return
	}
	_, _ = w.c.AbortMultipartUpload(context.WithoutCancel(w.ctx), &s3.AbortMultipartUploadInput{
		Bucket: aws.String(w.bucket), Key: aws.String(w.key), UploadId: aws.String(w.uploadID),
	})
}

// applySSE fills an SDK input's server-side-encryption fields from sse.
func applySSE(sse providers.SSE, alg *s3types.ServerSideEncryption, keyID, encCtx **string) {
	if sse.Algorithm == "" {
		return
	}
	*alg = s3types.ServerSideEncryption(sse.Algorithm)
	if sse.KMSKeyID != "" {
		*keyID = aws.String(sse.KMSKeyID)
	}
	if sse.Context != "" {
		*encCtx = aws.String(sse.Context)
	}
}

// HeadObject returns what S3 reports about bucket/key, as fs hands it to
// providers (metadata keys lower-case).
func HeadObject(ctx context.Context, c *s3.Client, bucket, key string) (providers.Head, error) {
	out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return providers.Head{}, fmt.Errorf("head %s: %w", key, err)
	}
	md := make(map[string]string, len(out.Metadata))
	for k, v := range out.Metadata {
		md[strings.ToLower(k)] = v
	}
	return providers.Head{
		Size:     aws.ToInt64(out.ContentLength),
		Metadata: md,
		SSE:      providers.SSE{Algorithm: string(out.ServerSideEncryption), KMSKeyID: aws.ToString(out.SSEKMSKeyId)},
		ETag:     aws.ToString(out.ETag),
	}, nil
}

// ErrOutOfRange is returned by the suite's Source when a provider asks for
// stored bytes outside the object.
var ErrOutOfRange = errors.New("providertest: stored range outside the object")

// Source is the suite's providers.Source over S3: ranged GETs pinned to one
// version (ETag) of the object.
type Source struct {
	C      *s3.Client
	Bucket string
	Key    string
	Head   providers.Head
}

// NewSource returns a Source for the object h describes.
func NewSource(c *s3.Client, bucket, key string, h providers.Head) *Source {
	return &Source{C: c, Bucket: bucket, Key: key, Head: h}
}

// Range implements providers.Source.
func (s *Source) Range(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	size := s.Head.Size
	if off < 0 || off > size || (n > 0 && off+n > size) {
		return nil, fmt.Errorf("%w: [%d, +%d) of a %d-byte object", ErrOutOfRange, off, n, size)
	}
	if n == 0 || off == size {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	rng := "bytes=" + strconv.FormatInt(off, 10) + "-"
	if n > 0 {
		rng += strconv.FormatInt(off+n-1, 10)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key), Range: aws.String(rng)}
	if s.Head.ETag != "" {
		in.IfMatch = aws.String(s.Head.ETag)
	}
	out, err := s.C.GetObject(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", s.Key, rng, err)
	}
	return out.Body, nil
}

// Instruction implements providers.Source.
func (s *Source) Instruction(ctx context.Context) ([]byte, error) {
	out, err := s.C.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key + providers.InstructionSuffix)})
	if err != nil {
		if _, ok := errors.AsType[*s3types.NoSuchKey](err); ok {
			return nil, fmt.Errorf("instruction file of %s: %w", s.Key, iofs.ErrNotExist)
		}
		return nil, fmt.Errorf("get instruction file of %s: %w", s.Key, err)
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// Open HEADs bucket/key and returns Decode's reader for plaintext [off, off+n).
func Open(ctx context.Context, c *s3.Client, p providers.Provider, bucket, key string, off, n int64) (io.ReadCloser, error) {
	h, err := HeadObject(ctx, c, bucket, key)
	if err != nil {
		return nil, err
	}
	return p.Decode(ctx, providers.Object{Bucket: bucket, Key: key}, h, NewSource(c, bucket, key, h), off, n)
}

// Get reads plaintext [off, off+n) of bucket/key through p.
func Get(ctx context.Context, c *s3.Client, p providers.Provider, bucket, key string, off, n int64) ([]byte, error) {
	rc, err := Open(ctx, c, p, bucket, key, off, n)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return b, err
}

// raw returns the stored bytes of bucket/key, bypassing any provider.
func raw(ctx context.Context, c *s3.Client, bucket, key string) ([]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// putRaw stores body and metadata as bucket/key with the given SSE request,
// bypassing any provider (the suite's forger of tampered objects).
func putRaw(ctx context.Context, c *s3.Client, bucket, key string, body []byte, md map[string]string, sse providers.SSE) error {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: md, ContentLength: aws.Int64(int64(len(body)))}
	applySSE(sse, &in.ServerSideEncryption, &in.SSEKMSKeyId, &in.SSEKMSEncryptionContext)
	if _, err := c.PutObject(ctx, in); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// instruction returns the instruction file of bucket/key, or nil if none.
func instruction(ctx context.Context, c *s3.Client, bucket, key string) ([]byte, error) {
	b, err := (&Source{C: c, Bucket: bucket, Key: key}).Instruction(ctx)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// listedSize returns the size a ListObjectsV2 reports for bucket/key.
func listedSize(ctx context.Context, c *s3.Client, bucket, key string) (int64, error) {
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", key, err)
	}
	for _, o := range out.Contents {
		if aws.ToString(o.Key) == key {
			return aws.ToInt64(o.Size), nil
		}
	}
	return 0, fmt.Errorf("list %s: not listed", key)
}
