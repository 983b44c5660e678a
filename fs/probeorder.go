package fs

import (
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// probeOrder decides whether a lookup asks for a file and for a directory
// at once. Proving what is at a path takes a HEAD of the object and, when
// there is none, a LIST of "NAME/" with a HEAD of the EMRFS folder marker:
// two round trips for a missing path or a directory, one for a file. Asked
// together, a missing path or a directory costs one round trip, and a file
// costs two wasted requests.
//
// So the lookup goes parallel when no file is expected there (the caller
// is about to make the path, or it is a parent directory), or when the
// last two lookups in the same directory found no file: a directory a job
// is filling with new outputs, or one whose entries are directories
// (partitions). A lookup that finds a file turns the directory back to the
// file-first order (one miss among files, such as a stat before a rename
// or an existence check, does not turn it), and so does a file renamed
// into it: a committer's job commit stats each destination (a miss) and
// renames the file there, and the files are read next. Files this FS
// creates do not: a directory filling with new files keeps its order.
type probeOrder struct {
	noFiles *expirable.LRU[string, int] // directories → lookups in a row that found no file
}

const (
	probeOrderTTL        = 10 * time.Second
	probeOrderMisses     = 2 // lookups in a row without a file that turn a directory parallel
	probeOrderMaxEntries = 4096
)

func newProbeOrder() probeOrder {
	return probeOrder{noFiles: expirable.NewLRU[string, int](probeOrderMaxEntries, nil, probeOrderTTL)}
}

func parentID(l loc) string {
	dir := ""
	if i := strings.LastIndexByte(l.key, '/'); i >= 0 {
		dir = l.key[:i]
	}
	return l.bucket + "\x00" + dir
}

// parallel reports whether a lookup at l should ask for a file and a
// directory at once.
func (p probeOrder) parallel(l loc, expectNoFile bool) bool {
	if expectNoFile {
		return true
	}
	n, _ := p.noFiles.Get(parentID(l))
	return n >= probeOrderMisses
}

// fileAt records that l holds a file: a lookup found it there, or a file
// was renamed there.
func (p probeOrder) fileAt(l loc) { p.noFiles.Remove(parentID(l)) }

// noFileAt records that a lookup with no expectation found no file at l.
// (Lookups that expected none do not count: a create finding nothing says
// little about the directory's other names.)
func (p probeOrder) noFileAt(l loc) {
	id := parentID(l)
	n, _ := p.noFiles.Peek(id)
	p.noFiles.Add(id, n+1)
}
