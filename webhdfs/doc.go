// Package webhdfs serves Hadoop's WebHDFS REST API (/webhdfs/v1/PATH?op=...)
// over HTTP, as a NameNode answers on dfs.namenode.http-address, for curl,
// Python's HdfsCLI, Hadoop's webhdfs:// FileSystem, Airflow and Hue.
//
// It is a front end over package dfs exactly as the RPC NameNode is: every
// request decodes its parameters, calls the same dfs rules (paths,
// permissions, statuses, rename/delete/mkdirs/create, leases) with the
// caller's identity, and encodes the answer as WebHDFS's JSON, so a rule
// holds the same way over RPC and over HTTP, and every bucket keeps its own
// encryption. Errors become RemoteException bodies with the HTTP status
// Hadoop's ExceptionHandler gives their Java class.
//
// Data moves through the same server: OPEN, CREATE and GETFILECHECKSUM
// answer the NameNode step with a 307 redirect to a "DataNode" URL on the
// host the client used, marked by the namenoderpcaddress parameter Hadoop's
// DataNode URLs carry; the DataNode step streams the file (fs.File.Range)
// or the request body (a dfs.OpenFile, completed only when the body ended
// cleanly) with bounded memory.
//
// Imports: dfs, fs, internal/errs, internal/hdfschecksum. Imported by
// cmd/emrfsd.
package webhdfs
