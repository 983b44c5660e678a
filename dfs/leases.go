package dfs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/emrfsd/emrfsd/fs"
)

// OpenFile is a file being written under a client's lease. Its bytes go
// straight into an S3 upload (fs.Writer); the file appears when the front
// end completes it, and an abort leaves nothing visible.
type OpenFile struct {
	// Path is the file's clean path, ID its file id, Holder the client
	// name holding the lease, BlockSize the file's block size.
	Path        string
	ID          uint64
	Holder      string
	BlockSize   int64
	Replication int
	info        fs.FileInfo

	mu   sync.Mutex // guards w and done
	w    *fs.Writer // nil while fs.Create runs
	done bool       // completed or aborted
}

// Status is the file as a client sees it while it is written: its bytes so
// far, not yet visible in S3.
func (f *OpenFile) Status() Status {
	f.mu.Lock()
	info := f.info
	if f.w != nil {
		info.Size = f.w.Written()
	}
	f.mu.Unlock()
	return Status{FileInfo: info, FileID: f.ID, BlockSize: f.BlockSize, Replication: f.Replication, Writing: true}
}

func (f *OpenFile) noLease() error {
	return Failf(ErrLeaseExpired, "No lease on %s: File is not open for writing.", f.Path)
}

// Write appends p to the file.
func (f *OpenFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done || f.w == nil {
		return 0, f.noLease()
	}
	return f.w.Write(p)
}

// Written is the number of bytes written so far.
func (f *OpenFile) Written() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.w == nil {
		return 0
	}
	return f.w.Written()
}

// Flush makes the bytes written so far durable in S3 (uploaded parts),
// still invisible until the file completes.
func (f *OpenFile) Flush(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done || f.w == nil {
		return f.noLease()
	}
	return f.w.Flush(ctx)
}

// Finish uploads everything written: no byte may follow.
func (f *OpenFile) Finish(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done || f.w == nil {
		return f.noLease()
	}
	return f.w.Finish(ctx)
}

// Done reports whether the file was completed or aborted.
func (f *OpenFile) Done() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.done
}

// lease is one client's lease on the files it writes.
type lease struct {
	renewed time.Time
	files   map[string]*OpenFile
}

// leaseTable tracks open files by path and leases by client name.
type leaseTable struct {
	mu      sync.Mutex
	files   map[string]*OpenFile
	holders map[string]*lease
}

func newLeaseTable() *leaseTable {
	return &leaseTable{files: map[string]*OpenFile{}, holders: map[string]*lease{}}
}

// register exports the table's sizes (read at each scrape).
func (t *leaseTable) register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	size := func(m func() int) func() float64 {
		return func() float64 {
			t.mu.Lock()
			defer t.mu.Unlock()
			return float64(m())
		}
	}
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "emrfsd_dfs_open_files", Help: "Files open for writing (each under a lease)."},
			size(func() int { return len(t.files) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "emrfsd_dfs_leases", Help: "Clients holding a lease (writing at least one file)."},
			size(func() int { return len(t.holders) })),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("dfs: metrics: %w", err)
		}
	}
	return nil
}

// touch renews a client's lease.
func (t *leaseTable) touch(holder string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.holders[holder]; ok {
		l.renewed = time.Now()
	}
}

func (t *leaseTable) get(p string) *OpenFile {
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

// full reports, as reserve would, that holder is at its limit.
func (t *leaseTable) full(holder string, perClient int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.holders[holder]; ok && len(l.files) >= perClient {
		return perClientFull(holder, perClient)
	}
	return ""
}

func perClientFull(holder string, perClient int) string {
	return fmt.Sprintf("too many files open for writing by client %s (emrfsd.max.open.files.per.client %d)", holder, perClient)
}

// reserve registers f at its path unless a file is open there; it returns
// the file already open otherwise. full is non-empty when a limit is
// reached: limit files in all, perClient for f's holder.
func (t *leaseTable) reserve(f *OpenFile, limit, perClient int) (existing *OpenFile, full string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.files[f.Path]; ok {
		return e, ""
	}
	l, ok := t.holders[f.Holder]
	if ok && len(l.files) >= perClient {
		return nil, perClientFull(f.Holder, perClient)
	}
	if len(t.files) >= limit {
		return nil, fmt.Sprintf("too many files open for writing (emrfsd.max.open.files %d)", limit)
	}
	t.files[f.Path] = f
	if !ok {
		l = &lease{files: map[string]*OpenFile{}}
		t.holders[f.Holder] = l
	}
	l.renewed = time.Now()
	l.files[f.Path] = f
	return nil, ""
}

// release forgets f (closed or aborted).
func (t *leaseTable) release(f *OpenFile) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.files[f.Path] == f {
		delete(t.files, f.Path)
	}
	if l, ok := t.holders[f.Holder]; ok {
		delete(l.files, f.Path)
		if len(l.files) == 0 {
			delete(t.holders, f.Holder)
		}
	}
}

