// Package namenode serves Hadoop's ClientNamenodeProtocol (Hadoop IPC v9,
// SIMPLE auth) over emrfsd's S3 namespace (package fs). One S3 object is
// one file; its blocks are byte ranges of the object, served by emrfsd's
// DataNode through the block table this package keeps (see Blocks).
//
// Imports: dfs (every HDFS rule), blocks (block ids and tokens), fs (types),
// internal/errs, internal/reqid (request ids) and the generated protobuf
// packages. It never imports
// datanode or any other front end; cmd/emrfsd wires them together.
package namenode
