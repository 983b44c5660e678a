package dfs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/emrfsd/emrfsd/fs"
)

// Namespace applies HDFS's rules to emrfsd's S3 namespace. It is safe for
// concurrent use.
type Namespace struct {
	opts Options
	log  *slog.Logger
	fs   *fs.FS

	leases   *leaseTable
	listings *expirable.LRU[listingKey, fs.FileInfo] // directories being listed in batches
	groups   *expirable.LRU[string, []string]        // users' groups

	hooksMu sync.Mutex
	hooks   []func(*OpenFile) // see OnRelease

	stopOnce sync.Once
	stop     chan struct{}
	reaped   sync.WaitGroup
}

// listingKey names a directory a user is in the middle of listing.
type listingKey struct{ user, path string }

const (
	// listingTTL: a client continuing a listing it was allowed to start a
	// moment ago is not made to pay for the directory's stat and permission
	// checks again on every batch.
	listingTTL = 10 * time.Second
	listingMax = 4096
	groupTTL   = 5 * time.Minute
)

// New validates options and returns a namespace. Call Run to expire
// abandoned leases, and Close to stop.
func New(o Options) (*Namespace, error) {
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	n := &Namespace{opts: o, log: o.Logger, fs: o.FS, leases: newLeaseTable(), stop: make(chan struct{})}
	n.listings = expirable.NewLRU[listingKey, fs.FileInfo](listingMax, nil, listingTTL)
	n.groups = expirable.NewLRU[string, []string](4096, nil, groupTTL)
	if err := n.leases.register(o.Metrics); err != nil {
		return nil, err
	}
	return n, nil
}

// Options returns the namespace's options, defaults applied.
func (n *Namespace) Options() Options { return n.opts }

// FS is the namespace's object store view.
func (n *Namespace) FS() *fs.FS { return n.fs }

// OnRelease registers fn to be called once for every file that stops being
// open for writing (completed or aborted), after its lease is released.
// Front ends register while they are wired up, to drop their own per-file
// state.
func (n *Namespace) OnRelease(fn func(*OpenFile)) {
	n.hooksMu.Lock()
	defer n.hooksMu.Unlock()
	n.hooks = append(n.hooks, fn)
}

// Run aborts the writes of clients that stopped renewing their lease for
// longer than the hard limit, until ctx ends or Close is called.
func (n *Namespace) Run(ctx context.Context) {
	n.every(ctx, min(max(n.opts.LeaseHardLimit/4, 10*time.Millisecond), 5*time.Second), func(now time.Time) {
		for _, f := range n.leases.expired(now.Add(-n.opts.LeaseHardLimit)) {
			n.reaped.Go(func() { n.Abort(context.WithoutCancel(ctx), f, "lease hard limit expired") })
		}
	})
}

// every calls fn every period until ctx ends or Close is called.
func (n *Namespace) every(ctx context.Context, period time.Duration, fn func(now time.Time)) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.stop:
			return
		case now := <-t.C:
			fn(now)
		}
	}
}

// Close stops Run and aborts every file still open for writing: nothing
// half-written is published.
func (n *Namespace) Close(ctx context.Context) {
	n.stopOnce.Do(func() { close(n.stop) })
	n.reaped.Wait()
	for _, f := range n.leases.all() {
		n.Abort(ctx, f, "server shutting down")
	}
}

// CallContext prepares ctx for one client call: the namespace lookups the
// call makes share their answers until something changes (see
// fs.WithCallMemo). Front ends wrap each call in it.
func CallContext(ctx context.Context) context.Context { return fs.WithCallMemo(ctx) }
