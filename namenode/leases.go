package namenode

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/emrfsd/emrfsd/fs"
)

// openFile is a file being written.
type openFile struct {
	path   string
	id     uint64
	holder string // clientName holding the lease
	info   fs.FileInfo

	mu        sync.Mutex // guards the writer and everything below
	w         *fs.Writer // nil while fs.Create runs
	blockSize int64
	blocks    []*writeBlock
	finished  bool // Writer.Finish ran (a short block ended the data)
	done      bool // closed or aborted
}

// lease is one client's lease on the files it writes.
type lease struct {
	renewed time.Time
	files   map[string]*openFile
}

// leaseTable tracks open files by path and leases by client name.
type leaseTable struct {
	mu      sync.Mutex
	files   map[string]*openFile
	holders map[string]*lease
}

func newLeaseTable() *leaseTable {
	return &leaseTable{files: map[string]*openFile{}, holders: map[string]*lease{}}
}

// touch renews a client's lease.
func (t *leaseTable) touch(holder string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.holders[holder]; ok {
		l.renewed = time.Now()
	}
}

func (t *leaseTable) get(p string) *openFile {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.files[p]
}

// renewedAt reports when holder last renewed.
func (t *leaseTable) renewedAt(holder string) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.holders[holder]; ok {
		return l.renewed
	}
	return time.Time{}
}

// reserve registers f at its path unless a file is open there; it returns
// the file already open otherwise.
func (t *leaseTable) reserve(f *openFile, limit int) (existing *openFile, full bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.files[f.path]; ok {
		return e, false
	}
	if len(t.files) >= limit {
		return nil, true
	}
	t.files[f.path] = f
	l, ok := t.holders[f.holder]
	if !ok {
		l = &lease{files: map[string]*openFile{}}
		t.holders[f.holder] = l
	}
	l.renewed = time.Now()
	l.files[f.path] = f
	return nil, false
}

// release forgets f (closed or aborted).
func (t *leaseTable) release(f *openFile) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.files[f.path] == f {
		delete(t.files, f.path)
	}
	if l, ok := t.holders[f.holder]; ok {
		delete(l.files, f.path)
		if len(l.files) == 0 {
			delete(t.holders, f.holder)
		}
	}
}

// under lists the open files at or below p.
func (t *leaseTable) under(p string) []*openFile {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*openFile
	prefix := strings.TrimSuffix(p, "/") + "/"
	for q, f := range t.files {
		if q == p || strings.HasPrefix(q, prefix) {
			out = append(out, f)
		}
	}
	return out
}

// expired lists the files of leases not renewed since before.
func (t *leaseTable) expired(before time.Time) []*openFile {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*openFile
	for _, l := range t.holders {
		if l.renewed.Before(before) {
			for _, f := range l.files {
				out = append(out, f)
			}
		}
	}
	return out
}

func (t *leaseTable) all() []*openFile {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*openFile, 0, len(t.files))
	for _, f := range t.files {
		out = append(out, f)
	}
	return out
}

// abort discards a file being written and releases its lease.
func (s *Server) abort(ctx context.Context, f *openFile, why string) {
	f.mu.Lock()
	if f.done {
		f.mu.Unlock()
		return
	}
	f.done = true
	w, blocks := f.w, f.blocks
	f.mu.Unlock()
	s.leases.release(f)
	s.dropWrites(blocks)
	if w != nil {
		if err := w.Abort(ctx); err != nil {
			s.log.Warn("aborting write failed", "path", f.path, "err", err)
		}
	}
	s.log.Info("write aborted", "path", f.path, "holder", f.holder, "reason", why)
}

// abortAll aborts every open file (shutdown).
func (s *Server) abortAll(ctx context.Context) {
	for _, f := range s.leases.all() {
		s.abort(ctx, f, "server shutting down")
	}
}

// reapLeases aborts the writes of clients that stopped renewing their lease
// for longer than the hard limit.
func (s *Server) reapLeases() {
	tick := min(max(s.opts.LeaseHardLimit/4, 10*time.Millisecond), 5*time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-s.stopReap:
			return
		case <-t.C:
		}
		for _, f := range s.leases.expired(time.Now().Add(-s.opts.LeaseHardLimit)) {
			go s.abort(s.baseCtx, f, "lease hard limit expired")
		}
	}
}
