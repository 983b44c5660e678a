package dfs

import (
	"hash/fnv"

	"github.com/emrfsd/emrfsd/fs"
)

// RootFileID is HDFS's root inode id.
const RootFileID = 16385

// Status is a path as an HDFS client sees it.
type Status struct {
	fs.FileInfo
	// FileID is the inode id clients pass back with a file being written.
	FileID uint64
	// BlockSize and Replication are the file's (0 for directories).
	BlockSize   int64
	Replication int
	// Writing: the file is open for writing and not yet visible in S3;
	// Size is the bytes written so far.
	Writing bool
}

// FileID derives a stable inode id from a path: S3 has no inode numbers.
// Ids stay above HDFS's reserved range and below 2^62.
func FileID(p string) uint64 {
	if p == "/" {
		return RootFileID
	}
	h := fnv.New64a()
	h.Write([]byte(p))
	return (h.Sum64() & (1<<62 - 1)) | 1<<32
}

// status describes fi as a client sees it.
func (n *Namespace) status(fi fs.FileInfo) Status {
	st := Status{FileInfo: fi, FileID: FileID(fi.Path)}
	if !fi.IsDir {
		// The file's own block size and replication, as created (or
		// changed by setReplication); files written by other tools have
		// none recorded and show the server defaults.
		st.BlockSize, st.Replication = n.opts.BlockSize, n.opts.Replication
		if fi.BlockSize > 0 {
			st.BlockSize = fi.BlockSize
		}
		if fi.Replication > 0 {
			st.Replication = fi.Replication
		}
		st.Size = max(st.Size, 0)
	} else {
		st.Size = 0
	}
	return st
}
