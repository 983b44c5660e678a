package fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/partbuf"
	"github.com/emrfsd/emrfsd/providers"
)

const (
	// maxParts is S3's limit on the parts of one multipart upload.
	maxParts = 10000
	// cleanupTimeout bounds the requests that tidy up after a failed or
	// cancelled writer (abort the upload, delete an instruction file).
	cleanupTimeout = time.Minute
	contentType    = "application/octet-stream"
)

var (
	errAborted  = fmt.Errorf("%w: write aborted", iofs.ErrClosed)
	errFinished = fmt.Errorf("%w: write after Finish", iofs.ErrClosed)
	errTooLarge = fmt.Errorf("%w: file exceeds %d parts", iofs.ErrInvalid, maxParts)
)

// Create starts a new file. Nothing is visible at p until Close succeeds.
//
// The parent must be a directory (errs.ErrNotDir when it is a file); when it is
// missing, Create makes it if o.CreateParent and fails with ErrNotExist
// otherwise. An existing directory at p fails with an error satisfying
// both errs.ErrIsDir and iofs.ErrExist; an existing file with ErrExist unless
// o.Overwrite. The final write is conditional (If-None-Match: *) unless
// o.Overwrite, so of two racing creators exactly one succeeds and the
// other's Close fails with ErrExist.
//
// ctx governs the whole upload: cancelling it aborts the writer (the
// multipart upload is aborted and nothing becomes visible).
func (f *FS) Create(ctx context.Context, p string, o CreateOptions) (*Writer, error) {
	w, err := f.create(ctx, p, o)
	return w, pathErr("create", p, err)
}

// errExistsAsDir is the error for creating a file over a directory: it is
// both errs.ErrIsDir and ErrExist (HDFS answers FileAlreadyExistsException).
type errExistsAsDir struct{}

func (errExistsAsDir) Error() string { return "path exists as a directory" }
func (errExistsAsDir) Is(target error) bool {
	return target == errs.ErrIsDir || target == iofs.ErrExist
}

func (f *FS) create(ctx context.Context, p string, o CreateOptions) (*Writer, error) {
	l, err := f.resolve(ctx, p)
	if err != nil {
		return nil, err
	}
	if l.isRoot() || l.isTop() {
		return nil, errExistsAsDir{}
	}
	if err := f.ensureParent(ctx, l, o.CreateParent, o.Owner, o.Group); err != nil {
		return nil, err
	}
	if !o.Checked {
		fd, err := f.lookupNoFile(ctx, l)
		if err != nil {
			return nil, err
		}
		switch {
		case fd.hidden:
			return nil, errReserved
		case fd.kind == kindDir:
			return nil, errExistsAsDir{}
		case fd.kind == kindFile && !o.Overwrite:
			return nil, iofs.ErrExist
		}
	} else if hidden, err := f.hiddenKey(ctx, l.bucket, l.key); err != nil || hidden {
		if err == nil {
			err = errReserved
		}
		return nil, err
	}
	pr, err := f.provider(ctx, l)
	if err != nil {
		return nil, err
	}
	w := &Writer{
		fs:        f,
		ctx:       ctx,
		l:         l,
		overwrite: o.Overwrite,
		partSize:  f.opts.PartSize,
		sem:       make(chan struct{}, f.opts.ActiveParts),
		abortCh:   make(chan struct{}),
		cleaned:   make(chan struct{}),
		bytes:     f.metrics.written.WithLabelValues(l.bucket, pr.Name()),
	}
	w.partCtx, w.cancelParts = context.WithCancel(ctx)
	w.stopWatch = context.AfterFunc(ctx, func() { w.fail(ctx.Err()) })
	obj := providers.Object{Bucket: l.bucket, Key: l.key}
	up, enc, err := pr.Encode(ctx, obj, sinkWriter{w})
	if err != nil {
		w.discard()
		return nil, err
	}
	perm := o.Perm
	if perm == 0 {
		perm = DefaultFilePerm
	}
	md := maps.Clone(up.Metadata)
	if md == nil {
		md = map[string]string{}
	}
	maps.Copy(md, newFileMeta(perm, o.Owner, o.Group, o.BlockSize, o.Replication))
	if err := checkMetaSize(md); err != nil {
		_ = enc.Close()
		w.discard()
		return nil, err
	}
	w.opMu.Lock()
	w.pr, w.up, w.enc, w.meta = pr, up, enc, md
	w.opMu.Unlock()
	return w, nil
}

