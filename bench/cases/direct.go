package cases

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/emrfsd/emrfsd/bench/data"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// Multipart settings shared by the direct side and the daemon's
// configuration (fs.s3a.multipart.size, fs.s3a.fast.upload.active.blocks).
const (
	PartSize        = 8 << 20
	PartConcurrency = 4
)

// sseFor sets the SSE headers a direct write uses for provider: SSE-KMS
// with MinIO's key for sse-kms; none for plain and for cse-kms (whose
// direct baseline is the raw unencrypted S3 request).
func sseFor(provider string) (s3types.ServerSideEncryption, *string) {
	if provider == SSEKMS {
		return s3types.ServerSideEncryptionAwsKms, aws.String(testenv.MinIOKMSKey)
	}
	return "", nil
}

// directMultipartPut uploads size bytes of the stream seed as a multipart
// upload with PartSize parts, PartConcurrency at a time, each part
// generated into one of PartConcurrency reused buffers.
func directMultipartPut(ctx context.Context, c *s3.Client, provider, bucket, key string, seed uint64, size int64) error {
	sse, kid := sseFor(provider)
	mu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key, ServerSideEncryption: sse, SSEKMSKeyId: kid})
	if err != nil {
		return fmt.Errorf("direct: create multipart %s: %w", key, err)
	}
	abort := func() {
		_, _ = c.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: mu.UploadId})
	}
	nparts := int((size + PartSize - 1) / PartSize)
	if nparts == 0 {
		nparts = 1
	}
	parts := make([]s3types.CompletedPart, nparts)
	bufs := make(chan []byte, PartConcurrency)
	for range PartConcurrency {
		bufs <- make([]byte, PartSize)
	}
	src := data.New(seed, size)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for i := 0; i < nparts; i++ {
		var buf []byte
		select {
		case buf = <-bufs:
		case <-ctx.Done():
		}
		if buf == nil {
			break
		}
		off := int64(i) * PartSize
		n := min(int64(PartSize), size-off)
		if _, err := src.ReadAt(buf[:n], off); err != nil && !errors.Is(err, io.EOF) {
			fail(err)
			break
		}
		wg.Add(1)
		go func(i int, body []byte) {
			defer wg.Done()
			defer func() { bufs <- buf }()
			out, err := c.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: &bucket, Key: &key, UploadId: mu.UploadId, PartNumber: aws.Int32(int32(i + 1)),
				Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
			})
			if err != nil {
				fail(fmt.Errorf("direct: upload part %d of %s: %w", i+1, key, err))
				return
			}
			parts[i] = s3types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))}
		}(i, buf[:n])
	}
	wg.Wait()
	if firstErr != nil {
		abort()
		return firstErr
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: mu.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts},
	}); err != nil {
		abort()
		return fmt.Errorf("direct: complete %s: %w", key, err)
	}
	return nil
}

// directGet reads a whole object and returns its length and CRC32C.
func directGet(ctx context.Context, c *s3.Client, bucket, key string, buf []byte) (int64, uint32, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return 0, 0, fmt.Errorf("direct: get %s: %w", key, err)
	}
	defer out.Body.Close()
	return crcCopy(out.Body, buf)
}

// crcCopy drains r through buf, returning the byte count and CRC32C.
func crcCopy(r io.Reader, buf []byte) (int64, uint32, error) {
	var (
		n   int64
		crc uint32
	)
	for {
		k, err := r.Read(buf)
		crc = data.CRC32C(crc, buf[:k])
		n += int64(k)
		if errors.Is(err, io.EOF) {
			return n, crc, nil
		}
		if err != nil {
			return n, crc, err
		}
	}
}

// directRangedGet reads len(p) bytes at off with a ranged GET.
func directRangedGet(ctx context.Context, c *s3.Client, bucket, key string, p []byte, off int64) error {
	rng := fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1)
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key, Range: &rng})
	if err != nil {
		return fmt.Errorf("direct: ranged get %s %s: %w", key, rng, err)
	}
	defer out.Body.Close()
	if _, err := io.ReadFull(out.Body, p); err != nil {
		return fmt.Errorf("direct: ranged get %s %s: %w", key, rng, err)
	}
	return nil
}

// directPut writes a small object with a single PUT.
func directPut(ctx context.Context, c *s3.Client, provider, bucket, key string, body []byte) error {
	sse, kid := sseFor(provider)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		ServerSideEncryption: sse, SSEKMSKeyId: kid,
	})
	if err != nil {
		return fmt.Errorf("direct: put %s: %w", key, err)
	}
	return nil
}

// directList lists the direct children of prefix (delimiter "/") with
// ListObjectsV2 pages and returns how many entries it saw.
func directList(ctx context.Context, c *s3.Client, bucket, prefix string) (int, error) {
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix, Delimiter: aws.String("/")})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("direct: list %s: %w", prefix, err)
		}
		n += len(page.Contents) + len(page.CommonPrefixes)
	}
	return n, nil
}

func (e *Env) deleteKey(ctx context.Context, bucket, key string) error {
	if _, err := e.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key}); err != nil {
		return fmt.Errorf("bench: delete %s/%s: %w", bucket, key, err)
	}
	return nil
}
