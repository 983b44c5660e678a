// Package blocks is the block map the NameNode and the DataNode share: what
// an HDFS block id stands for. A block of a closed file is a byte range of
// one version of an S3 object (path + ETag); a block of a file being
// written is registered by the NameNode while its file is open and streamed
// into by the DataNode.
//
// The NameNode hands ids out (Table.ReadID, Table.AddWrite) and the DataNode
// resolves them (Table.OpenRead, Table.OpenWrite); neither imports the other.
// Reads of client-side-encrypted files are authenticated across blocks here
// (verify.go).
//
// Imports: fs (to open objects), internal/errs, providers (segment types).
// Imported by namenode, datanode and cmd/emrfsd.
package blocks