// ensureParent checks that l's parent is a directory, creating it (and its
// ancestors) when createParent as HDFS does: markers owned by the creator
// whose permission is the nearest existing ancestor's plus u+wx.
func (f *FS) ensureParent(ctx context.Context, l loc, createParent bool, owner, group string) error {
	par := l.parent()
	fd, err := f.lookupNoFile(ctx, par)
	if err != nil {
		return err
	}
	switch fd.kind {
	case kindDir:
		return nil
	case kindFile:
		return errs.ErrNotDir
	}
	if !createParent || par.isTop() || par.isRoot() {
		return iofs.ErrNotExist
	}
	return f.mkdirs(ctx, par, inheritPerm, owner, group, true)
}

// Writer streams a new file into a multipart upload through the bucket's
// provider, with bounded memory: at most ActiveParts part buffers upload
// in the background while one more fills. A file that ends before its
// first part fills is stored with a single PutObject at Close.
//
// Write, Flush, Finish and Close are meant for one goroutine; Abort may be
// called from any goroutine, and cancelling Create's ctx aborts too.
type Writer struct {
	fs        *FS
	ctx       context.Context // Create's: governs the upload
	l         loc
	pr        providers.Provider
	up        providers.Upload
	meta      map[string]string
	overwrite bool
	partSize  int64
	enc       io.WriteCloser
	stopWatch func() bool
	bytes     prometheus.Counter // emrfsd_fs_written_bytes_total of this bucket and provider

	written atomic.Int64
	stored  int64 // encoded bytes handed to S3 so far; guarded by opMu

	opMu     sync.Mutex     // serializes Write/Flush/Finish/Close/Abort
	cur      partbuf.Buffer // part being filled; guarded by opMu
	nextPart int32          // parts started; guarded by opMu
	finished bool           // guarded by opMu
	sem      chan struct{}  // one slot per part upload in flight

	partCtx     context.Context // part uploads; cancelled on failure
	cancelParts context.CancelFunc

	mu         sync.Mutex
	uploadID   string                  // guarded by mu
	parts      []s3types.CompletedPart // guarded by mu
	err        error                   // first failure; guarded by mu
	completing bool                    // Close is completing the upload; guarded by mu
	closed     bool                    // the upload completed; guarded by mu
	cleaning   bool                    // cleanup started; guarded by mu
	cleanupErr error                   // guarded by mu
	abortCh    chan struct{}           // closed on the first failure
	cleaned    chan struct{}           // closed when cleanup has finished
}

// Write encodes and buffers plaintext; full parts upload in the background.
func (w *Writer) Write(p []byte) (int, error) {
	w.opMu.Lock()
	defer w.opMu.Unlock()
	if w.finished {
		return 0, pathErr("write", w.l.path, errFinished)
	}
	if err := w.failed(); err != nil {
		return 0, pathErr("write", w.l.path, err)
	}
	n, err := w.enc.Write(p)
	w.written.Add(int64(n))
	w.bytes.Add(float64(n))
	if err != nil {
		w.fail(err)
		// The write can never complete: free the part being filled now
		// (a staging file, possibly the one that filled the disk) instead
		// of when the lease ends, minutes later.
		w.releaseCur()
		return n, pathErr("write", w.l.path, err)
	}
	return n, nil
}

// Written is the number of plaintext bytes written so far.
func (w *Writer) Written() int64 { return w.written.Load() }

