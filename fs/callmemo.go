package fs

import (
	"context"
	"sync"
)

// A call memo lets the lookups of one client call share their answers.
// An HDFS call asks about the same paths several times: a create checks
// the file, walks up to the nearest existing ancestor for the permission
// check, then fs.Create checks the parent and mkdirs walks the missing
// parents again; a rename stats source, destination and its parent in the
// rules layer and again here. Each miss costs three S3 requests (HEAD of
// the object, LIST of "NAME/", HEAD of the EMRFS folder marker). Measured
// on a Spark job (quick J1), a create made 16 S3 requests and a mkdirs 31,
// most of them repeats.
//
// The memo forgets everything when the call itself changes the namespace
// (any mutating S3 request made with its context: see mutationCounter),
// so a call sees its own changes. Changes by other calls running at the
// same time are not looked for: two calls that overlap may take effect in
// either order, and a call that starts after another ended starts with an
// empty memo. (A global generation, tried first, threw the memo away
// whenever a concurrent task wrote anything, and a Spark job's tasks
// always do.)
type callMemo struct {
	mu  sync.Mutex
	gen uint64 // changes made by the call so far
	m   map[string]found
}

type callMemoKey struct{}

// WithCallMemo returns a context whose lookups share answers until the
// namespace changes (see callMemo). Front ends wrap each client call in
// one; a context without it looks everything up afresh.
func WithCallMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, callMemoKey{}, &callMemo{m: map[string]found{}})
}

func memoOf(ctx context.Context) *callMemo {
	m, _ := ctx.Value(callMemoKey{}).(*callMemo)
	return m
}

// get returns the answer recorded for l.
func (c *callMemo) get(l loc) (found, bool) {
	if c == nil {
		return found{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fd, ok := c.m[l.bucket+"\x00"+l.key]
	return fd, ok
}

// put records what a lookup found, unless the call changed something
// since the lookup began (gen is the call's change count then).
func (c *callMemo) put(l loc, gen uint64, fd found) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	c.m[l.bucket+"\x00"+l.key] = fd
}

// generation is the call's change count.
func (c *callMemo) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// changed forgets every answer (the call is changing the namespace).
func (c *callMemo) changed() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}
