package fs

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/emrfsd/emrfsd/providers"
)

// copySpec is one server-side copy within a bucket.
type copySpec struct {
	bucket, src, dst string
	size             int64  // stored size of the source
	ifMatch          string // source ETag to insist on ("" = any)
	sse              providers.SSE
	// head, when set, is the source's HEAD and meta the metadata to store
	// (MetadataDirective REPLACE); otherwise metadata is copied as it is.
	head *s3.HeadObjectOutput
	meta map[string]string
}

// partCopyWorkers bounds the parallel UploadPartCopy calls of one object.
const partCopyWorkers = 4

// copied is what S3 says of a copy: the new object's ETag, and its
// LastModified when the answer carries one (a single CopyObject).
type copied struct {
	etag    string
	lastMod time.Time
}

// copyObject copies an object server-side, re-sending the bucket's SSE
// parameters (MinIO corrupts some SSE-KMS copies without them) and using
// a multipart copy above S3's 5 GiB single-copy limit.
func (f *FS) copyObject(ctx context.Context, c copySpec) (copied, error) {
	if c.size > f.copyThreshold {
		return f.copyMultipart(ctx, c)
	}
	in := &s3.CopyObjectInput{
		Bucket:     aws.String(c.bucket),
		Key:        aws.String(c.dst),
		CopySource: aws.String(copySource(c.bucket, c.src)),
	}
	if c.ifMatch != "" {
		in.CopySourceIfMatch = aws.String(c.ifMatch)
	}
	in.ServerSideEncryption, in.SSEKMSKeyId, in.SSEKMSEncryptionContext = sseParams(c.sse)
	if c.head != nil {
		in.MetadataDirective = s3types.MetadataDirectiveReplace
		in.Metadata = c.meta
		in.ContentType = c.head.ContentType
		in.ContentEncoding = c.head.ContentEncoding
		in.ContentDisposition = c.head.ContentDisposition
		in.ContentLanguage = c.head.ContentLanguage
		in.CacheControl = c.head.CacheControl
	} else {
		in.MetadataDirective = s3types.MetadataDirectiveCopy
	}
	out, err := f.opts.S3.CopyObject(ctx, in)
	if err != nil {
		return copied{}, err
	}
	var res copied
	if r := out.CopyObjectResult; r != nil {
		res = copied{etag: aws.ToString(r.ETag), lastMod: aws.ToTime(r.LastModified)}
	}
	return res, nil
}

// copyMultipart copies part by part (UploadPartCopy), aborting the upload
// on failure.
func (f *FS) copyMultipart(ctx context.Context, c copySpec) (copied, error) {
	if c.head == nil {
		h, err := f.head(ctx, c.bucket, c.src)
		if err != nil {
			return copied{}, err
		}
		c.head, c.meta = h, h.Metadata
		if c.ifMatch == "" {
			c.ifMatch = aws.ToString(h.ETag)
		}
	}
	in := &s3.CreateMultipartUploadInput{
		Bucket:             aws.String(c.bucket),
		Key:                aws.String(c.dst),
		Metadata:           c.meta,
		ContentType:        c.head.ContentType,
		ContentEncoding:    c.head.ContentEncoding,
		ContentDisposition: c.head.ContentDisposition,
		ContentLanguage:    c.head.ContentLanguage,
		CacheControl:       c.head.CacheControl,
	}
	in.ServerSideEncryption, in.SSEKMSKeyId, in.SSEKMSEncryptionContext = sseParams(c.sse)
	mpu, err := f.opts.S3.CreateMultipartUpload(ctx, in)
	if err != nil {
		return copied{}, err
	}
	id := aws.ToString(mpu.UploadId)
	parts, err := f.copyParts(ctx, c, id)
	var res copied
	if err == nil {
		var out *s3.CompleteMultipartUploadOutput
		out, err = f.opts.S3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket:          aws.String(c.bucket),
			Key:             aws.String(c.dst),
			UploadId:        aws.String(id),
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts},
		})
		if err == nil {
			res.etag = aws.ToString(out.ETag)
		}
	}
	if err != nil {
		cctx, cancel := cleanupCtx(ctx)
		defer cancel()
		_ = f.abortUpload(cctx, c.bucket, c.dst, id)
	}
	return res, err
}

func (f *FS) copyParts(ctx context.Context, c copySpec, id string) ([]s3types.CompletedPart, error) {
	n := int((c.size + f.copyPartSize - 1) / f.copyPartSize)
	parts := make([]s3types.CompletedPart, n)
	err := parallel(ctx, partCopyWorkers, n, func(ctx context.Context, i int) error {
		off := int64(i) * f.copyPartSize
		end := min(off+f.copyPartSize, c.size) - 1
		in := &s3.UploadPartCopyInput{
			Bucket:          aws.String(c.bucket),
			Key:             aws.String(c.dst),
			UploadId:        aws.String(id),
			PartNumber:      aws.Int32(int32(i + 1)),
			CopySource:      aws.String(copySource(c.bucket, c.src)),
			CopySourceRange: aws.String("bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(end, 10)),
		}
		if c.ifMatch != "" {
			in.CopySourceIfMatch = aws.String(c.ifMatch)
		}
		out, err := f.opts.S3.UploadPartCopy(ctx, in)
		if err != nil {
			return err
		}
		parts[i] = s3types.CompletedPart{PartNumber: aws.Int32(int32(i + 1))}
		if out.CopyPartResult != nil {
			parts[i].ETag = out.CopyPartResult.ETag
		}
		return nil
	})
	return parts, err
}

// parallel runs fn(0..n-1) on at most workers goroutines and returns the
// first error; the others' ctx is cancelled after it.
func parallel(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  = make(chan int)
	)
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// copySource is the x-amz-copy-source value: "bucket/key", URL-encoded
// except for unreserved characters and '/'.
func copySource(bucket, key string) string {
	const hexDigits = "0123456789ABCDEF"
	s := bucket + "/" + key
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