// Flush returns once every full part written so far is uploaded (durable
// in S3 though not yet visible). Bytes of a partial part (and any the
// provider holds back) stay buffered until more arrive or Finish.
func (w *Writer) Flush(ctx context.Context) error {
	w.opMu.Lock()
	defer w.opMu.Unlock()
	if err := w.drain(ctx); err != nil {
		return pathErr("flush", w.l.path, err)
	}
	return pathErr("flush", w.l.path, w.failed())
}

// Finish ends the plaintext (writes the provider's trailer) and uploads
// every remaining byte; the object is still invisible. No Write may follow.
// A file smaller than one part is kept in memory for Close's PutObject.
func (w *Writer) Finish(ctx context.Context) error {
	w.opMu.Lock()
	defer w.opMu.Unlock()
	return pathErr("finish", w.l.path, w.finishLocked(ctx))
}

func (w *Writer) finishLocked(ctx context.Context) error {
	if err := w.failed(); err != nil {
		return err
	}
	if !w.finished {
		w.finished = true
		if err := w.enc.Close(); err != nil {
			w.fail(err)
			return err
		}
		if w.started() && w.cur != nil && w.cur.Len() > 0 {
			if err := w.ship(); err != nil {
				return err
			}
		}
	}
	if err := w.drain(ctx); err != nil {
		return err
	}
	return w.failed()
}

// Close finishes (if needed) and completes the upload: the file appears.
// On any failure the upload is aborted and nothing is visible; a lost
// If-None-Match race fails with ErrExist.
func (w *Writer) Close(ctx context.Context) error {
	w.opMu.Lock()
	defer w.opMu.Unlock()
	err := w.closeLocked(ctx)
	if err != nil {
		w.fail(err)
		w.waitCleanup(ctx)
	}
	w.releaseCur()
	return pathErr("close", w.l.path, err)
}

func (w *Writer) closeLocked(ctx context.Context) error {
	if err := w.finishLocked(ctx); err != nil {
		return err
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return errFinished
	}
	w.completing = true
	w.mu.Unlock()
	got, etag, err := w.complete(ctx)
	w.mu.Lock()
	w.completing = false
	w.closed = err == nil
	w.mu.Unlock()
	if err != nil {
		return err
	}
	w.stopWatch()
	w.cancelParts()
	if got.Algorithm == "" && w.up.SSE.Algorithm != "" {
		// MinIO leaves the SSE headers out of CompleteMultipartUpload (and
		// CopyObject) answers that AWS includes; ask the object itself.
		if h, herr := w.fs.opts.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &w.l.bucket, Key: &w.l.key}); herr == nil {
			got = providers.SSE{Algorithm: string(h.ServerSideEncryption), KMSKeyID: deref(h.SSEKMSKeyId)}
		}
	}
	if err := providers.Confirm(w.pr, w.up, got); err != nil {
		w.fs.log.WarnContext(ctx, "fs: encryption not confirmed; deleting object", "bucket", w.l.bucket, "key", w.l.key, "err", err)
		cctx, cancel := cleanupCtx(ctx)
		defer cancel()
		if derr := w.fs.deleteKeys(cctx, w.l.bucket, []string{w.l.key, w.l.key + instructionSuffix}); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	w.fs.rememberWrite(w.l.bucket, w.l.key, etag, w.stored, w.written.Load(), time.Time{}, w.meta)
	return nil
}

