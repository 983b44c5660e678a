package fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers"
)

// testProvider is a passthrough provider for these tests (the real
// providers live elsewhere). It can append a fixed trailer (so stored and
// plaintext sizes differ, like a GCM tag), write an instruction file,
// request SSE and fail Confirm.
type testProvider struct {
	trailer     int
	instruction bool
	sse         providers.SSE
	confirmErr  error
	uploads     atomic.Int64 // numbers each Encode, tying an object to its own sidecar
}

const (
	testMetaKey  = "x-amz-test-crypto" // stands in for S3EC metadata
	testInstrKey = "x-amz-test-instr"  // the number in this object's sidecar
)

func (p *testProvider) Name() string { return "test-pass" }

func (p *testProvider) Encode(ctx context.Context, obj providers.Object, dst io.Writer) (providers.Upload, io.WriteCloser, error) {
	up := providers.Upload{Metadata: map[string]string{testMetaKey: "v1"}, SSE: p.sse}
	if p.instruction {
		// Like a real S3EC sidecar, each object's is its own (a fresh data
		// key): a sidecar swapped between two objects fails Decode.
		n := strconv.FormatInt(p.uploads.Add(1), 10)
		up.Metadata[testInstrKey] = n
		up.Instruction = []byte(`{"x-amz-test":"` + obj.Key + `","n":"` + n + `"}`)
	}
	return up, &trailerWriter{dst: dst, n: p.trailer}, nil
}

type trailerWriter struct {
	dst io.Writer
	n   int
}

func (w *trailerWriter) Write(b []byte) (int, error) { return w.dst.Write(b) }
func (w *trailerWriter) Close() error {
	_, err := w.dst.Write(bytes.Repeat([]byte{0xEE}, w.n))
	return err
}

func (p *testProvider) Decode(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, off, n int64) (io.ReadCloser, error) {
	if h.Metadata[testMetaKey] != "v1" {
		return nil, errs.ErrNotEncrypted
	}
	if p.instruction {
		b, err := src.Instruction(ctx)
		if err != nil {
			return nil, err
		}
		// After a rename the instruction names the old key: fine, but it
		// must be this object's own.
		if !strings.HasPrefix(string(b), `{"x-amz-test":"`) ||
			!strings.HasSuffix(string(b), `","n":"`+h.Metadata[testInstrKey]+`"}`) {
			return nil, errs.ErrIntegrity
		}
	}
	plain := h.Size - int64(p.trailer)
	if n < 0 {
		n = plain - off
	}
	return src.Range(ctx, off, n)
}

func (p *testProvider) PlainSize(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source) (int64, error) {
	return h.Size - int64(p.trailer), nil
}

func (p *testProvider) ListedSize(stored int64) int64 { return stored - int64(p.trailer) }
func (p *testProvider) SSE() providers.SSE            { return p.sse }
func (p *testProvider) Confirm(up providers.Upload, got providers.SSE) error {
	return p.confirmErr
}

var _ providers.Provider = (*testProvider)(nil)

// rig is one test's namespace over a fresh MinIO bucket mounted at /t.
type rig struct {
	t      *testing.T
	env    *testenv.Env
	s3     *s3.Client
	bucket string
	fs     *FS
	prov   *testProvider
}

