package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// maxInstruction bounds the instruction files read (they hold a few
// hundred bytes of JSON).
const maxInstruction = 64 << 10

// Open returns a handle for positioned reads of a file. It HEADs the object
// once; every later Range reads that version (a replaced object fails
// with errs.ErrChanged). Opening a directory fails with errs.ErrIsDir.
func (f *FS) Open(ctx context.Context, p string) (*File, error) {
	return f.OpenVersion(ctx, p, "")
}

// OpenVersion is Open for a reader that expects version etag of p (a
// DataNode serving the block locations the NameNode handed out): a HEAD of
// that version this FS made in the last few seconds (the NameNode's stat)
// stands in for a new one. The File's reads are pinned to the version it
// describes either way, so a file replaced since fails its reads and
// never mixes versions. etag "" is Open.
func (f *FS) OpenVersion(ctx context.Context, p, etag string) (*File, error) {
	l, err := f.resolve(ctx, p)
	if err != nil {
		return nil, pathErr("open", p, err)
	}
	var fd found
	if h, ok := f.versions.get(l, etag); ok {
		fd = found{kind: kindFile, head: h}
	} else if fd, err = f.lookup(ctx, l); err != nil {
		return nil, pathErr("open", p, err)
	}
	switch fd.kind {
	case kindNone:
		return nil, pathErr("open", p, iofs.ErrNotExist)
	case kindDir:
		return nil, pathErr("open", p, errs.ErrIsDir)
	}
	fi, err := f.infoOf(ctx, l, fd)
	if err != nil {
		return nil, pathErr("open", p, err)
	}
	pr, err := f.provider(ctx, l)
	if err != nil {
		return nil, pathErr("open", p, err)
	}
	h := providerHead(fd.head)
	obj := providers.Object{Bucket: l.bucket, Key: l.key}
	return &File{Info: fi, fs: f, pr: pr, obj: obj, head: h, src: &source{fs: f, obj: obj, etag: h.ETag, size: h.Size},
		bytes: f.metrics.read.WithLabelValues(l.bucket, pr.Name())}, nil
}

// File is an open file: its FileInfo and positioned reads. It is safe for
// concurrent use.
type File struct {
	Info FileInfo

	fs   *FS
	pr   providers.Provider
	obj  providers.Object
	head providers.Head
	src  *source

	bytes prometheus.Counter // emrfsd_fs_read_bytes_total of this bucket and provider
}

// Range returns plaintext bytes [off, off+n) (n < 0: to the end), clamped
// to the file's size. A range covering the whole file is authenticated
// where the provider allows.
func (r *File) Range(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	if off < 0 {
		return nil, pathErr("read", r.Info.Path, fmt.Errorf("%w: negative offset %d", iofs.ErrInvalid, off))
	}
	size := r.Info.Size
	if off >= size || n == 0 {
		return io.NopCloser(eofReader{}), nil
	}
	if n < 0 || n > size-off {
		n = size - off
	}
	if off == 0 && n == size {
		n = -1 // the whole object: let the provider authenticate it
	}
	rc, err := r.pr.Decode(ctx, r.obj, r.head, r.src, off, n)
	if err != nil {
		return nil, pathErr("read", r.Info.Path, err)
	}
	return &readCloser{rc: rc, path: r.Info.Path, bytes: r.bytes}, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// readCloser classifies the errors of a provider's plaintext stream.
type readCloser struct {
	rc    io.ReadCloser
	path  string
	bytes prometheus.Counter
}

func (r *readCloser) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.bytes.Add(float64(n))
	return n, pathErr("read", r.path, err)
}

func (r *readCloser) Close() error { return pathErr("read", r.path, r.rc.Close()) }

// source lets a provider read one version of a stored object.
type source struct {
	fs   *FS
	obj  providers.Object
	etag string // If-Match on every GET
	size int64  // stored size
}

// Range GETs stored bytes [off, off+n) (n < 0: to the end) of the version
// opened; a replaced object fails with errs.ErrChanged.
func (s *source) Range(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	if off < 0 {
		return nil, fmt.Errorf("%w: negative offset %d", iofs.ErrInvalid, off)
	}
	if off >= s.size || n == 0 {
		return io.NopCloser(eofReader{}), nil
	}
	end := s.size - 1
	if n > 0 && off+n-1 < end {
		end = off + n - 1
	}
	first := int64(firstWindow)
	if off == 0 {
		first = firstWindowAtStart // a read from the start is most likely sequential
	}
	w := &windowReader{s: s, ctx: ctx, next: off, end: end, win: first}
	if err := w.open(); err != nil { // errors (e.g. errs.ErrChanged) surface here
		return nil, err
	}
	return w, nil
}