// under lists the open files at or below p.
func (t *leaseTable) under(p string) []*OpenFile {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*OpenFile
	prefix := strings.TrimSuffix(p, "/") + "/"
	for q, f := range t.files {
		if q == p || strings.HasPrefix(q, prefix) {
			out = append(out, f)
		}
	}
	return out
}

// expired lists the files of leases not renewed since before.
func (t *leaseTable) expired(before time.Time) []*OpenFile {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*OpenFile
	for _, l := range t.holders {
		if l.renewed.Before(before) {
			for _, f := range l.files {
				out = append(out, f)
			}
		}
	}
	return out
}

func (t *leaseTable) all() []*OpenFile {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*OpenFile, 0, len(t.files))
	for _, f := range t.files {
		out = append(out, f)
	}
	return out
}

// RenewLease renews a client's lease on every file it writes.
func (n *Namespace) RenewLease(holder string) { n.leases.touch(holder) }

// Lease finds the file src open by holder (fileID 0: any id), renewing the
// holder's lease. Anything else is a LeaseExpiredException.
func (n *Namespace) Lease(src, holder string, fileID uint64) (*OpenFile, error) {
	p, err := CleanPath(src)
	if err != nil {
		return nil, err
	}
	f := n.leases.get(p)
	switch {
	case f == nil:
		return nil, Failf(ErrLeaseExpired, "No lease on %s: File is not open for writing. Holder %s does not have any open files.", p, holder)
	case f.Holder != holder:
		return nil, Failf(ErrLeaseExpired, "No lease on %s: lease is held by %s, not %s", p, f.Holder, holder)
	case fileID != 0 && fileID != f.ID:
		return nil, Failf(ErrLeaseExpired, "No lease on %s (inode %d): File does not exist. Holder %s does not have any open files.", p, fileID, holder)
	}
	n.leases.touch(holder)
	return f, nil
}

// Complete closes f: its upload completes and the file becomes visible. On
// failure the upload is aborted and nothing is published.
func (n *Namespace) Complete(ctx context.Context, f *OpenFile) error {
	f.mu.Lock()
	if f.done || f.w == nil {
		f.mu.Unlock()
		return Failf(ErrLeaseExpired, "No lease on %s: file is no longer open for writing", f.Path)
	}
	f.done = true
	w := f.w
	f.mu.Unlock()
	err := w.Close(ctx)
	n.release(f)
	if err != nil {
		if aerr := w.Abort(context.WithoutCancel(ctx)); aerr != nil {
			n.log.Warn("abort after failed close", "path", f.Path, "err", aerr)
		}
	}
	return err
}

// Abort discards a file being written and releases its lease.
func (n *Namespace) Abort(ctx context.Context, f *OpenFile, why string) {
	f.mu.Lock()
	if f.done {
		f.mu.Unlock()
		return
	}
	f.done = true
	w := f.w
	f.mu.Unlock()
	n.release(f)
	if w != nil {
		if err := w.Abort(ctx); err != nil {
			n.log.Warn("aborting write failed", "path", f.Path, "err", err)
		}
	}
	n.log.Info("write aborted", "path", f.Path, "holder", f.Holder, "reason", why)
}

func (n *Namespace) release(f *OpenFile) {
	n.leases.release(f)
	n.hooksMu.Lock()
	hooks := n.hooks
	n.hooksMu.Unlock()
	for _, fn := range hooks {
		fn(f)
	}
}

// Writing returns the file open for writing at the clean path p, if any.
func (n *Namespace) Writing(p string) *OpenFile { return n.leases.get(p) }
