package kms

import (
	"context"
	"errors"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// Outcome classes used when an error carries no service error code.
const (
	OutcomeOK             = "ok"
	OutcomeKeyUnavailable = "KeyUnavailable"
	OutcomeKeyMismatch    = "KeyMismatch"
	OutcomeError          = "Error"
)

// Error is a classified key-service error. errors.Is matches Kind (one of
// the internal/errs sentinels, when the error could be classified) and
// errors.As reaches the underlying error (e.g. *types.InvalidCiphertextException).
// It never carries key material: only the operation, a service error code
// and the underlying error.
type Error struct {
	Op   string // KMS API name: GenerateDataKey, Decrypt, DescribeKey
	Code string // service error code, e.g. InvalidCiphertextException; "" if none
	Kind error  // errs.ErrKeyMismatch, errs.ErrKeyUnavailable or nil
	Err  error  // underlying error; may be nil when Code says it all
}

func (e *Error) Error() string {
	s := "kms " + e.Op
	if e.Kind != nil {
		s += ": " + e.Kind.Error()
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	} else if e.Code != "" {
		s += ": " + e.Code
	}
	return s
}

// Unwrap exposes both the sentinel and the underlying error.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Outcome returns the audit outcome for an error: "ok" for nil, the service
// error code when there is one, else the class.
func Outcome(err error) string {
	if err == nil {
		return OutcomeOK
	}
	var ke *Error
	if errors.As(err, &ke) && ke.Code != "" {
		return ke.Code
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() != "" {
		return api.ErrorCode()
	}
	switch {
	case errors.Is(err, errs.ErrKeyMismatch):
		return OutcomeKeyMismatch
	case errors.Is(err, errs.ErrKeyUnavailable):
		return OutcomeKeyUnavailable
	}
	return OutcomeError
}

// isThrottle reports whether code is one AWS services use for throttling.
func isThrottle(code string) bool {
	switch code {
	case "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottledException",
		"TooManyRequestsException", "RequestLimitExceeded", "ProvisionedThroughputExceededException", "SlowDown":
		return true
	}
	return false
}

// classifyAWS wraps an aws-sdk-go-v2 KMS error into *Error.
func classifyAWS(op string, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Err: err}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code = api.ErrorCode()
	}
	e.Kind = awsKind(err)
	return e
}

func awsKind(err error) error {
	var (
		invalidCiphertext *kmstypes.InvalidCiphertextException
		incorrectKey      *kmstypes.IncorrectKeyException
		notFound          *kmstypes.NotFoundException
		disabled          *kmstypes.DisabledException
		invalidState      *kmstypes.KMSInvalidStateException
		unavailable       *kmstypes.KeyUnavailableException
		dependency        *kmstypes.DependencyTimeoutException
		internal          *kmstypes.KMSInternalException
		limit             *kmstypes.LimitExceededException
		invalidArn        *kmstypes.InvalidArnException
		invalidAlias      *kmstypes.InvalidAliasNameException
		invalidUsage      *kmstypes.InvalidKeyUsageException
		sendErr           *smithyhttp.RequestSendError
		maxAttempts       *retry.MaxAttemptsError
		netErr            net.Error
		api               smithy.APIError
	)
	switch {
	case errors.As(err, &invalidCiphertext), errors.As(err, &incorrectKey):
		return errs.ErrKeyMismatch
	case errors.As(err, &notFound), errors.As(err, &disabled), errors.As(err, &invalidState),
		errors.As(err, &unavailable), errors.As(err, &dependency), errors.As(err, &internal),
		errors.As(err, &limit), errors.As(err, &invalidArn), errors.As(err, &invalidAlias),
		errors.As(err, &invalidUsage):
		return errs.ErrKeyUnavailable
	case errors.Is(err, context.Canceled):
		// The caller gave up; that says nothing about the key.
		return nil
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &sendErr),
		errors.As(err, &maxAttempts), errors.As(err, &netErr):
		return errs.ErrKeyUnavailable
	case errors.As(err, &api):
		code := api.ErrorCode()
		if isThrottle(code) || code == "AccessDeniedException" || api.ErrorFault() == smithy.FaultServer {
			return errs.ErrKeyUnavailable
		}
	}
	return nil
}