// complete stores the instruction file, then makes the object visible.
//
// Without Overwrite, a sidecar that is already there while the object is
// not may be an orphan (its object was deleted) or the sidecar of a racing
// creator that has not published yet. Replacing it before publishing would
// give the racer's object our sidecar, so in that case the object is
// published first (conditionally) and the sidecar replaced only by the
// winner. For the same reason a writer that loses the If-None-Match race
// leaves the sidecar alone: it may be the winner's.
func (w *Writer) complete(ctx context.Context) (providers.SSE, string, error) {
	if w.up.Instruction == nil {
		return w.publish(ctx)
	}
	deferred, err := w.putInstruction(ctx)
	if err != nil {
		return providers.SSE{}, "", err
	}
	got, etag, err := w.publish(ctx)
	if err != nil {
		if !deferred && !isPrecondition(err) && !errors.Is(classify(err), iofs.ErrExist) {
			cctx, cancel := cleanupCtx(ctx)
			defer cancel()
			if derr := w.fs.deleteKeys(cctx, w.l.bucket, []string{w.l.key + instructionSuffix}); derr != nil {
				w.fs.log.WarnContext(ctx, "fs: could not delete instruction file of failed write", "bucket", w.l.bucket, "key", w.l.key, "err", derr)
			}
		}
		return got, "", err
	}
	if deferred {
		if err := w.putInstructionObject(ctx, false); err != nil {
			// Our object is visible beside someone else's sidecar: unreadable, remove it.
			cctx, cancel := cleanupCtx(ctx)
			defer cancel()
			if derr := w.fs.deleteKeys(cctx, w.l.bucket, []string{w.l.key}); derr != nil {
				return providers.SSE{}, "", errors.Join(err, derr)
			}
			return providers.SSE{}, "", err
		}
	}
	return got, etag, nil
}

// putInstruction stores KEY.instruction. Without Overwrite it is written
// only if absent, so a racing creator that has published loses here
// before touching the object. When a sidecar exists but the object does
// not, it reports deferred: the caller writes the sidecar after winning
// the object (see complete).
func (w *Writer) putInstruction(ctx context.Context) (deferred bool, err error) {
	err = w.putInstructionObject(ctx, !w.overwrite)
	if err == nil || w.overwrite || !isPrecondition(err) {
		return false, err
	}
	if _, herr := w.fs.head(ctx, w.l.bucket, w.l.key); herr == nil {
		return false, iofs.ErrExist
	} else if !isNotExist(herr) {
		return false, herr
	}
	return true, nil
}

// putInstructionObject PUTs KEY.instruction, only if absent when cond.
func (w *Writer) putInstructionObject(ctx context.Context, cond bool) error {
	in := &s3.PutObjectInput{
		Bucket:        aws.String(w.l.bucket),
		Key:           aws.String(w.l.key + instructionSuffix),
		Body:          bytes.NewReader(w.up.Instruction),
		ContentLength: aws.Int64(int64(len(w.up.Instruction))),
		ContentType:   aws.String(contentType),
	}
	setPutSSE(in, w.up.SSE)
	if cond {
		in.IfNoneMatch = aws.String("*")
	}
	_, err := w.fs.opts.S3.PutObject(ctx, in)
	return err
}

// publish makes the object visible: PutObject of the single buffer, or
// CompleteMultipartUpload. It returns the new object's ETag.
func (w *Writer) publish(ctx context.Context) (providers.SSE, string, error) {
	var cond *string
	if !w.overwrite {
		cond = aws.String("*")
	}
	if !w.started() {
		var body io.ReadSeeker = bytes.NewReader(nil)
		var n int64
		if w.cur != nil {
			r, err := w.cur.Reader()
			if err != nil {
				return providers.SSE{}, "", err
			}
			body, n = r, w.cur.Len()
		}
		w.stored = n
		in := &s3.PutObjectInput{
			Bucket:        aws.String(w.l.bucket),
			Key:           aws.String(w.l.key),
			Body:          body,
			ContentLength: aws.Int64(n),
			ContentType:   aws.String(contentType),
			Metadata:      w.meta,
			IfNoneMatch:   cond,
		}
		setPutSSE(in, w.up.SSE)
		out, err := w.fs.opts.S3.PutObject(ctx, in)
		if err != nil {
			return providers.SSE{}, "", err
		}
		return providers.SSE{
			Algorithm: string(out.ServerSideEncryption),
			KMSKeyID:  aws.ToString(out.SSEKMSKeyId),
			Context:   aws.ToString(out.SSEKMSEncryptionContext),
		}, aws.ToString(out.ETag), nil
	}
	w.mu.Lock()
	parts := slices.Clone(w.parts)
	id := w.uploadID
	w.mu.Unlock()
	slices.SortFunc(parts, func(a, b s3types.CompletedPart) int {
		return int(aws.ToInt32(a.PartNumber) - aws.ToInt32(b.PartNumber))
	})
	out, err := w.fs.opts.S3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(w.l.bucket),
		Key:             aws.String(w.l.key),
		UploadId:        aws.String(id),
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:     cond,
	})
	if err != nil {
		return providers.SSE{}, "", err
	}
	return providers.SSE{
		Algorithm: string(out.ServerSideEncryption),
		KMSKeyID:  aws.ToString(out.SSEKMSKeyId),
		Context:   w.up.SSE.Context, // not echoed by CompleteMultipartUpload
	}, aws.ToString(out.ETag), nil
}

