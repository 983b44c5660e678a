package fs

import (
	"context"
	"errors"
	"io"
	iofs "io/fs"
	"net/http"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// classified is an S3 error together with the sentinel it was classified
// as: errors.Is finds the sentinel, errors.As still finds the SDK error.
type classified struct {
	kind error
	err  error
}

func (e *classified) Error() string   { return e.err.Error() }
func (e *classified) Unwrap() []error { return []error{e.kind, e.err} }

// codeKind maps an S3 error code (from the response body, never message
// text) to a sentinel, or nil.
func codeKind(code string) error {
	switch code {
	case "NoSuchKey", "NotFound", "NoSuchBucket", "NoSuchUpload":
		return iofs.ErrNotExist
	case "PreconditionFailed", "ConditionalRequestConflict":
		return iofs.ErrExist
	case "AccessDenied", "AllAccessDisabled", "Forbidden", "InvalidAccessKeyId",
		"SignatureDoesNotMatch", "AccountProblem":
		return iofs.ErrPermission
	case "InvalidArgument", "InvalidRequest", "KeyTooLongError", "MetadataTooLarge",
		"EntityTooLarge", "EntityTooSmall", "InvalidPart", "InvalidPartOrder",
		"InvalidBucketName", "InvalidObjectName", "XMinioInvalidObjectName":
		return iofs.ErrInvalid
	case "KMS.NotFoundException", "KMS.DisabledException", "KMS.KMSInvalidStateException",
		"KMS.AccessDeniedException", "KMS.ThrottlingException",
		"kms:KeyNotFound": // MinIO
		return errs.ErrKeyUnavailable
	case "KMS.InvalidCiphertextException", "kms:InvalidCiphertextException":
		return errs.ErrIntegrity
	}
	return nil
}

// statusKind classifies by HTTP status when no code is known (HEAD
// responses carry no body, hence no code).
func statusKind(status int) error {
	switch status {
	case http.StatusNotFound:
		return iofs.ErrNotExist
	case http.StatusPreconditionFailed, http.StatusConflict:
		return iofs.ErrExist
	case http.StatusForbidden:
		return iofs.ErrPermission
	case http.StatusBadRequest:
		return iofs.ErrInvalid
	}
	return nil
}

// hasSentinel reports whether err already carries a class.
func hasSentinel(err error) bool {
	for _, s := range [...]error{
		iofs.ErrNotExist, iofs.ErrExist, iofs.ErrPermission, iofs.ErrInvalid, iofs.ErrClosed,
		errs.ErrNotDir, errs.ErrIsDir, errs.ErrNotEmpty, errs.ErrChanged, errs.ErrNoXattr,
		errs.ErrIntegrity, errs.ErrKeyUnavailable, errs.ErrKeyMismatch,
		errs.ErrUnsupportedAlgorithm, errs.ErrNotEncrypted, errs.ErrSSENotConfirmed,
	} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// isBare reports errors that are returned as they are, never wrapped:
// io.EOF and context cancellation.
func isBare(err error) bool {
	return err == io.EOF || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// bare returns the unwrapped form of an error isBare accepts.
func bare(err error) error {
	switch {
	case err == io.EOF:
		return io.EOF
	case errors.Is(err, context.Canceled):
		return context.Canceled
	default:
		return context.DeadlineExceeded
	}
}

// classify attaches a sentinel to an SDK error. Errors that already carry
// a sentinel (providers' and this package's), io.EOF, context errors and
// errors it cannot classify are returned unchanged.
func classify(err error) error {
	if err == nil || isBare(err) {
		return err
	}
	if hasSentinel(err) {
		return err
	}
	if k := kindOf(err); k != nil {
		return &classified{kind: k, err: err}
	}
	return err
}

// kindOf finds the sentinel for an SDK error by type, error code, then
// HTTP status.
func kindOf(err error) error {
	var (
		noKey    *s3types.NoSuchKey
		notFound *s3types.NotFound
		noBucket *s3types.NoSuchBucket
		noUpload *s3types.NoSuchUpload
	)
	switch {
	case errors.As(err, &noKey), errors.As(err, &notFound), errors.As(err, &noBucket), errors.As(err, &noUpload):
		return iofs.ErrNotExist
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		if k := codeKind(api.ErrorCode()); k != nil {
			return k
		}
	}
	var st interface{ HTTPStatusCode() int }
	if errors.As(err, &st) {
		if k := statusKind(st.HTTPStatusCode()); k != nil {
			return k
		}
	}
	return nil
}

// isPrecondition reports a failed conditional request (412).
func isPrecondition(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "PreconditionFailed" {
		return true
	}
	var st interface{ HTTPStatusCode() int }
	return errors.As(err, &st) && st.HTTPStatusCode() == http.StatusPreconditionFailed
}

// isNotExist reports an S3 "no such key/bucket/upload" error.
func isNotExist(err error) bool { return errors.Is(classify(err), iofs.ErrNotExist) }

// pathErr wraps err as *iofs.PathError{op, p, classify(err)}. nil stays
// nil; io.EOF and context errors are returned bare; a *PathError is kept.
func pathErr(op, p string, err error) error {
	if err == nil {
		return nil
	}
	if isBare(err) {
		return bare(err)
	}
	var pe *iofs.PathError
	if errors.As(err, &pe) {
		return err
	}
	return &iofs.PathError{Op: op, Path: p, Err: classify(err)}
}

// codeError is an error reported per key by DeleteObjects.
type codeError struct {
	key, code, msg string
}

func (e *codeError) Error() string { return "delete " + e.key + ": " + e.code + ": " + e.msg }

// ErrorCode makes codeError a smithy.APIError so classify maps its code.
func (e *codeError) ErrorCode() string             { return e.code }
func (e *codeError) ErrorMessage() string          { return e.msg }
func (e *codeError) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }

var _ smithy.APIError = (*codeError)(nil)