func newRig(t *testing.T, prov *testProvider, tune func(*Options)) *rig {
	t.Helper()
	env := testenv.Get(t)
	r := &rig{t: t, env: env, s3: env.S3Client(), bucket: env.NewBucket(t, "fs"), prov: prov}
	t.Cleanup(func() {
		env.EmptyBucket(t, r.bucket)
		_, _ = r.s3.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(r.bucket)})
	})
	if prov == nil {
		r.prov = &testProvider{}
	}
	o := Options{
		S3:       r.s3,
		Buckets:  map[string]string{"t": r.bucket},
		Provider: func(context.Context, string) (providers.Provider, error) { return r.prov, nil },
		PartSize: MinPartSize,
	}
	if tune != nil {
		tune(&o)
	}
	f, err := New(context.Background(), o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	r.fs = f
	return r
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// write creates p with data through the namespace.
func (r *rig) write(p string, data []byte, o CreateOptions) {
	r.t.Helper()
	if err := r.tryWrite(p, data, o); err != nil {
		r.t.Fatalf("write %s: %v", p, err)
	}
}

func (r *rig) tryWrite(p string, data []byte, o CreateOptions) error {
	ctx := ctxT(r.t)
	w, err := r.fs.Create(ctx, p, o)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Abort(ctx)
		return err
	}
	return w.Close(ctx)
}

// read returns the whole plaintext of p.
func (r *rig) read(p string) []byte {
	r.t.Helper()
	ctx := ctxT(r.t)
	f, err := r.fs.Open(ctx, p)
	if err != nil {
		r.t.Fatalf("open %s: %v", p, err)
	}
	rc, err := f.Range(ctx, 0, -1)
	if err != nil {
		r.t.Fatalf("range %s: %v", p, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		r.t.Fatalf("read %s: %v", p, err)
	}
	return b
}

// putRaw stores an object directly (as another tool would).
func (r *rig) putRaw(key string, body []byte, md map[string]string) {
	r.t.Helper()
	_, err := r.s3.PutObject(ctxT(r.t), &s3.PutObjectInput{
		Bucket: aws.String(r.bucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: md,
	})
	if err != nil {
		r.t.Fatalf("put %s: %v", key, err)
	}
}

// putRawMany stores keys (empty bodies) with 16 workers.
func (r *rig) putRawMany(keys []string) {
	r.t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		ch   = make(chan string)
	)
	for range 16 {
		wg.Go(func() {
			for k := range ch {
				_, err := r.s3.PutObject(context.Background(), &s3.PutObjectInput{
					Bucket: aws.String(r.bucket), Key: aws.String(k), Body: bytes.NewReader([]byte(k)),
				})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, k := range keys {
		ch <- k
	}
	close(ch)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		r.t.Fatalf("put many: %v", err)
	}
}

// rawKeys lists every key in the bucket under prefix.
func (r *rig) rawKeys(prefix string) []string {
	r.t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(r.s3, &s3.ListObjectsV2Input{Bucket: aws.String(r.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctxT(r.t))
		if err != nil {
			r.t.Fatalf("list: %v", err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

func (r *rig) exists(key string) bool {
	r.t.Helper()
	_, err := r.s3.HeadObject(ctxT(r.t), &s3.HeadObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(key)})
	if err != nil && !isNotExist(err) {
		r.t.Fatalf("head %s: %v", key, err)
	}
	return err == nil
}

// listAll pages through List with the given page size.
func (r *rig) listAll(dir string, pageSize int) []FileInfo {
	r.t.Helper()
	var all []FileInfo
	after := ""
	for i := 0; ; i++ {
		page, more, err := r.fs.List(ctxT(r.t), dir, after, pageSize)
		if err != nil {
			r.t.Fatalf("list %s after %q: %v", dir, after, err)
		}
		all = append(all, page...)
		if !more {
			return all
		}
		if len(page) == 0 {
			r.t.Fatalf("list %s: empty page with more=true", dir)
		}
		after = page[len(page)-1].Name
		if i > 100000 {
			r.t.Fatal("list does not terminate")
		}
	}
}

func names(fis []FileInfo) []string {
	out := make([]string, len(fis))
	for i, fi := range fis {
		out[i] = fi.Name
		if fi.IsDir {
			out[i] += "/"
		}
	}
	return out
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed ^ byte(i>>11)
	}
	return b
}

func mustErrIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got %v, want errors.Is(%v)", what, err, target)
	}
}

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func fmtNames(s []string) string { return fmt.Sprintf("%q", s) }
