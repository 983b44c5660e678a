// Package dfs holds the rules an HDFS client expects from a NameNode, over
// emrfsd's S3 namespace (package fs): path validation, permission checks
// (owner/group/other bits, sticky bit, superuser), the file status a client
// sees, the exact outcomes of rename, delete, mkdirs and create, leases on
// files being written, and the mapping of errors to Hadoop exception class
// names and messages.
//
// Every front end calls these same functions, so a rule holds the same way
// whatever protocol a client speaks: the NameNode RPC server (package
// namenode) only decodes requests, calls in here and encodes answers;
// WebHDFS does the same over HTTP. Front ends translate errors with
// Exception at their edge and nowhere else.
//
// Imports: fs, internal/errs. Imported by the front ends (namenode, webhdfs)
// and cmd/emrfsd.
package dfs