// Abort discards the upload; nothing becomes visible. It waits until the
// multipart upload is aborted. Aborting a closed writer does nothing.
func (w *Writer) Abort(ctx context.Context) error {
	w.fail(errAborted)
	err := w.waitCleanup(ctx)
	w.opMu.Lock()
	w.releaseCur()
	w.opMu.Unlock()
	return pathErr("abort", w.l.path, err)
}

// sinkWriter receives the provider's encoded bytes.
type sinkWriter struct{ w *Writer }

// Write fills part buffers, shipping each full one. Called from w.enc
// under opMu.
func (s sinkWriter) Write(p []byte) (int, error) {
	w := s.w
	n := 0
	for len(p) > 0 {
		if err := w.failed(); err != nil {
			return n, err
		}
		if w.cur == nil {
			b, err := w.fs.opts.Buffers.New(w.partCtx)
			if err != nil {
				return n, err
			}
			w.cur = b
		}
		k := int(min(w.partSize-w.cur.Len(), int64(len(p))))
		m, err := w.cur.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
		if w.cur.Len() >= w.partSize {
			if err := w.ship(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (w *Writer) started() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.uploadID != ""
}

// ship uploads w.cur as the next part in the background, starting the
// multipart upload first if needed. It blocks while ActiveParts uploads
// are in flight. Called under opMu.
func (w *Writer) ship() error {
	if w.nextPart >= maxParts {
		return errTooLarge
	}
	if !w.started() {
		if err := w.startUpload(); err != nil {
			return err
		}
	}
	select {
	case w.sem <- struct{}{}:
	case <-w.abortCh:
		return w.failed()
	}
	if err := w.failed(); err != nil {
		<-w.sem
		return err
	}
	buf := w.cur
	w.cur = nil
	w.stored += buf.Len()
	w.nextPart++
	num := w.nextPart
	w.mu.Lock()
	id := w.uploadID
	w.mu.Unlock()
	go func() {
		defer func() { <-w.sem }()
		defer buf.Release()
		etag, err := w.uploadPart(id, num, buf)
		if err != nil {
			w.fail(err)
			return
		}
		w.mu.Lock()
		w.parts = append(w.parts, s3types.CompletedPart{ETag: aws.String(etag), PartNumber: aws.Int32(num)})
		w.mu.Unlock()
	}()
	return nil
}

func (w *Writer) startUpload() error {
	in := &s3.CreateMultipartUploadInput{
		Bucket:      aws.String(w.l.bucket),
		Key:         aws.String(w.l.key),
		ContentType: aws.String(contentType),
		Metadata:    w.meta,
	}
	alg, kid, ectx := sseParams(w.up.SSE)
	in.ServerSideEncryption, in.SSEKMSKeyId, in.SSEKMSEncryptionContext = alg, kid, ectx
	out, err := w.fs.opts.S3.CreateMultipartUpload(w.partCtx, in)
	if err != nil {
		return err
	}
	id := aws.ToString(out.UploadId)
	w.mu.Lock()
	aborted := w.err != nil
	if !aborted {
		w.uploadID = id
	}
	w.mu.Unlock()
	if aborted {
		// Failed meanwhile, and cleanup may not know this upload: abort it here.
		cctx, cancel := cleanupCtx(w.ctx)
		defer cancel()
		w.fs.abortUpload(cctx, w.l.bucket, w.l.key, id)
		return w.failed()
	}
	return nil
}

func (w *Writer) uploadPart(id string, num int32, buf partbuf.Buffer) (string, error) {
	r, err := buf.Reader()
	if err != nil {
		return "", err
	}
	out, err := w.fs.opts.S3.UploadPart(w.partCtx, &s3.UploadPartInput{
		Bucket:        aws.String(w.l.bucket),
		Key:           aws.String(w.l.key),
		UploadId:      aws.String(id),
		PartNumber:    aws.Int32(num),
		Body:          r,
		ContentLength: aws.Int64(buf.Len()),
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// drain waits until no part upload is in flight.
func (w *Writer) drain(ctx context.Context) error {
	held := 0
	defer func() {
		for ; held > 0; held-- {
			<-w.sem
		}
	}()
	for held < cap(w.sem) {
		select {
		case w.sem <- struct{}{}:
			held++
		case <-ctx.Done():
			return ctx.Err()
		case <-w.abortCh:
			return w.failed()
		}
	}
	return nil
}

func (w *Writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// fail records the first failure and, unless Close is completing the
// upload or has completed it, cancels part uploads and starts the cleanup
// that aborts the multipart upload.
func (w *Writer) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
	if w.closed || w.completing || w.cleaning {
		return
	}
	w.cleaning = true
	close(w.abortCh)
	w.cancelParts()
	go w.cleanup()
}

// cleanup waits for in-flight parts, then aborts the multipart upload.
func (w *Writer) cleanup() {
	defer close(w.cleaned)
	w.stopWatch()
	cctx, cancel := cleanupCtx(w.ctx)
	defer cancel()
	for range cap(w.sem) {
		select {
		case w.sem <- struct{}{}:
		case <-cctx.Done():
		}
	}
	w.mu.Lock()
	id := w.uploadID
	w.mu.Unlock()
	var err error
	if id != "" {
		err = w.fs.abortUpload(cctx, w.l.bucket, w.l.key, id)
	}
	w.mu.Lock()
	w.cleanupErr = err
	w.mu.Unlock()
}

// waitCleanup waits for the cleanup started by fail, if any, and returns
// its error.
func (w *Writer) waitCleanup(ctx context.Context) error {
	w.mu.Lock()
	cleaning := w.cleaning
	w.mu.Unlock()
	if !cleaning {
		return nil
	}
	select {
	case <-w.cleaned:
	case <-ctx.Done():
		return ctx.Err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cleanupErr
}

// discard drops a writer that Create could not finish setting up.
func (w *Writer) discard() {
	w.fail(errAborted)
	cctx, cancel := cleanupCtx(w.ctx)
	defer cancel()
	_ = w.waitCleanup(cctx)
	w.opMu.Lock()
	w.releaseCur()
	w.opMu.Unlock()
}

func (w *Writer) releaseCur() {
	if w.cur != nil {
		w.cur.Release()
		w.cur = nil
	}
}

// abortUpload aborts a multipart upload; one already gone is fine.
func (f *FS) abortUpload(ctx context.Context, bucket, key, id string) error {
	_, err := f.opts.S3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
	})
	if err != nil && !isNotExist(err) {
		f.log.WarnContext(ctx, "fs: abort multipart upload failed", "bucket", bucket, "key", key, "err", err)
		return err
	}
	return nil
}

// cleanupCtx derives a context for tidying up that survives the
// cancellation of ctx but not forever.
func cleanupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// sseParams converts providers.SSE into request fields.
func sseParams(s providers.SSE) (s3types.ServerSideEncryption, *string, *string) {
	var kid, ectx *string
	if s.Algorithm == string(s3types.ServerSideEncryptionAwsKms) && s.KMSKeyID != "" {
		kid = aws.String(s.KMSKeyID)
	}
	if s.Context != "" {
		ectx = aws.String(s.Context)
	}
	return s3types.ServerSideEncryption(s.Algorithm), kid, ectx
}

func setPutSSE(in *s3.PutObjectInput, s providers.SSE) {
	in.ServerSideEncryption, in.SSEKMSKeyId, in.SSEKMSEncryptionContext = sseParams(s)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
