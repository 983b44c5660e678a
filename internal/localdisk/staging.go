package localdisk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emrfsd/emrfsd/internal/partbuf"
)

// stagingPrefix names every staged part file, so leftovers from a crashed
// run are recognised and removed at start.
const stagingPrefix = "part-"

// keepFiles bounds the released part files kept for reuse.
const keepFiles = 8

// Staging buffers multipart upload parts in sealed files under a local
// directory (fs.s3a.fast.upload.buffer=disk). Every byte it writes to disk is
// encrypted and authenticated, and every part is read back through the same
// format before upload, so a corrupted staging file can never reach S3 as
// silently corrupt data: the upload fails instead.
//
// A released part's file is kept (up to keepFiles of them, still holding
// its sealed ciphertext) and rewritten by a later part: overwriting
// allocated pages is much cheaper for the kernel than creating, filling and
// unlinking a file per part. Kept files are removed with the rest at the
// next start.
type Staging struct {
	dir   string
	key   *NodeKey
	files atomic.Int64 // staged parts in use, for tests and metrics
	free  chan string  // released part files kept for reuse
	// fullAt is when a staged write last found the disk full (unix nanos;
	// 0: never): kept files are dropped then, and none is kept for
	// keepAfterFull after it, so a full disk goes back to the parts in use.
	fullAt atomic.Int64
}

// keepAfterFull is how long after a full disk released parts are removed
// instead of kept for reuse.
const keepAfterFull = time.Minute

// noteFull records a full disk (ENOSPC, EDQUOT) and removes the kept files.
func (s *Staging) noteFull(err error) {
	if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EDQUOT) {
		return
	}
	s.fullAt.Store(time.Now().UnixNano())
	s.Close()
}

func (s *Staging) keeping() bool {
	at := s.fullAt.Load()
	return at == 0 || time.Since(time.Unix(0, at)) > keepAfterFull
}

// NewStaging prepares dir (created 0700 when missing) and removes staged
// files abandoned by an earlier run. key is the node key; nil means an
// ephemeral in-memory key (local encryption not configured: staged parts
// never outlive the process, so they are still sealed, under a key that dies
// with it).
func NewStaging(dir string, key *NodeKey) (*Staging, int, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, 0, fmt.Errorf("localdisk: staging dir: %w", err)
	}
	removed, err := CleanStale(dir)
	if err != nil {
		return nil, removed, err
	}
	if key == nil {
		key = &NodeKey{check: "ephemeral"}
		if _, err := io.ReadFull(rand.Reader, key.key[:]); err != nil {
			return nil, removed, fmt.Errorf("localdisk: ephemeral key: %w", err)
		}
	}
	return &Staging{dir: dir, key: key, free: make(chan string, keepFiles)}, removed, nil
}

// CleanStale removes staged part files left by an earlier run.
func CleanStale(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil
		}
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), stagingPrefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// Close removes the part files kept for reuse so far (call it at shutdown).
// Parts still in use are unaffected.
func (s *Staging) Close() error {
	var errs []error
	for {
		select {
		case path := <-s.free:
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		default:
			return errors.Join(errs...)
		}
	}
}

// Live is the number of staged parts in use (files kept for reuse are not
// counted).
func (s *Staging) Live() int64 { return s.files.Load() }

// New implements partbuf.Pool.
func (s *Staging) New(ctx context.Context) (partbuf.Buffer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for {
		var path string
		select {
		case path = <-s.free:
		default:
		}
		if path == "" {
			break
		}
		w, err := s.key.Rewrite(path)
		if err != nil {
			os.Remove(path)
			continue
		}
		s.files.Add(1)
		return &diskPart{s: s, path: path, w: w}, nil
	}
	var rnd [12]byte
	if _, err := io.ReadFull(rand.Reader, rnd[:]); err != nil {
		return nil, err
	}
	path := filepath.Join(s.dir, fmt.Sprintf("%s%x", stagingPrefix, rnd))
	w, err := s.key.Create(path)
	if err != nil {
		s.noteFull(err)
		return nil, err
	}
	s.files.Add(1)
	return &diskPart{s: s, path: path, w: w}, nil
}

type diskPart struct {
	s    *Staging
	path string
	w    *Writer
	r    *Reader
	n    int64
	done bool
}

func (p *diskPart) Write(b []byte) (int, error) {
	if p.r != nil || p.done {
		return 0, errors.New("localdisk: write to a staged part after it was read or released")
	}
	n, err := p.w.Write(b)
	p.n += int64(n)
	if err != nil {
		p.s.noteFull(err)
	}
	return n, err
}

func (p *diskPart) Len() int64 { return p.n }

// Reader seals the part and opens it again for reading: the bytes that go
// to S3 are the bytes authenticated from disk.
func (p *diskPart) Reader() (io.ReadSeeker, error) {
	if p.done {
		return nil, errors.New("localdisk: staged part released")
	}
	if p.r == nil {
		if err := p.w.Close(); err != nil {
			p.s.noteFull(err)
			return nil, fmt.Errorf("localdisk: seal staged part: %w", err)
		}
		r, err := p.s.key.Open(p.path)
		if err != nil {
			return nil, err
		}
		if r.Size() != p.n {
			r.Close()
			return nil, fmt.Errorf("%w: staged part %s holds %d bytes, %d were written", ErrIntegrity, p.path, r.Size(), p.n)
		}
		p.r = r
	}
	if _, err := p.r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return p.r, nil
}

func (p *diskPart) Release() {
	if p.done {
		return
	}
	p.done = true
	p.s.files.Add(-1)
	if p.r == nil {
		p.w.Abort()
		return
	}
	p.r.Close()
	if !p.s.keeping() {
		os.Remove(p.path)
		return
	}
	select {
	case p.s.free <- p.path:
	default:
		os.Remove(p.path)
	}
}