// get GETs stored bytes [off, end].
func (s *source) get(ctx context.Context, off, end int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{
		Bucket: aws.String(s.obj.Bucket),
		Key:    aws.String(s.obj.Key),
		Range:  aws.String("bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(end, 10)),
	}
	if s.etag != "" {
		in.IfMatch = aws.String(s.etag)
	}
	out, err := s.fs.opts.S3.GetObject(ctx, in)
	if err != nil {
		if isPrecondition(err) {
			return nil, fmt.Errorf("%w: %w", errs.ErrChanged, err)
		}
		return nil, classify(err)
	}
	return out.Body, nil
}

// Ranged reads fetch growing windows: HDFS clients ask for the rest of a
// block and hang up after a positioned read (Parquet footers, column
// chunks), and closing an HTTP body before its end tears the connection
// down. With a small first window the unread remainder is small enough to
// drain, so the connection is reused; sequential reads quickly reach large
// windows and cost a handful of GETs per block.
//
// Once a reader has consumed half of a window of at least prefetchFrom
// bytes it is reading sequentially, and the GET of the next window is sent
// ahead so that its round trip overlaps the rest of the current window.
// Only the response headers are awaited; the unread body waits in the
// connection's socket buffers (nothing more is held in memory). A reader
// that stops early costs that one GET, whose connection is closed.
const (
	firstWindow        = 256 << 10
	firstWindowAtStart = 4 << 20
	maxWindow          = 32 << 20
	drainLimit         = 1 << 20
	prefetchFrom       = 4 << 20
)

type windowReader struct {
	s         *source
	ctx       context.Context
	next, end int64 // the next window starts at next; the range ends at end (inclusive)
	win       int64
	body      io.ReadCloser
	cancel    context.CancelFunc // of body's GET, when it was prefetched
	size      int64              // bytes of the current window
	left      int64              // unread bytes of the current window
	pre       chan prefetched    // the next window's GET, when sent ahead
	preN      int64              // its length
	preCancel context.CancelFunc // its context's
}

type prefetched struct {
	body io.ReadCloser
	err  error
}

// take returns the next window's length and start, and advances past it.
func (w *windowReader) take() (off, n int64) {
	off, n = w.next, min(w.win, w.end-w.next+1)
	w.next += n
	w.win = min(w.win*2, maxWindow)
	return off, n
}

func (w *windowReader) open() error {
	var body io.ReadCloser
	var cancel context.CancelFunc
	var n int64
	if w.pre != nil {
		p := <-w.pre
		body, cancel, n = p.body, w.preCancel, w.preN
		w.pre, w.preCancel = nil, nil
		if p.err != nil {
			cancel()
			return p.err
		}
	} else {
		off, k := w.take()
		b, err := w.s.get(w.ctx, off, off+k-1)
		if err != nil {
			return err
		}
		body, n = b, k
	}
	w.body, w.cancel, w.size, w.left = body, cancel, n, n
	return nil
}

// prefetch sends the next window's GET ahead when the reader is sequential.
func (w *windowReader) prefetch() {
	if w.pre != nil || w.next > w.end || w.size < prefetchFrom || w.left > w.size/2 {
		return
	}
	off, n := w.take()
	ctx, cancel := context.WithCancel(w.ctx)
	ch := make(chan prefetched, 1)
	go func() {
		b, err := w.s.get(ctx, off, off+n-1)
		ch <- prefetched{body: b, err: err}
	}()
	w.pre, w.preN, w.preCancel = ch, n, cancel
}

func (w *windowReader) closeBody() error {
	if w.body == nil {
		return nil
	}
	err := w.body.Close()
	w.body = nil
	if w.cancel != nil {
		w.cancel()
		w.cancel = nil
	}
	return err
}

// ErrBodyCut: an S3 GET response ended before the bytes it promised (the
// connection was lost, S3 restarted). It is an I/O error, never io.EOF or
// io.ErrUnexpectedEOF: decrypters treat a source that ends early as a
// truncated (tampered) object, and a failed authentication refuses later
// reads of the object, while a cut connection only fails this read.
var ErrBodyCut = errors.New("S3 response body cut short")

func (w *windowReader) Read(p []byte) (int, error) {
	for w.left == 0 {
		w.closeBody()
		if w.next > w.end && w.pre == nil {
			return 0, io.EOF
		}
		if err := w.open(); err != nil {
			return 0, err
		}
	}
	if int64(len(p)) > w.left {
		p = p[:w.left]
	}
	n, err := w.body.Read(p)
	w.left -= int64(n)
	if err == io.EOF {
		if w.left > 0 {
			return n, fmt.Errorf("%w: %d of %d bytes missing", ErrBodyCut, w.left, w.size)
		}
		err = nil
	}
	if err == io.ErrUnexpectedEOF {
		return n, fmt.Errorf("%w: %d of %d bytes missing", ErrBodyCut, w.left, w.size)
	}
	if err == nil && w.pre == nil {
		w.prefetch()
	}
	return n, classify(err)
}

func (w *windowReader) Close() error {
	if w.pre != nil {
		// Stopped before the prefetched window: drop its GET.
		w.preCancel()
		p := <-w.pre
		w.pre, w.preCancel = nil, nil
		if p.body != nil {
			p.body.Close()
		}
	}
	if w.body == nil {
		return nil
	}
	if w.left > 0 && w.left <= drainLimit {
		io.Copy(io.Discard, io.LimitReader(w.body, w.left))
	}
	return w.closeBody()
}

// Instruction returns the object's instruction file (ErrNotExist if none).
func (s *source) Instruction(ctx context.Context) ([]byte, error) {
	out, err := s.fs.opts.S3.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.obj.Bucket),
		Key:    aws.String(s.obj.Key + instructionSuffix),
	})
	if err != nil {
		return nil, classify(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxInstruction+1))
	if err != nil {
		return nil, classify(err)
	}
	if len(b) > maxInstruction {
		return nil, fmt.Errorf("%w: instruction file larger than %d bytes", errs.ErrIntegrity, maxInstruction)
	}
	return b, nil
}

// Interface guards.
var _ providers.Source = (*source)(nil)
