package dfs

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"strings"

	"github.com/emrfsd/emrfsd/internal/errs"
)

// Hadoop exception class names sent to clients. Java rebuilds the typed
// exception only when the name matches exactly.
const (
	ExFileNotFound        = "java.io.FileNotFoundException"
	ExFileAlreadyExists   = "org.apache.hadoop.fs.FileAlreadyExistsException"
	ExParentNotDirectory  = "org.apache.hadoop.fs.ParentNotDirectoryException"
	ExPathNotEmpty        = "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException"
	ExAccessControl       = "org.apache.hadoop.security.AccessControlException"
	ExAlreadyBeingCreated = "org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException"
	ExLeaseExpired        = "org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException"
	ExIllegalArgument     = "org.apache.hadoop.HadoopIllegalArgumentException"
	ExInvalidPath         = "org.apache.hadoop.fs.InvalidPathException"
	ExUnsupported         = "java.lang.UnsupportedOperationException"
	ExIO                  = "java.io.IOException"
	ExComponentTooLong    = "org.apache.hadoop.hdfs.protocol.FSLimitException$PathComponentTooLongException"
)

// Kinds of failure the HDFS rules detect themselves (beyond internal/errs
// and io/fs's). Raise them with Failf so the client sees a Hadoop-style
// message.
var (
	ErrAlreadyBeingCreated = errors.New("file is already being created")
	ErrLeaseExpired        = errors.New("no lease")
	ErrDenied              = errors.New("permission denied")
	ErrInvalidPath         = errors.New("invalid path")
	ErrIllegalArgument     = errors.New("illegal argument")
	// ErrIO marks a plain java.io.IOException.
	ErrIO = errors.New("i/o error")
	// ErrPathTooLong: a path over MaxPathLength or MaxPathDepth (an
	// IOException, as HDFS throws).
	ErrPathTooLong = errors.New("path too long")
	// ErrComponentTooLong: a new name over the component length limit.
	ErrComponentTooLong = errors.New("path component too long")
)

// failure is an error whose message is sent to the client verbatim and
// whose class is found through kind (and, optionally, a wrapped cause).
type failure struct {
	kind  error
	msg   string
	cause error
}

func (e *failure) Error() string   { return e.msg }
func (e *failure) Unwrap() []error { return []error{e.kind, e.cause} }

// Failf builds a failure of the given kind with a client-facing message.
func Failf(kind error, format string, args ...any) error {
	return &failure{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// errorClasses is THE table from Go errors to Hadoop exception classes,
// checked in order with errors.Is. Anything unmatched is an IOException.
var errorClasses = [...]struct {
	err   error
	class string
}{
	{ErrAlreadyBeingCreated, ExAlreadyBeingCreated},
	{ErrLeaseExpired, ExLeaseExpired},
	{ErrDenied, ExAccessControl},
	{ErrInvalidPath, ExInvalidPath},
	{ErrIllegalArgument, ExIllegalArgument},
	{ErrIO, ExIO},
	{ErrPathTooLong, ExIO},
	{ErrComponentTooLong, ExComponentTooLong},
	{iofs.ErrPermission, ExAccessControl},
	{errs.ErrNotEmpty, ExPathNotEmpty},
	{errs.ErrNotDir, ExParentNotDirectory},
	{errs.ErrIsDir, ExFileAlreadyExists},
	{iofs.ErrNotExist, ExFileNotFound},
	{iofs.ErrExist, ExFileAlreadyExists},
	{iofs.ErrInvalid, ExIllegalArgument},
	{errors.ErrUnsupported, ExUnsupported},
	{errs.ErrIntegrity, ExIO},
	{errs.ErrKeyUnavailable, ExIO},
	{errs.ErrKeyMismatch, ExIO},
	{errs.ErrUnsupportedAlgorithm, ExIO},
	{errs.ErrNotEncrypted, ExIO},
	{errs.ErrSSENotConfirmed, ExIO},
	{context.DeadlineExceeded, ExIO},
	{context.Canceled, ExIO},
}

// Exception maps err to the Hadoop exception class and the one-line message
// a client is sent (Java keeps the first line).
func Exception(err error) (class, msg string) {
	class = ExIO
	for _, e := range errorClasses {
		if errors.Is(err, e.err) {
			class = e.class
			break
		}
	}
	msg = err.Error()
	var f *failure
	switch {
	case errors.As(err, &f):
		// Our own message, sent as written.
	case errors.Is(err, errs.ErrIntegrity):
		msg = "data integrity check failed (object corrupt or tampered with): " + msg
	case errors.Is(err, errs.ErrKeyUnavailable), errors.Is(err, errs.ErrKeyMismatch):
		msg = "encryption key problem: " + msg
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return class, msg
}
