package namenode

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
	exFileNotFound        = "java.io.FileNotFoundException"
	exFileAlreadyExists   = "org.apache.hadoop.fs.FileAlreadyExistsException"
	exParentNotDirectory  = "org.apache.hadoop.fs.ParentNotDirectoryException"
	exPathNotEmpty        = "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException"
	exAccessControl       = "org.apache.hadoop.security.AccessControlException"
	exAlreadyBeingCreated = "org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException"
	exLeaseExpired        = "org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException"
	exIllegalArgument     = "org.apache.hadoop.HadoopIllegalArgumentException"
	exInvalidPath         = "org.apache.hadoop.fs.InvalidPathException"
	exUnsupported         = "java.lang.UnsupportedOperationException"
	exIO                  = "java.io.IOException"
	exNoSuchMethod        = "org.apache.hadoop.ipc.RpcNoSuchMethodException"
	exNoSuchProtocol      = "org.apache.hadoop.ipc.RpcNoSuchProtocolException"
	exIPC                 = "org.apache.hadoop.ipc.IpcException"
	exRPCServer           = "org.apache.hadoop.ipc.RpcServerException"
)

// Sentinels for conditions this package detects itself; raise them with
// failf so the client sees a Hadoop-style message.
var (
	errAlreadyBeingCreated = errors.New("file is already being created")
	errLeaseExpired        = errors.New("no lease")
	errDenied              = errors.New("permission denied")
	errInvalidPath         = errors.New("invalid path")
	errIllegalArgument     = errors.New("illegal argument")
	// errIOMessage marks a plain java.io.IOException.
	errIOMessage = errors.New("i/o error")
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

// failf builds a failure of the given kind.
func failf(kind error, format string, args ...any) error {
	return &failure{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// errorClasses is THE table from Go errors to Hadoop exception classes,
// checked in order with errors.Is. Anything unmatched is an IOException.
var errorClasses = []struct {
	err   error
	class string
}{
	{errAlreadyBeingCreated, exAlreadyBeingCreated},
	{errLeaseExpired, exLeaseExpired},
	{errDenied, exAccessControl},
	{errInvalidPath, exInvalidPath},
	{errIllegalArgument, exIllegalArgument},
	{errIOMessage, exIO},
	{iofs.ErrPermission, exAccessControl},
	{errs.ErrNotEmpty, exPathNotEmpty},
	{errs.ErrNotDir, exParentNotDirectory},
	{errs.ErrIsDir, exFileAlreadyExists},
	{iofs.ErrNotExist, exFileNotFound},
	{iofs.ErrExist, exFileAlreadyExists},
	{iofs.ErrInvalid, exIllegalArgument},
	{errors.ErrUnsupported, exUnsupported},
	{errs.ErrIntegrity, exIO},
	{errs.ErrKeyUnavailable, exIO},
	{errs.ErrKeyMismatch, exIO},
	{errs.ErrUnsupportedAlgorithm, exIO},
	{errs.ErrNotEncrypted, exIO},
	{errs.ErrSSENotConfirmed, exIO},
	{context.DeadlineExceeded, exIO},
	{context.Canceled, exIO},
}

// remoteError maps err to the exception class and message sent to the
// client. The message is a single line (Java keeps the first line).
func remoteError(err error) (class, msg string) {
	class = exIO
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
