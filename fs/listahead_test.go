package fs

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/s3api"
)

type callTag struct{}

// taggedLists records, for every LIST, the tag of the context it was made
// with and its StartAfter.
type taggedLists struct {
	s3api.API
	mu    sync.Mutex
	lists []string // "TAG after=STARTAFTER token=BOOL"
}

func (c *taggedLists) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	tag, _ := ctx.Value(callTag{}).(string)
	c.mu.Lock()
	c.lists = append(c.lists, fmt.Sprintf("%s after=%s token=%v", tag, aws.ToString(in.StartAfter), in.ContinuationToken != nil))
	c.mu.Unlock()
	return c.API.ListObjectsV2(ctx, in, opts...)
}

func (c *taggedLists) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.lists
	c.lists = nil
	slices.Sort(l)
	return l
}

// TestListAhead: while a client takes in one page of a large listing, the
// S3 page its next call starts with is fetched (by the previous call,
// hence with its context); the next call uses it instead of listing, and
// the pages together are the directory. A page that ended where its S3
// page did is continued with the continuation token, one cut short by the
// limit is fetched after its last name. A change made through the FS
// under the directory between two pages is seen by the next page; a
// one-entry listing (an emptiness check) fetches nothing ahead.
func TestListAhead(t *testing.T) {
	var c *taggedLists
	r := newRig(t, nil, func(o *Options) {
		c = &taggedLists{API: o.S3}
		o.S3 = c
	})
	// Page 1 (limit 100, S3 pages of 108): 92 files and 8 directories,
	// each a common prefix and an EMRFS folder marker: 108 keys, 100
	// entries. Page 2: 108 files, cut at 100. Page 3: the last 50.
	var keys, want []string
	for i := range 92 {
		keys = append(keys, fmt.Sprintf("d/a%03d", i))
		want = append(want, fmt.Sprintf("a%03d", i))
	}
	for i := range 8 {
		keys = append(keys, fmt.Sprintf("d/b%d/x", i), fmt.Sprintf("d/b%d_$folder$", i))
		want = append(want, fmt.Sprintf("b%d", i))
	}
	for i := range 150 {
		keys = append(keys, fmt.Sprintf("d/c%03d", i))
		want = append(want, fmt.Sprintf("c%03d", i))
	}
	r.putRawMany(keys)
	ctx := ctxT(t)
	page := func(tag, after string) ([]string, bool) {
		t.Helper()
		fis, more, err := r.fs.List(context.WithValue(ctx, callTag{}, tag), "/t/d", after, 100)
		mustOK(t, "list page "+tag, err)
		var names []string
		for _, fi := range fis {
			names = append(names, fi.Name)
		}
		return names, more
	}
	// settle waits for the fetch started by the last page to be done.
	settle := func() {
		for _, id := range r.fs.ahead.c.Keys() {
			if p, ok := r.fs.ahead.c.Peek(id); ok {
				<-p.done
			}
		}
	}

	// A fetched page lives listAheadTTL from the start of its fetch; on a
	// machine so loaded that a page's next call came later than half of
	// that, the sequence is run again (and the test fails if it never ran
	// in time).
	wantLists := []string{
		"p1 after= token=false",       // p1's own page
		"p1 after= token=true",        // p2's, fetched ahead by continuing p1's listing
		"p2 after=d/c099 token=false", // p3's, fetched ahead after p2's last name; p2 made no LIST of its own
	}
	inTime := false
	for attempt := 0; attempt < 5 && !inTime; attempt++ {
		c.take()
		var got []string
		t0 := time.Now()
		p1, more := page("p1", "")
		settle()
		got = append(got, p1...)
		t1 := time.Now()
		p2, _ := page("p2", p1[len(p1)-1])
		settle()
		got = append(got, p2...)
		p3, more3 := page("p3", p2[len(p2)-1])
		got = append(got, p3...)
		if !more || more3 || !slices.Equal(got, want) {
			t.Fatalf("three pages of 100: %d names (more %v, %v), want the 250 in order", len(got), more, more3)
		}
		l := c.take()
		if t1.Sub(t0) > listAheadTTL/2 || time.Since(t1) > listAheadTTL/2 {
			t.Logf("attempt %d: pages came %v and %v apart, too slow to judge the reuse (LISTs %q)", attempt, t1.Sub(t0), time.Since(t1), l)
			continue
		}
		inTime = true
		if !slices.Equal(l, wantLists) {
			t.Errorf("LISTs made (context tag, StartAfter): %q, want %q", l, wantLists)
		}
	}
	if !inTime {
		t.Fatalf("no attempt listed its pages within %v of each other", listAheadTTL/2)
	}

	// A file created and one deleted through the FS between two pages.
	p1, _ := page("q1", "")
	settle()
	r.write("/t/d/c050x", []byte("new"), CreateOptions{})
	if _, err := r.fs.Delete(ctx, "/t/d/c020", false); err != nil {
		t.Fatal(err)
	}
	p2, _ := page("q2", p1[len(p1)-1])
	if !slices.Contains(p2, "c050x") || slices.Contains(p2, "c020") {
		t.Errorf("page after a create of c050x and a delete of c020 through the FS: %q", p2)
	}
	settle()
	c.take()

	// An emptiness check.
	if _, _, err := r.fs.List(context.WithValue(ctx, callTag{}, "e"), "/t/d", "", 1); err != nil {
		t.Fatal(err)
	}
	settle()
	if l := c.take(); !slices.Equal(l, []string{"e after= token=false"}) {
		t.Errorf("one-entry listing made LISTs %q, want only its own", l)
	}
}
