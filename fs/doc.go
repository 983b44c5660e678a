// Package fs is emrfsd's namespace over S3: paths of the form /BUCKET/KEY,
// directories, listings, streaming reads and writes through each bucket's
// encryption provider, rename, delete and content summaries.
//
// Errors are classified once, here: every error returned is an
// *iofs.PathError whose Err satisfies errors.Is with one of io/fs's
// ErrNotExist, ErrExist, ErrPermission, ErrInvalid, or of internal/errs's
// errs.ErrNotDir, errs.ErrIsDir, errs.ErrNotEmpty, errs.ErrChanged, errs.ErrNoXattr,
// ErrIntegrity, ErrKeyUnavailable, ...
// io.EOF and context errors are returned bare, never wrapped. Callers (the
// RPC edge) translate those into Hadoop exception classes.
//
// # Layout in S3
//
//   - "/" is the root; its children are the top-level directories, one per
//     served bucket (Options.Buckets, or every bucket the credentials can
//     list), plus, with Options.DefaultBucket, the top-level entries of the
//     default bucket: /NAME/REST, NAME not a served bucket, is the key
//     "NAME/REST" there (so /user, /tmp, /apps and files directly under "/"
//     work as in HDFS). A served bucket shadows a default-bucket entry of
//     the same name.
//   - /TOP/A/B is the object key "A/B" in TOP's bucket.
//   - Bucket roots (/TOP, and "/" in the default bucket) cannot be created,
//     deleted or renamed (ErrPermission), but carry attributes like any
//     directory, kept in the bucket's "_$root$" object (root.go); without it
//     they show Options.RootDefaults.
//   - A directory is a zero-byte marker object "A/B/" carrying the
//     directory's metadata (markers written here record their creation as
//     modification time), or an implicit prefix (objects below "A/B/"), or
//     an EMRFS/s3n marker "A/B_$folder$". Markers and "_$root$" never appear
//     in listings and cannot be created as paths.
//   - "KEY.instruction" (an S3 Encryption Client instruction file) is hidden
//     while KEY exists, and follows KEY on rename and delete.
//   - Owner, group, permission, times, block size and xattrs are user
//     metadata; see meta.go for the scheme. S3 listings carry no metadata:
//     List takes it from an attribute index (index.go, Options.Index) that
//     every write, attribute change, rename and Stat of this FS fills and
//     that is checked against each listed ETag, size and LastModified;
//     entries it does not know are HEADed once per object version. Files
//     and directories without metadata show the defaults
//     (Options.DefaultOwner/DefaultGroup, 0644 files, 0755 directories,
//     S3's LastModified).
//
// # Consistency
//
// Nothing partial is ever visible: new files appear when Writer.Close
// completes the upload (with If-None-Match: * unless overwriting). Renames
// are copy-then-delete and not atomic; a directory rename that fails midway
// leaves both trees partly populated and can be retried.
//
// Imports: providers (the encryption seam), internal/errs, internal/s3api,
// internal/partbuf, internal/attrindex. Imported by blocks, dfs, the front
// ends and cmd/emrfsd.
package fs
